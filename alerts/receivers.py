"""The alerts' observer of stock changes: a restock fires the product's armed alerts."""

from alerts.firing import alerts_fire
from inventory.signals import StockChange, stock_change_recorded


def fire_alerts_on_restock(*, change: StockChange, **kwargs: object) -> None:
    """Fire within the change's own transaction (see ``alerts.firing``)."""
    if change.event == "restock":
        alerts_fire(change=change)


def connect() -> None:
    stock_change_recorded.connect(fire_alerts_on_restock, dispatch_uid="alerts.fire_on_restock")
