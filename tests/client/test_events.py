"""Frames of the protocol become typed, immutable events."""

import dataclasses
from datetime import UTC, datetime

import pytest

from stockwatch import Alert, Product, RecoveryGap, StockUpdate

STOCK = {
    "type": "stock",
    "sku": "A",
    "name": "Lamp",
    "stock": 12,
    "previous": 0,
    "event": "restock",
    "seq": 42,
    "at": "2026-12-04T10:00:00.123456Z",
    "later_field": "ignored",
}


def test_a_stock_frame_becomes_a_stock_update_with_its_time():
    update = StockUpdate.from_frame(STOCK)
    assert update == StockUpdate(
        sku="A",
        name="Lamp",
        stock=12,
        previous=0,
        event="restock",
        seq=42,
        at=datetime(2026, 12, 4, 10, 0, 0, 123456, tzinfo=UTC),
    )


def test_events_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        StockUpdate.from_frame(STOCK).stock = 0  # type: ignore[misc]


def test_an_alert_frame_becomes_an_alert():
    alert = Alert.from_frame(
        {
            "type": "alert",
            "sku": "A",
            "name": "Lamp",
            "stock": 12,
            "message": "Lamp is back in stock",
            "at": "2026-12-04T10:00:00Z",
        }
    )
    assert (alert.sku, alert.stock, alert.message) == ("A", 12, "Lamp is back in stock")
    assert alert.at == datetime(2026, 12, 4, 10, tzinfo=UTC)


def test_a_recovery_gap_names_the_products_of_its_snapshot():
    products = tuple(
        Product.from_data(
            {"sku": sku, "name": sku, "stock": 1, "seq": 3, "updated_at": "2026-12-04T10:00:00Z"}
        )
        for sku in ("A", "B")
    )
    assert RecoveryGap(products).skus == ("A", "B")
