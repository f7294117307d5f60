"""Every bad request to the JSON API gets the error envelope and changes nothing."""

import json

import pytest
from django.db import connection
from django.test import Client, override_settings

from inventory.services import MAX_STOCK
from tests.inventory.helpers import error_of, send_json, store_state

pytestmark = pytest.mark.django_db

RESTOCK = "/api/products/LAMP-1/restock"


@pytest.mark.parametrize(
    "body",
    [
        {"quantity": True},
        {"quantity": 1.0},
        {"quantity": 1.5},
        {"quantity": "1"},
        {"quantity": None},
        {"quantity": 0},
        {"quantity": -1},
        {"quantity": MAX_STOCK + 1},
        {"quantity": 10**30},
        {"quantity": [1]},
        {},
        {"amount": 1},
    ],
    ids=repr,
)
def test_restock_with_a_bad_quantity_is_invalid_and_changes_nothing(clerk_client, lamp, body):
    before = store_state()

    response = send_json(clerk_client, "post", RESTOCK, body)

    assert error_of(response) == (400, "invalid")
    assert store_state() == before


@pytest.mark.parametrize(
    "raw",
    [
        "{bad json",
        "[1, 2]",
        '"quantity"',
        "3",
        "null",
        '{"quantity": NaN}',
        '{"quantity": Infinity}',
        '{"quantity": 1e400}',
        '{"quantity": ' + "9" * 5000 + "}",
        "[" * 100_000 + "]" * 100_000,
        b'{"quantity": "\xff"}',
        "",
    ],
    ids=lambda raw: repr(raw[:24]),
)
def test_a_body_that_is_no_json_object_is_invalid(clerk_client, lamp, raw):
    before = store_state()

    response = clerk_client.post(RESTOCK, raw, content_type="application/json")

    assert error_of(response) == (400, "invalid")
    assert store_state() == before


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
def test_a_write_not_sent_as_json_is_invalid(clerk_client, lamp, content_type):
    before = store_state()

    response = clerk_client.post(RESTOCK, json.dumps({"quantity": 1}), content_type=content_type)

    assert error_of(response) == (400, "invalid")
    assert store_state() == before


@pytest.mark.parametrize("stock", [-1, True, 2.0, "5", None, MAX_STOCK + 1])
def test_put_stock_with_a_bad_count_is_invalid(clerk_client, lamp, stock):
    before = store_state()

    response = send_json(clerk_client, "put", "/api/products/LAMP-1/stock", {"stock": stock})

    assert error_of(response) == (400, "invalid")
    assert store_state() == before


def test_put_stock_accepts_the_largest_count_and_zero(clerk_client, lamp):
    path = "/api/products/LAMP-1/stock"
    assert send_json(clerk_client, "put", path, {"stock": MAX_STOCK}).json()["stock"] == MAX_STOCK
    assert send_json(clerk_client, "put", path, {"stock": 0}).json()["stock"] == 0


def test_restock_past_the_largest_count_is_invalid_and_changes_nothing(clerk_client, lamp):
    send_json(clerk_client, "put", "/api/products/LAMP-1/stock", {"stock": MAX_STOCK - 1})
    before = store_state()

    response = send_json(clerk_client, "post", RESTOCK, {"quantity": 2})

    assert error_of(response) == (400, "invalid")
    assert store_state() == before


@pytest.mark.parametrize(
    "body",
    [
        {"name": "No sku"},
        {"sku": "", "name": "Empty sku"},
        {"sku": "-starts-with-dash", "name": "x"},
        {"sku": "has space", "name": "x"},
        {"sku": "x" * 65, "name": "Too long"},
        {"sku": "ok\n", "name": "Trailing newline"},
        {"sku": 12, "name": "Number sku"},
        {"sku": "OK1"},
        {"sku": "OK1", "name": ""},
        {"sku": "OK1", "name": "   "},
        {"sku": "OK1", "name": "n" * 201},
        {"sku": "OK1", "name": 7},
        {"sku": "OK1", "name": "x", "stock": -1},
        {"sku": "OK1", "name": "x", "stock": False},
        {"sku": "OK1", "name": "x", "stock": 1.0},
    ],
    ids=repr,
)
def test_create_with_a_bad_field_is_invalid_and_creates_nothing(clerk_client, lamp, body):
    before = store_state()

    response = send_json(clerk_client, "post", "/api/products/", body)

    assert error_of(response) == (400, "invalid")
    assert store_state() == before


def test_create_accepts_the_longest_sku_and_name(clerk_client):
    body = {"sku": "S" * 64, "name": "n" * 200}

    assert send_json(clerk_client, "post", "/api/products/", body).status_code == 201


def test_creating_a_sku_twice_is_a_conflict_and_changes_nothing(clerk_client, lamp):
    before = store_state()

    response = send_json(clerk_client, "post", "/api/products/", {"sku": "LAMP-1", "name": "Dup"})

    assert error_of(response) == (409, "exists")
    assert store_state() == before


def test_selling_more_than_in_stock_is_refused_and_changes_nothing(clerk_client, lamp):
    before = store_state()

    response = send_json(clerk_client, "post", "/api/products/LAMP-1/sell", {"quantity": 6})

    assert error_of(response) == (409, "insufficient_stock")
    assert store_state() == before


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/api/products/NOPE/", None),
        ("get", "/api/products/NOPE/events", None),
        ("post", "/api/products/NOPE/restock", {"quantity": 1}),
        ("post", "/api/products/NOPE/sell", {"quantity": 1}),
        ("put", "/api/products/NOPE/stock", {"stock": 1}),
    ],
)
def test_an_unknown_product_is_not_found(clerk_client, lamp, method, path, body):
    before = store_state()

    response = (
        clerk_client.get(path) if body is None else send_json(clerk_client, method, path, body)
    )

    assert error_of(response) == (404, "not_found")
    assert store_state() == before


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/products/bad!sku/"),
        ("get", "/api/products/-dash/events"),
        ("post", "/api/products/bad!sku/restock"),
        ("put", f"/api/products/{'x' * 65}/stock"),
    ],
)
def test_a_bad_sku_in_the_path_is_invalid(clerk_client, method, path):
    body = {"quantity": 1, "stock": 1}
    response = (
        clerk_client.get(path) if method == "get" else send_json(clerk_client, method, path, body)
    )

    assert error_of(response) == (400, "invalid")


@pytest.mark.parametrize("limit", ["0", "501", "-1", "abc", "1.5", ""])
def test_events_with_a_bad_limit_are_invalid(client, lamp, limit):
    response = client.get(f"/api/products/LAMP-1/events?limit={limit}")

    assert error_of(response) == (400, "invalid")


@pytest.mark.parametrize("limit", ["1", "500"])
def test_events_accept_limits_from_1_to_500(client, lamp, limit):
    assert client.get(f"/api/products/LAMP-1/events?limit={limit}").status_code == 200


@pytest.mark.parametrize(
    "path", ["/api/", "/api/nothing", "/api/products/LAMP-1/restock/", "/api/products/LAMP-1/x"]
)
def test_an_unknown_path_under_the_api_is_a_json_404(client, lamp, path):
    assert error_of(client.get(path)) == (404, "not_found")
    assert error_of(send_json(client, "post", path, {})) == (404, "not_found")


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("delete", "/api/products/", "GET, POST"),
        ("put", "/api/products/LAMP-1/", "GET"),
        ("get", "/api/products/LAMP-1/restock", "POST"),
        ("post", "/api/products/LAMP-1/stock", "PUT"),
        ("patch", "/api/products/LAMP-1/sell", "POST"),
    ],
)
def test_a_wrong_method_is_a_json_405_naming_the_allowed_ones(
    clerk_client, lamp, method, path, allowed
):
    before = store_state()

    response = getattr(clerk_client, method)(path)

    assert error_of(response) == (405, "method_not_allowed")
    assert sorted(response["Allow"].split(", ")) == sorted(allowed.split(", "))
    assert store_state() == before


def test_a_body_over_the_default_limit_is_too_large(clerk_client, lamp):
    before = store_state()
    body = json.dumps({"quantity": 1, "padding": "x" * (1024 * 1024)})

    response = clerk_client.post(RESTOCK, body, content_type="application/json")

    assert error_of(response) == (413, "too_large")
    assert store_state() == before


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=64)
def test_the_body_limit_is_the_setting(clerk_client, lamp):
    small = json.dumps({"quantity": 1})
    large = json.dumps({"quantity": 1, "padding": "x" * 64})

    assert clerk_client.post(RESTOCK, small, content_type="application/json").status_code == 200
    response = clerk_client.post(RESTOCK, large, content_type="application/json")
    assert error_of(response) == (413, "too_large")


def test_an_unexpected_failure_is_a_json_500_not_an_html_page(lamp):
    client = Client(raise_request_exception=False)

    with connection.execute_wrapper(_fail_every_query):
        response = client.get("/api/products/LAMP-1/")

    assert error_of(response) == (500, "internal")


def _fail_every_query(execute, sql, params, many, context):
    raise RuntimeError("the database is gone")
