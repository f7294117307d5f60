"""Products and stock changes as the protocol writes them."""

from datetime import UTC, datetime, timedelta, timezone

from inventory.serializers import iso, stock_change_data
from inventory.signals import StockChange


def test_a_stock_change_is_written_as_the_protocols_stock_frame():
    change = StockChange(
        sku="A", name="Lamp", previous=0, stock=12, seq=42, at=datetime(2026, 12, 4, 10, tzinfo=UTC)
    )

    assert stock_change_data(change) == {
        "type": "stock",
        "sku": "A",
        "name": "Lamp",
        "stock": 12,
        "previous": 0,
        "event": "restock",
        "seq": 42,
        "at": "2026-12-04T10:00:00.000000Z",
    }


def test_times_are_written_in_utc_whatever_their_zone():
    moment = datetime(2026, 12, 4, 11, 30, 0, 123456, tzinfo=timezone(timedelta(hours=1)))

    assert iso(moment) == "2026-12-04T10:30:00.123456Z"
