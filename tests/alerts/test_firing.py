"""Firing: a restock marks the product's armed alerts notified and queues their emails once."""

import time

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from alerts.models import AlertStatus, BackInStockAlert, OutboxEmail, OutboxStatus
from alerts.services import alert_arm
from alerts.signals import alerts_fired
from inventory import services
from inventory.models import Product
from inventory.signals import stock_change_recorded

pytestmark = pytest.mark.django_db


@pytest.fixture
def announced():
    """Every ``alerts_fired`` announcement made during the test, in order."""
    calls: list[list] = []

    def receive(*, fired, **kwargs):
        calls.append(fired)

    alerts_fired.connect(receive, dispatch_uid="tests.announced")
    yield calls
    alerts_fired.disconnect(dispatch_uid="tests.announced")


def statuses() -> dict[str, str]:
    return dict(BackInStockAlert.objects.values_list("user__username", "status"))


def test_a_restock_fires_each_armed_alert_once_and_queues_its_email(
    alice, bob, lamp, announced, django_capture_on_commit_callbacks
):
    alert_arm(user=alice, sku="LAMP-1")
    alert_arm(user=bob, sku="LAMP-1")

    with django_capture_on_commit_callbacks(execute=True):
        product = services.product_restock(sku="LAMP-1", quantity=4)

    assert statuses() == {"alice": "notified", "bob": "notified"}
    assert set(BackInStockAlert.objects.values_list("notified_at", flat=True)) == {
        product.updated_at
    }
    emails = OutboxEmail.objects.order_by("to")
    assert [(e.to, e.status, e.attempts) for e in emails] == [
        ("alice@example.com", "pending", 0),
        ("bob@example.com", "pending", 0),
    ]
    email = emails[0]
    assert email.subject == "Desk lamp is back in stock"
    assert "Desk lamp is back in stock (4 available)" in email.text
    assert "http://127.0.0.1:8000/?sku=LAMP-1" in email.text
    assert 'href="http://127.0.0.1:8000/?sku=LAMP-1"' in email.html
    assert email.next_attempt_at <= timezone.now()
    assert email.alert.user.username == "alice"
    [fired] = announced
    assert sorted((f.user_id, f.sku, f.name, f.stock, f.at) for f in fired) == [
        (alice.pk, "LAMP-1", "Desk lamp", 4, product.updated_at),
        (bob.pk, "LAMP-1", "Desk lamp", 4, product.updated_at),
    ]


def test_a_later_restock_does_not_fire_a_notified_alert_again(
    alice, lamp, announced, django_capture_on_commit_callbacks
):
    alert_arm(user=alice, sku="LAMP-1")
    with django_capture_on_commit_callbacks(execute=True):
        services.product_restock(sku="LAMP-1", quantity=1)
        services.product_sell(sku="LAMP-1", quantity=1)
        services.product_restock(sku="LAMP-1", quantity=5)

    assert len(announced) == 1
    assert OutboxEmail.objects.count() == 1
    assert statuses() == {"alice": "notified"}


def test_a_re_armed_alert_fires_on_the_next_restock(alice, lamp, announced):
    alert_arm(user=alice, sku="LAMP-1")
    services.product_restock(sku="LAMP-1", quantity=1)
    services.product_sell(sku="LAMP-1", quantity=1)
    alert_arm(user=alice, sku="LAMP-1")

    services.product_restock(sku="LAMP-1", quantity=2)

    assert list(BackInStockAlert.objects.order_by("id").values_list("status", "fired_seq")) == [
        ("notified", 1),
        ("notified", 3),
    ]
    assert OutboxEmail.objects.count() == 2


@pytest.mark.parametrize(
    "change",
    [
        lambda: services.product_restock(sku="CHAIR-2", quantity=2),
        lambda: services.product_sell(sku="CHAIR-2", quantity=1),
        lambda: services.product_sell(sku="CHAIR-2", quantity=3),
        lambda: services.product_set_stock(sku="CHAIR-2", stock=10),
        lambda: services.product_set_stock(sku="CHAIR-2", stock=3),
    ],
    ids=["change-up", "change-down", "sold-out", "set-stock", "unchanged"],
)
def test_a_change_that_is_not_a_restock_fires_nothing(
    alice, chair, announced, change, django_capture_on_commit_callbacks
):
    alert_arm(user=alice, sku="CHAIR-2")

    with django_capture_on_commit_callbacks(execute=True):
        change()

    assert statuses() == {"alice": "armed"}
    assert OutboxEmail.objects.count() == 0
    assert announced == []


def test_creating_a_product_in_stock_fires_nothing(alice, db, announced):
    services.product_create(sku="NEW-1", name="New", stock=5)

    assert announced == []


def test_a_restock_fires_only_the_restocked_products_alerts(alice, lamp, db, announced):
    services.product_create(sku="MUG-3", name="Mug", stock=0)
    alert_arm(user=alice, sku="LAMP-1")
    alert_arm(user=alice, sku="MUG-3")

    services.product_restock(sku="MUG-3", quantity=1)

    assert dict(BackInStockAlert.objects.values_list("product__sku", "status")) == {
        "LAMP-1": "armed",
        "MUG-3": "notified",
    }


def test_a_deactivated_user_gets_nothing(
    alice, bob, lamp, announced, django_capture_on_commit_callbacks
):
    alert_arm(user=alice, sku="LAMP-1")
    alert_arm(user=bob, sku="LAMP-1")
    bob.is_active = False
    bob.save()

    with django_capture_on_commit_callbacks(execute=True):
        services.product_restock(sku="LAMP-1", quantity=1)

    assert statuses() == {"alice": "notified", "bob": "armed"}
    assert list(OutboxEmail.objects.values_list("to", flat=True)) == ["alice@example.com"]
    assert [[f.user_id for f in fired] for fired in announced] == [[alice.pk]]


def test_a_user_without_an_email_address_is_told_live_only(
    lamp, announced, django_capture_on_commit_callbacks
):
    carol = get_user_model().objects.create_user("carol")
    alert_arm(user=carol, sku="LAMP-1")

    with django_capture_on_commit_callbacks(execute=True):
        services.product_restock(sku="LAMP-1", quantity=1)

    assert statuses() == {"carol": "notified"}
    assert OutboxEmail.objects.count() == 0
    assert [[f.user_id for f in fired] for fired in announced] == [[carol.pk]]


def test_a_rolled_back_restock_fires_nothing(alice, lamp, announced):
    alert_arm(user=alice, sku="LAMP-1")

    with pytest.raises(RuntimeError), transaction.atomic():
        services.product_restock(sku="LAMP-1", quantity=1)
        raise RuntimeError("the caller's transaction fails after the restock")

    assert statuses() == {"alice": "armed"}
    assert OutboxEmail.objects.count() == 0
    assert announced == []


def test_an_in_transaction_observer_that_fails_rolls_the_restock_back(alice, lamp, announced):
    alert_arm(user=alice, sku="LAMP-1")

    def fail(**kwargs):
        raise ValidationError("the observer refuses")

    stock_change_recorded.connect(fail, dispatch_uid="tests.fail")
    try:
        with pytest.raises(ValidationError):
            services.product_restock(sku="LAMP-1", quantity=1)
    finally:
        stock_change_recorded.disconnect(dispatch_uid="tests.fail")

    assert Product.objects.get(sku="LAMP-1").stock == 0
    assert statuses() == {"alice": "armed"}
    assert OutboxEmail.objects.count() == 0


def test_ten_thousand_armed_alerts_fire_in_a_bounded_number_of_queries(
    lamp, announced, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    count = 10_000
    users = get_user_model().objects.bulk_create(
        get_user_model()(username=f"shopper{n}", email=f"shopper{n}@example.com", password="!")
        for n in range(count)
    )
    now = timezone.now()
    BackInStockAlert.objects.bulk_create(
        BackInStockAlert(user=user, product=lamp, created_at=now) for user in users
    )

    started = time.perf_counter()
    # Lock, update and log the product (4), then fire (4), with savepoints to spare.
    with django_assert_max_num_queries(12), django_capture_on_commit_callbacks() as callbacks:
        services.product_restock(sku="LAMP-1", quantity=1)
    elapsed = time.perf_counter() - started

    assert BackInStockAlert.objects.filter(status=AlertStatus.NOTIFIED).count() == count
    assert OutboxEmail.objects.filter(status=OutboxStatus.PENDING).count() == count
    assert OutboxEmail.objects.order_by().values("alert").distinct().count() == count
    for callback in callbacks:
        callback()
    assert len(announced[0]) == count
    # Generous for a loaded machine; the point is that it does not grow per alert in queries.
    assert elapsed < 10, f"firing {count} alerts took {elapsed:.2f} s"
