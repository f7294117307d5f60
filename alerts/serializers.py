"""Alerts as the public protocol writes them."""

from alerts.models import BackInStockAlert
from inventory.serializers import iso


def alert_data(alert: BackInStockAlert, *, sku: str) -> dict:
    """An ALERT object of the protocol."""
    return {
        "sku": sku,
        "status": alert.status,
        "created_at": iso(alert.created_at),
        "notified_at": iso(alert.notified_at) if alert.notified_at is not None else None,
    }
