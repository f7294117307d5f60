"""The store's own observers of stock changes: metrics and the product-list cache."""

from django.core.cache import cache

from inventory.metrics import STOCK_EVENTS
from inventory.selectors import PRODUCT_LIST_CACHE_KEY
from inventory.signals import StockChange, stock_changed


def count_event(*, change: StockChange, **kwargs: object) -> None:
    """Count committed events by kind."""
    STOCK_EVENTS.labels(event=change.event).inc()


def invalidate_product_list(*, change: StockChange, **kwargs: object) -> None:
    """Drop the cached product list so the next read sees this change."""
    cache.delete(PRODUCT_LIST_CACHE_KEY)


def connect() -> None:
    stock_changed.connect(count_event, dispatch_uid="inventory.count_event")
    stock_changed.connect(invalidate_product_list, dispatch_uid="inventory.invalidate_product_list")
