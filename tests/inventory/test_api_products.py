"""The product endpoints of the JSON API, when the request is good."""

import re

import pytest

from inventory.models import Product, Source, StockEvent
from inventory.services import product_create, product_restock, product_sell
from tests.inventory.helpers import send_json

pytestmark = pytest.mark.django_db

PRODUCT_KEYS = {"sku", "name", "stock", "seq", "updated_at"}
ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


def test_product_list_is_ordered_by_sku_in_ascii_order(client):
    for sku in ["b", "A", "a", "B1"]:
        product_create(sku=sku, name=f"Item {sku}", source=Source.COMMAND)

    response = client.get("/api/products/")

    assert response.status_code == 200
    products = response.json()["products"]
    assert [product["sku"] for product in products] == ["A", "B1", "a", "b"]
    assert all(set(product) == PRODUCT_KEYS for product in products)


def test_product_list_is_empty_without_products(client):
    assert client.get("/api/products/").json() == {"products": []}


def test_product_list_shows_a_change_committed_after_it_was_read(
    client, lamp, clerk_client, django_capture_on_commit_callbacks
):
    client.get("/api/products/")

    with django_capture_on_commit_callbacks(execute=True):
        send_json(clerk_client, "post", "/api/products/LAMP-1/restock", {"quantity": 3})

    assert client.get("/api/products/").json()["products"][0]["stock"] == 8


def test_product_detail_is_the_product_object(client, lamp):
    response = client.get("/api/products/LAMP-1/")

    assert response.status_code == 200
    body = response.json()
    assert body == {
        "sku": "LAMP-1",
        "name": "Desk lamp",
        "stock": 5,
        "seq": 0,
        "updated_at": body["updated_at"],
    }
    assert ISO_UTC.match(body["updated_at"])


def test_create_answers_201_with_a_new_product_at_seq_0(clerk_client):
    response = send_json(
        clerk_client, "post", "/api/products/", {"sku": "TENT.2p", "name": "Tent", "stock": 4}
    )

    assert response.status_code == 201
    assert response.json()["sku"] == "TENT.2p"
    assert response.json()["stock"] == 4
    assert response.json()["seq"] == 0
    assert Product.objects.get(sku="TENT.2p").name == "Tent"


def test_create_without_stock_starts_at_zero(clerk_client):
    response = send_json(clerk_client, "post", "/api/products/", {"sku": "X1", "name": "X"})

    assert response.status_code == 201
    assert response.json()["stock"] == 0


def test_create_logs_a_created_event_by_the_caller_from_the_api(clerk_client, clerk):
    send_json(clerk_client, "post", "/api/products/", {"sku": "X1", "name": "X", "stock": 2})

    event = StockEvent.objects.get(sku="X1")
    assert (event.event, event.seq, event.actor, event.source) == ("created", 0, clerk, "api")


def test_restock_adds_the_quantity_and_bumps_seq(clerk_client, lamp, clerk):
    response = send_json(clerk_client, "post", "/api/products/LAMP-1/restock", {"quantity": 3})

    assert response.status_code == 200
    assert (response.json()["stock"], response.json()["seq"]) == (8, 1)
    event = StockEvent.objects.get(sku="LAMP-1", seq=1)
    assert (event.previous, event.stock, event.actor, event.source) == (5, 8, clerk, Source.API)


def test_sell_takes_the_quantity_out_of_stock(clerk_client, lamp):
    response = send_json(clerk_client, "post", "/api/products/LAMP-1/sell", {"quantity": 5})

    assert response.status_code == 200
    assert response.json()["stock"] == 0
    assert StockEvent.objects.get(sku="LAMP-1", seq=1).event == "sold_out"


def test_put_stock_sets_the_absolute_count(clerk_client, sold_out_mug):
    response = send_json(clerk_client, "put", "/api/products/MUG-2/stock", {"stock": 12})

    assert response.status_code == 200
    assert (response.json()["stock"], response.json()["seq"]) == (12, 1)
    assert StockEvent.objects.get(sku="MUG-2", seq=1).event == "restock"


def test_put_stock_to_the_same_count_changes_nothing(clerk_client, lamp):
    response = send_json(clerk_client, "put", "/api/products/LAMP-1/stock", {"stock": 5})

    assert response.status_code == 200
    assert response.json()["seq"] == 0
    assert StockEvent.objects.filter(sku="LAMP-1").count() == 1


def test_unknown_fields_in_a_body_are_ignored(clerk_client, lamp):
    response = send_json(
        clerk_client, "post", "/api/products/LAMP-1/restock", {"quantity": 1, "note": "x"}
    )

    assert response.status_code == 200
    assert response.json()["stock"] == 6


def test_skus_may_hold_dots_dashes_and_underscores_in_the_path(client, clerk_client):
    product_create(sku="a.b_c-d", name="Odd", stock=1, source=Source.COMMAND)

    assert client.get("/api/products/a.b_c-d/").json()["sku"] == "a.b_c-d"
    response = send_json(clerk_client, "post", "/api/products/a.b_c-d/restock", {"quantity": 1})
    assert response.json()["stock"] == 2


def test_events_lists_the_last_events_oldest_first_as_stock_frames(client, lamp):
    product_sell(sku="LAMP-1", quantity=5, source=Source.COMMAND)
    product_restock(sku="LAMP-1", quantity=2, source=Source.COMMAND)

    response = client.get("/api/products/LAMP-1/events")

    assert response.status_code == 200
    events = response.json()["events"]
    assert [(e["seq"], e["event"], e["previous"], e["stock"]) for e in events] == [
        (0, "created", 0, 5),
        (1, "sold_out", 5, 0),
        (2, "restock", 0, 2),
    ]
    assert events[2] == {
        "type": "stock",
        "sku": "LAMP-1",
        "name": "Desk lamp",
        "stock": 2,
        "previous": 0,
        "event": "restock",
        "seq": 2,
        "at": events[2]["at"],
    }
    assert ISO_UTC.match(events[2]["at"])


def test_events_limit_keeps_only_the_newest(client, lamp):
    for _ in range(4):
        product_restock(sku="LAMP-1", quantity=1, source=Source.COMMAND)

    events = client.get("/api/products/LAMP-1/events?limit=2").json()["events"]

    assert [event["seq"] for event in events] == [3, 4]


def test_events_default_to_the_last_50(client, lamp):
    for _ in range(55):
        product_restock(sku="LAMP-1", quantity=1, source=Source.COMMAND)

    events = client.get("/api/products/LAMP-1/events").json()["events"]

    assert [event["seq"] for event in events] == list(range(6, 56))


def test_events_of_one_product_leave_out_the_others(client, lamp, sold_out_mug):
    product_restock(sku="MUG-2", quantity=1, source=Source.COMMAND)

    events = client.get("/api/products/LAMP-1/events").json()["events"]

    assert {event["sku"] for event in events} == {"LAMP-1"}


def test_the_openapi_schema_is_served_as_json(client):
    response = client.get("/api/openapi.json")

    assert response.status_code == 200
    assert "/api/products/{sku}/restock" in response.json()["paths"]
