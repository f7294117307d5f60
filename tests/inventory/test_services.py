"""The stock services: each change is locked, logged with a contiguous seq and announced once."""

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from prometheus_client import REGISTRY

from inventory.models import Product, Source, StockEvent
from inventory.services import (
    MAX_STOCK,
    InsufficientStock,
    ProductExists,
    product_create,
    product_restock,
    product_sell,
    product_set_stock,
)
from inventory.signals import StockChange, stock_changed

pytestmark = pytest.mark.django_db


class Recorder:
    """A real receiver of ``stock_changed`` that keeps what it heard."""

    def __init__(self) -> None:
        self.changes: list[StockChange] = []

    def __call__(self, *, change: StockChange, **kwargs: object) -> None:
        self.changes.append(change)


@pytest.fixture
def heard():
    recorder = Recorder()
    stock_changed.connect(recorder, dispatch_uid="tests.recorder")
    yield recorder.changes
    stock_changed.disconnect(dispatch_uid="tests.recorder")


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run the code under it as if its transaction committed (announcements included)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def events_of(sku: str) -> list[tuple]:
    return list(
        StockEvent.objects.filter(sku=sku)
        .order_by("seq")
        .values_list("seq", "event", "previous", "stock")
    )


def test_creating_a_product_announces_created_at_seq_0_whatever_its_stock(heard, committed):
    with committed():
        product = product_create(sku="A1", name="Lamp", stock=7)

    assert (product.stock, product.seq) == (7, 0)
    assert [(c.sku, c.event, c.seq, c.previous, c.stock) for c in heard] == [
        ("A1", "created", 0, 0, 7)
    ]
    assert events_of("A1") == [(0, "created", 0, 7)]


def test_each_kind_of_change_is_logged_and_announced_with_its_event(heard, committed):
    with committed():
        product_create(sku="A1", name="Lamp", stock=0)
        product_restock(sku="A1", quantity=5)  # 0 -> 5
        product_sell(sku="A1", quantity=2)  # 5 -> 3
        product_sell(sku="A1", quantity=3)  # 3 -> 0
        product_set_stock(sku="A1", stock=4)  # 0 -> 4
        product_set_stock(sku="A1", stock=10)  # 4 -> 10

    expected = [
        (0, "created", 0, 0),
        (1, "restock", 0, 5),
        (2, "change", 5, 3),
        (3, "sold_out", 3, 0),
        (4, "restock", 0, 4),
        (5, "change", 4, 10),
    ]
    assert events_of("A1") == expected
    assert [(c.seq, c.event, c.previous, c.stock) for c in heard] == expected


def test_seq_grows_by_exactly_one_per_change_and_matches_the_log(committed):
    with committed():
        product_create(sku="A1", name="Lamp", stock=50)
        for _ in range(10):
            product_sell(sku="A1", quantity=1)
            product_restock(sku="A1", quantity=2)

    assert Product.objects.get(sku="A1").seq == 20
    assert [seq for seq, *_ in events_of("A1")] == list(range(21))


def test_a_change_to_the_same_stock_bumps_nothing_and_announces_nothing(heard, committed, lamp):
    before = Product.objects.get(sku="LAMP-1")

    with committed() as callbacks:
        product = product_set_stock(sku="LAMP-1", stock=5)

    after = Product.objects.get(sku="LAMP-1")
    assert (product.seq, after.seq, after.updated_at) == (0, 0, before.updated_at)
    assert callbacks == []
    assert heard == []
    assert StockEvent.objects.filter(sku="LAMP-1").count() == 1


def test_a_change_rolled_back_by_an_outer_transaction_is_neither_logged_nor_announced(
    heard, committed, lamp
):
    with committed():
        with pytest.raises(RuntimeError), transaction.atomic():
            product_restock(sku="LAMP-1", quantity=3)
            raise RuntimeError("the order failed after the restock")

    assert heard == []
    assert Product.objects.get(sku="LAMP-1").stock == 5
    assert StockEvent.objects.filter(sku="LAMP-1").count() == 1


def test_a_failing_observer_stops_neither_the_others_nor_the_write(heard, committed, lamp):
    def broken(*, change: StockChange, **kwargs: object) -> None:
        raise RuntimeError("observer is broken")

    name = f"{broken.__module__}.{broken.__qualname__}"
    failures = "stockwatch_observer_failures_total"
    before = REGISTRY.get_sample_value(failures, {"observer": name}) or 0
    stock_changed.connect(broken, dispatch_uid="tests.broken")
    try:
        with committed():
            product = product_restock(sku="LAMP-1", quantity=1)
    finally:
        stock_changed.disconnect(dispatch_uid="tests.broken")

    assert product.stock == 6
    assert Product.objects.get(sku="LAMP-1").stock == 6
    assert [c.seq for c in heard] == [1]
    assert REGISTRY.get_sample_value(failures, {"observer": name}) == before + 1


def test_committed_events_are_counted_by_kind(committed):
    metric = "stockwatch_stock_events_total"
    before = REGISTRY.get_sample_value(metric, {"event": "sold_out"}) or 0

    with committed():
        product_create(sku="A1", name="Lamp", stock=1)
        product_sell(sku="A1", quantity=1)

    assert REGISTRY.get_sample_value(metric, {"event": "sold_out"}) == before + 1


def test_changes_record_who_made_them_and_from_where(clerk, lamp):
    product_restock(sku="LAMP-1", quantity=1, actor=clerk, source=Source.ADMIN)

    event = StockEvent.objects.get(sku="LAMP-1", seq=1)
    assert (event.actor, event.source) == (clerk, Source.ADMIN)


@pytest.mark.parametrize("quantity", [0, -1, True, 1.0, "2"])
def test_restock_and_sell_refuse_a_bad_quantity(lamp, quantity):
    with pytest.raises(ValidationError):
        product_restock(sku="LAMP-1", quantity=quantity)
    with pytest.raises(ValidationError):
        product_sell(sku="LAMP-1", quantity=quantity)
    assert Product.objects.get(sku="LAMP-1").seq == 0


@pytest.mark.parametrize("stock", [-1, True, 2.5, MAX_STOCK + 1])
def test_set_stock_refuses_a_bad_count(lamp, stock):
    with pytest.raises(ValidationError):
        product_set_stock(sku="LAMP-1", stock=stock)
    assert Product.objects.get(sku="LAMP-1").stock == 5


def test_restock_refuses_to_pass_the_largest_storable_count(lamp):
    product_set_stock(sku="LAMP-1", stock=MAX_STOCK)

    with pytest.raises(ValidationError):
        product_restock(sku="LAMP-1", quantity=1)
    assert Product.objects.get(sku="LAMP-1").seq == 1


def test_selling_more_than_in_stock_raises_and_changes_nothing(heard, committed, lamp):
    with committed(), pytest.raises(InsufficientStock) as refused:
        product_sell(sku="LAMP-1", quantity=6)

    assert refused.value.stock == 5
    assert heard == []
    assert Product.objects.get(sku="LAMP-1").stock == 5


def test_changing_an_unknown_product_raises_does_not_exist():
    with pytest.raises(Product.DoesNotExist):
        product_restock(sku="NOPE", quantity=1)


def test_creating_a_sku_twice_raises_product_exists(lamp, heard, committed):
    with committed(), pytest.raises(ProductExists):
        product_create(sku="LAMP-1", name="Again")

    assert heard == []
    assert StockEvent.objects.count() == 1


@pytest.mark.parametrize(
    ("sku", "name", "stock"),
    [
        ("", "x", 0),
        ("-a", "x", 0),
        ("a b", "x", 0),
        ("a" * 65, "x", 0),
        ("OK", "", 0),
        ("OK", "x", -1),
        ("OK", "x", MAX_STOCK + 1),
    ],
)
def test_creating_an_invalid_product_raises_validation_error(sku, name, stock):
    with pytest.raises(ValidationError):
        product_create(sku=sku, name=name, stock=stock)

    assert Product.objects.count() == 0


@pytest.mark.parametrize("sku", ["LAMP-1\n", "-LAMP", "", "A" * 65, "LAMP 1"])
def test_create_refuses_a_malformed_sku_and_stores_nothing(sku):
    with pytest.raises(ValidationError):
        product_create(sku=sku, name="Lamp")
    assert not Product.objects.exists()
