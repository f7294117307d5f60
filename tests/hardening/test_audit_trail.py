"""The audit trail: every stock change says who and through what; staff read it, no one edits it."""

import json
from io import StringIO

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.test import Client

from inventory.models import Product, Source, StockEvent
from tests.inventory.helpers import send_json, store_state

pytestmark = pytest.mark.django_db

EVENTS = "/admin/inventory/stockevent/"
PRODUCTS = "/admin/inventory/product/"


@pytest.fixture
def auditor(django_user_model):
    """Staff who may read the log and nothing else."""
    user = django_user_model.objects.create_user("auditor", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_stockevent"))
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def admin_client(superuser) -> Client:
    client = Client()
    client.force_login(superuser)
    return client


def last_event() -> tuple:
    event = StockEvent.objects.select_related("actor").latest("id")
    return event.sku, event.event, event.actor and event.actor.username, event.source


def test_each_way_of_changing_stock_logs_who_and_through_what(
    clerk, clerk_client, superuser, admin_client, lamp
):
    send_json(clerk_client, "post", "/api/products/", {"sku": "NEW-1", "name": "New"})
    assert last_event() == ("NEW-1", "created", "clerk", Source.API)

    send_json(clerk_client, "post", "/api/products/LAMP-1/sell", {"quantity": 5})
    assert last_event() == ("LAMP-1", "sold_out", "clerk", Source.API)

    session = Client()
    session.force_login(clerk)
    session.get("/")  # the CSRF cookie, as a page would set it
    send_json(
        session,
        "put",
        "/api/products/LAMP-1/stock",
        {"stock": 2},
        headers={"X-CSRFToken": session.cookies["csrftoken"].value},
    )
    assert last_event() == ("LAMP-1", "restock", "clerk", Source.API)

    admin_client.post(
        PRODUCTS,
        {
            "action": "restock_selected",
            ACTION_CHECKBOX_NAME: [lamp.pk],
            "apply": "1",
            "quantity": "3",
        },
    )
    assert last_event() == ("LAMP-1", "change", "boss", Source.ADMIN)

    call_command("restock", "LAMP-1", "1", stdout=StringIO())
    assert last_event() == ("LAMP-1", "change", None, Source.COMMAND)


def test_staff_with_the_view_permission_read_the_log_with_actor_and_source(
    auditor, clerk_client, lamp
):
    send_json(clerk_client, "post", "/api/products/LAMP-1/restock", {"quantity": 2})
    event = StockEvent.objects.get(sku="LAMP-1", seq=1)

    listing = auditor.get(EVENTS)
    detail = auditor.get(f"{EVENTS}{event.pk}/change/")

    assert listing.status_code == 200
    rows = listing.context["cl"].result_list
    assert [(e.seq, e.actor.username, e.source) for e in rows if e.seq == 1] == [
        (1, "clerk", "api")
    ]
    assert detail.status_code == 200
    assert not detail.context["has_change_permission"]


def test_the_log_offers_no_action_that_changes_it(admin_client, lamp):
    listing = admin_client.get(EVENTS)

    assert listing.context["action_form"] is None  # no actions at all
    response = admin_client.post(
        EVENTS,
        {"action": "delete_selected", ACTION_CHECKBOX_NAME: [StockEvent.objects.get().pk]},
    )
    assert response.status_code in (200, 302)
    assert StockEvent.objects.count() == 1


def test_a_product_cannot_be_deleted_in_the_admin_as_that_would_delete_its_log(admin_client, lamp):
    before = store_state()

    single = admin_client.post(f"{PRODUCTS}{lamp.pk}/delete/", {"post": "yes"})
    bulk = admin_client.post(
        PRODUCTS, {"action": "delete_selected", ACTION_CHECKBOX_NAME: [lamp.pk], "post": "yes"}
    )

    assert single.status_code == 403
    assert bulk.status_code in (200, 302)
    assert Product.objects.filter(pk=lamp.pk).exists()
    assert store_state() == before


def test_a_staff_member_without_the_view_permission_cannot_read_the_log(
    staff_without_permission, lamp
):
    client = Client()
    client.force_login(staff_without_permission)

    assert client.get(EVENTS).status_code == 403


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_the_api_offers_no_way_to_change_the_log(clerk_client, lamp, method):
    before = store_state()

    response = send_json(clerk_client, method, "/api/products/LAMP-1/events", {"seq": 0})

    assert response.status_code == 405
    assert json.loads(response.content)["error"]["code"] == "method_not_allowed"
    assert store_state() == before
