"""Products, stock changes and times as the public protocol writes them."""

from datetime import UTC, datetime

from inventory.models import Product
from inventory.signals import StockChange


def iso(moment: datetime) -> str:
    """ISO 8601 in UTC with microseconds and a ``Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def product_data(product: Product) -> dict:
    """A PRODUCT object of the protocol."""
    return {
        "sku": product.sku,
        "name": product.name,
        "stock": product.stock,
        "seq": product.seq,
        "updated_at": iso(product.updated_at),
    }


def stock_change_data(change: StockChange) -> dict:
    """The ``stock`` frame of the protocol announcing one change (also the API's STOCK)."""
    return {
        "type": "stock",
        "sku": change.sku,
        "name": change.name,
        "stock": change.stock,
        "previous": change.previous,
        "event": change.event,
        "seq": change.seq,
        "at": iso(change.at),
    }
