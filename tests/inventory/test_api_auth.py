"""Who may read and write through the JSON API, with which credentials, and how often."""

import pytest
from django.test import Client, override_settings

from inventory.models import ApiToken, StockEvent
from inventory.tokens import token_issue, token_revoke
from tests.inventory.helpers import error_of, send_json, store_state

pytestmark = pytest.mark.django_db

RESTOCK = "/api/products/LAMP-1/restock"
WRITES = [
    ("post", "/api/products/", {"sku": "NEW-1", "name": "New"}),
    ("post", "/api/products/LAMP-1/restock", {"quantity": 1}),
    ("post", "/api/products/LAMP-1/sell", {"quantity": 1}),
    ("put", "/api/products/LAMP-1/stock", {"stock": 9}),
]


def bearer(token: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {token}"})


def signed_in(user, *, enforce_csrf: bool = False) -> Client:
    client = Client(enforce_csrf_checks=enforce_csrf)
    client.force_login(user)
    return client


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_an_anonymous_write_is_unauthenticated_and_changes_nothing(
    client, lamp, method, path, body
):
    before = store_state()

    response = send_json(client, method, path, body)

    assert error_of(response) == (401, "unauthenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert store_state() == before


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_a_shopper_cannot_write(shopper, lamp, method, path, body):
    before = store_state()

    response = send_json(signed_in(shopper), method, path, body)

    assert error_of(response) == (403, "forbidden")
    assert store_state() == before


def test_staff_without_the_permission_cannot_write(staff_without_permission, lamp):
    before = store_state()

    response = send_json(signed_in(staff_without_permission), "post", RESTOCK, {"quantity": 1})

    assert error_of(response) == (403, "forbidden")
    assert store_state() == before


def test_a_shopper_token_cannot_write(shopper, lamp):
    response = send_json(bearer(token_issue(user=shopper)), "post", RESTOCK, {"quantity": 1})

    assert error_of(response) == (403, "forbidden")


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_a_superuser_session_can_write(superuser, lamp, method, path, body):
    response = send_json(signed_in(superuser), method, path, body)

    assert response.status_code in (200, 201)


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_a_bearer_token_with_the_permission_can_write(clerk_token, lamp, method, path, body):
    response = send_json(bearer(clerk_token), method, path, body)

    assert response.status_code in (200, 201)


def test_a_token_write_is_logged_as_its_user_and_marks_the_token_used(clerk, clerk_token, lamp):
    send_json(bearer(clerk_token), "post", RESTOCK, {"quantity": 1})

    assert StockEvent.objects.get(sku="LAMP-1", seq=1).actor == clerk
    assert ApiToken.objects.get(user=clerk).last_used_at is not None


def test_the_token_wins_over_the_session(shopper, clerk_token, lamp):
    client = signed_in(shopper, enforce_csrf=True)
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {clerk_token}"

    response = send_json(client, "post", RESTOCK, {"quantity": 1})

    assert response.status_code == 200
    assert StockEvent.objects.get(sku="LAMP-1", seq=1).actor.username == "clerk"


@pytest.mark.parametrize("path", ["/api/products/", "/api/products/LAMP-1/", RESTOCK])
def test_a_revoked_token_is_refused_wherever_it_is_presented(clerk_token, lamp, path):
    token_revoke(raw=clerk_token)
    client = bearer(clerk_token)
    before = store_state()

    response = (
        client.get(path) if path != RESTOCK else send_json(client, "post", path, {"quantity": 1})
    )

    assert error_of(response) == (401, "unauthenticated")
    assert store_state() == before


@pytest.mark.parametrize(
    "header", ["Bearer sw_not-a-real-token", "Bearer ", "Basic Y2xlcms6cHc=", "sw_abc"]
)
def test_an_unusable_authorization_header_is_unauthenticated_even_for_reads(lamp, header):
    client = Client(headers={"Authorization": header})

    assert error_of(client.get("/api/products/")) == (401, "unauthenticated")
    assert error_of(send_json(client, "post", RESTOCK, {"quantity": 1})) == (
        401,
        "unauthenticated",
    )


def test_a_token_of_a_deactivated_user_is_refused(clerk, clerk_token, lamp):
    clerk.is_active = False
    clerk.save()

    assert error_of(bearer(clerk_token).get("/api/products/")) == (401, "unauthenticated")


def test_reads_need_no_credentials(client, lamp):
    assert client.get("/api/products/").status_code == 200
    assert client.get("/api/products/LAMP-1/").status_code == 200
    assert client.get("/api/products/LAMP-1/events").status_code == 200


def test_a_session_write_without_the_csrf_token_is_forbidden(clerk, lamp):
    client = signed_in(clerk, enforce_csrf=True)
    before = store_state()

    response = send_json(client, "post", RESTOCK, {"quantity": 1})

    assert error_of(response) == (403, "forbidden")
    assert "CSRF" in response.json()["error"]["message"]
    assert store_state() == before


def test_a_session_write_with_the_csrf_token_succeeds(clerk, lamp):
    client = signed_in(clerk, enforce_csrf=True)
    client.get("/admin/")  # a page with a form hands out the CSRF cookie
    token = client.cookies["csrftoken"].value

    response = send_json(client, "post", RESTOCK, {"quantity": 1}, HTTP_X_CSRFTOKEN=token)

    assert response.status_code == 200


def test_a_token_write_needs_no_csrf_token(clerk_token, lamp):
    client = Client(enforce_csrf_checks=True, headers={"Authorization": f"Bearer {clerk_token}"})

    assert send_json(client, "post", RESTOCK, {"quantity": 1}).status_code == 200


@override_settings(STOCKWATCH_API_WRITE_RATE="2/h")
def test_writes_beyond_the_rate_are_limited_and_change_nothing(clerk_token, lamp):
    client = bearer(clerk_token)
    assert send_json(client, "post", RESTOCK, {"quantity": 1}).status_code == 200
    assert send_json(client, "post", RESTOCK, {"quantity": 1}).status_code == 200
    before = store_state()

    response = send_json(client, "post", RESTOCK, {"quantity": 1})

    assert error_of(response) == (429, "rate_limited")
    assert int(response["Retry-After"]) >= 1
    assert store_state() == before


@override_settings(STOCKWATCH_API_WRITE_RATE="1/h")
def test_the_write_rate_counts_each_credential_apart(clerk, clerk_token, superuser, lamp):
    other_token = token_issue(user=clerk)
    assert send_json(bearer(clerk_token), "post", RESTOCK, {"quantity": 1}).status_code == 200
    assert send_json(bearer(clerk_token), "post", RESTOCK, {"quantity": 1}).status_code == 429

    assert send_json(bearer(other_token), "post", RESTOCK, {"quantity": 1}).status_code == 200
    session = signed_in(superuser)
    assert send_json(session, "post", RESTOCK, {"quantity": 1}).status_code == 200
    assert send_json(session, "post", RESTOCK, {"quantity": 1}).status_code == 429


@override_settings(STOCKWATCH_API_WRITE_RATE="1/h")
def test_reads_are_not_rate_limited(clerk_token, lamp):
    client = bearer(clerk_token)

    statuses = {client.get("/api/products/").status_code for _ in range(5)}

    assert statuses == {200}
