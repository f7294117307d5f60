"""Products and times as the public protocol writes them."""

from datetime import UTC, datetime

from inventory.models import Product


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
