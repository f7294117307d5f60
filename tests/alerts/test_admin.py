"""Staff's view of demand and of the outbox in the admin."""

from datetime import timedelta

import pytest
from django.utils import timezone

from alerts.models import OutboxEmail, OutboxStatus, ProductDemand
from alerts.selectors import product_demand
from alerts.services import alert_arm
from inventory import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("boss"))
    return client


@pytest.fixture
def demand(alice, bob, lamp, chair, django_user_model):
    """The lamp: alice and bob told by its last restock, alice waiting again, carol new."""
    carol = django_user_model.objects.create_user("carol", email="carol@example.com")
    for user in (alice, bob):
        alert_arm(user=user, sku="LAMP-1")
    services.product_restock(sku="LAMP-1", quantity=1)
    services.product_sell(sku="LAMP-1", quantity=1)
    alert_arm(user=alice, sku="LAMP-1")
    alert_arm(user=carol, sku="LAMP-1")
    alert_arm(user=carol, sku="CHAIR-2")


def test_demand_counts_armed_alerts_and_those_the_last_restock_fired(demand):
    rows = {
        p.sku: (p.armed_alerts, p.fired_on_last_restock, p.last_restock_seq)
        for p in product_demand(ProductDemand.objects.all())
    }

    assert rows == {"CHAIR-2": (1, 0, None), "LAMP-1": (2, 2, 1)}


def test_a_new_restock_counts_only_what_it_fired(demand):
    services.product_restock(sku="LAMP-1", quantity=1)

    lamp = product_demand(ProductDemand.objects.filter(sku="LAMP-1")).get()

    assert (lamp.armed_alerts, lamp.fired_on_last_restock, lamp.last_restock_seq) == (0, 2, 3)


def test_the_demand_page_lists_each_product_with_its_counts(staff_client, demand):
    response = staff_client.get("/admin/alerts/productdemand/")

    assert response.status_code == 200
    rows = response.context["cl"].result_list
    assert [(p.sku, p.armed_alerts, p.fired_on_last_restock) for p in rows] == [
        ("CHAIR-2", 1, 0),
        ("LAMP-1", 2, 2),
    ]
    assert b"fired on last restock" in response.content.lower()


def test_the_alert_list_filters_by_status(staff_client, demand):
    response = staff_client.get("/admin/alerts/backinstockalert/", {"status__exact": "armed"})

    assert response.status_code == 200
    shown = response.context["cl"].result_list
    assert sorted((a.user.username, a.product.sku) for a in shown) == [
        ("alice", "LAMP-1"),
        ("carol", "CHAIR-2"),
        ("carol", "LAMP-1"),
    ]


def test_retry_now_makes_failed_emails_due_and_leaves_sent_ones_alone(staff_client, demand):
    later = timezone.now() + timedelta(hours=1)
    failed, sent = OutboxEmail.objects.order_by("id")
    OutboxEmail.objects.filter(pk=failed.pk).update(
        status=OutboxStatus.FAILED, attempts=5, next_attempt_at=later, last_error="refused"
    )
    OutboxEmail.objects.filter(pk=sent.pk).update(status=OutboxStatus.SENT, attempts=1)

    response = staff_client.post(
        "/admin/alerts/outboxemail/",
        {"action": "retry_now", "_selected_action": [failed.pk, sent.pk]},
        follow=True,
    )

    assert response.status_code == 200
    failed.refresh_from_db()
    sent.refresh_from_db()
    assert failed.status == "pending" and failed.next_attempt_at <= timezone.now()
    assert failed.last_error == "refused"
    assert (sent.status, sent.attempts) == ("sent", 1)
    assert b"1 emails will be retried now" in response.content


def test_the_outbox_list_filters_by_status(staff_client, demand):
    OutboxEmail.objects.filter(to="bob@example.com").update(status=OutboxStatus.FAILED)

    response = staff_client.get("/admin/alerts/outboxemail/", {"status__exact": "failed"})

    assert [email.to for email in response.context["cl"].result_list] == ["bob@example.com"]
