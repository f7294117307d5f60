"""A Python client of the stockwatch WebSocket protocol, for programs that observe stock."""

from stockwatch.client import StockClient
from stockwatch.errors import (
    AuthenticationFailed,
    ConnectionFailed,
    ProtocolError,
    StockwatchError,
    UnknownProduct,
)
from stockwatch.events import Alert, Event, Product, RecoveryGap, StockUpdate

__all__ = [
    "Alert",
    "AuthenticationFailed",
    "ConnectionFailed",
    "Event",
    "Product",
    "ProtocolError",
    "RecoveryGap",
    "StockClient",
    "StockUpdate",
    "StockwatchError",
    "UnknownProduct",
]
