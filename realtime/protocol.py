"""Frames of the public WebSocket protocol, version 1."""

import json
from datetime import datetime

from inventory.serializers import iso, stock_change_data
from inventory.signals import StockChange

PROTOCOL_VERSION = 1


def dumps(message: dict) -> str:
    """Serialise one frame compactly."""
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False)


def stock_frame(change: StockChange) -> str:
    """The ``stock`` frame announcing one change, serialised."""
    return dumps(stock_change_data(change))


def error_message(code: str, message: str, *, message_id: object = None, **extra: object) -> dict:
    """An ``error`` frame; ``id`` echoes the client's message id when it had one."""
    frame: dict = {"type": "error"}
    if message_id is not None:
        frame["id"] = message_id
    frame.update(code=code, message=message, **extra)
    return frame


def alert_message(*, sku: str, name: str, stock: int, at: datetime) -> dict:
    """The ``alert`` frame telling a shopper that a product they wait for is back."""
    return {
        "type": "alert",
        "sku": sku,
        "name": name,
        "stock": stock,
        "message": f"{name} is back in stock",
        "at": iso(at),
    }
