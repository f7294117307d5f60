"""The alert endpoints: arm, re-arm, cancel and list one's own alerts; every error."""

import pytest
from django.db import IntegrityError, transaction
from django.test import Client, override_settings
from django.utils import timezone

from alerts.models import AlertStatus, BackInStockAlert
from inventory import services
from inventory.tokens import token_issue, token_revoke
from tests.alerts.conftest import bearer_client, signed_in
from tests.inventory.helpers import error_of

pytestmark = pytest.mark.django_db

ALERT = "/api/products/LAMP-1/alert"


def alert_rows() -> list[tuple]:
    rows = BackInStockAlert.objects.order_by("id")
    return list(rows.values_list("user__username", "product__sku", "status"))


def test_arming_answers_201_with_the_armed_alert(alice, lamp):
    before = timezone.now()

    response = signed_in(alice).post(ALERT)

    assert response.status_code == 201
    alert = response.json()
    assert set(alert) == {"sku", "status", "created_at", "notified_at"}
    assert alert["sku"] == "LAMP-1"
    assert alert["status"] == "armed"
    assert alert["notified_at"] is None
    assert alert["created_at"].endswith("Z")
    assert alert["created_at"] >= before.strftime("%Y-%m-%dT%H:%M:%S")
    assert alert_rows() == [("alice", "LAMP-1", "armed")]


def test_arming_an_armed_alert_again_answers_200_with_the_same_alert(alice, lamp):
    client = signed_in(alice)
    first = client.post(ALERT).json()

    response = client.post(ALERT)

    assert response.status_code == 200
    assert response.json() == first
    assert alert_rows() == [("alice", "LAMP-1", "armed")]


def test_a_bearer_token_arms_too(alice, lamp):
    response = bearer_client(alice).post(ALERT)

    assert response.status_code == 201
    assert alert_rows() == [("alice", "LAMP-1", "armed")]


def test_an_in_stock_product_can_be_armed_for_its_next_restock(alice, chair):
    response = signed_in(alice).post("/api/products/CHAIR-2/alert")

    assert response.status_code == 201
    assert response.json()["status"] == "armed"


def test_a_notified_alert_is_re_armed_with_201(alice, lamp):
    client = signed_in(alice)
    client.post(ALERT)
    services.product_restock(sku="LAMP-1", quantity=2)
    assert client.get("/api/alerts/").json()["alerts"][0]["status"] == "notified"

    response = client.post(ALERT)

    assert response.status_code == 201
    assert response.json()["status"] == "armed"
    assert response.json()["notified_at"] is None
    [alert] = client.get("/api/alerts/").json()["alerts"]
    assert alert["status"] == "armed"
    assert alert_rows() == [("alice", "LAMP-1", "notified"), ("alice", "LAMP-1", "armed")]


def test_cancelling_answers_204_and_the_alert_is_gone_from_the_list(alice, lamp):
    client = signed_in(alice)
    client.post(ALERT)

    response = client.delete(ALERT)

    assert response.status_code == 204
    assert response.content == b""
    assert client.get("/api/alerts/").json() == {"alerts": []}
    assert alert_rows() == [("alice", "LAMP-1", "cancelled")]


def test_cancelling_when_none_is_armed_answers_204_and_changes_nothing(alice, lamp):
    response = signed_in(alice).delete(ALERT)

    assert response.status_code == 204
    assert alert_rows() == []


def test_a_cancelled_alert_does_not_fire(alice, lamp):
    client = signed_in(alice)
    client.post(ALERT)
    client.delete(ALERT)

    services.product_restock(sku="LAMP-1", quantity=2)

    assert alert_rows() == [("alice", "LAMP-1", "cancelled")]


def test_arming_after_cancelling_arms_a_new_alert(alice, lamp):
    client = signed_in(alice)
    client.post(ALERT)
    client.delete(ALERT)

    response = client.post(ALERT)

    assert response.status_code == 201
    assert [a["status"] for a in client.get("/api/alerts/").json()["alerts"]] == ["armed"]


def test_the_list_holds_the_callers_own_alerts_only_ordered_by_sku(alice, bob, lamp, chair):
    signed_in(alice).post(ALERT)
    signed_in(alice).post("/api/products/CHAIR-2/alert")
    signed_in(bob).post(ALERT)

    mine = signed_in(alice).get("/api/alerts/")
    theirs = bearer_client(bob).get("/api/alerts/")

    assert mine.status_code == theirs.status_code == 200
    assert [(a["sku"], a["status"]) for a in mine.json()["alerts"]] == [
        ("CHAIR-2", "armed"),
        ("LAMP-1", "armed"),
    ]
    assert [(a["sku"], a["status"]) for a in theirs.json()["alerts"]] == [("LAMP-1", "armed")]


def test_the_list_shows_a_fired_alert_as_notified_with_its_time(alice, lamp):
    client = signed_in(alice)
    client.post(ALERT)
    restocked = services.product_restock(sku="LAMP-1", quantity=2)

    [alert] = client.get("/api/alerts/").json()["alerts"]

    assert alert["status"] == "notified"
    assert alert["notified_at"] == restocked.updated_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_cancelling_leaves_other_shoppers_alerts_armed(alice, bob, lamp):
    signed_in(alice).post(ALERT)
    signed_in(bob).post(ALERT)

    signed_in(alice).delete(ALERT)

    assert alert_rows() == [("alice", "LAMP-1", "cancelled"), ("bob", "LAMP-1", "armed")]


def test_the_database_refuses_a_second_armed_alert_for_one_user_and_product(alice, lamp):
    BackInStockAlert.objects.create(user=alice, product=lamp, created_at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():
        BackInStockAlert.objects.create(user=alice, product=lamp, created_at=timezone.now())
    # History rows are no armed ones: any number may stand beside the armed one.
    for status in (AlertStatus.NOTIFIED, AlertStatus.CANCELLED, AlertStatus.NOTIFIED):
        BackInStockAlert.objects.create(
            user=alice, product=lamp, status=status, created_at=timezone.now()
        )
    assert BackInStockAlert.objects.count() == 4


# -- errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"), [("post", ALERT), ("delete", ALERT), ("get", "/api/alerts/")]
)
def test_anonymous_callers_are_unauthenticated(client, lamp, method, path):
    response = getattr(client, method)(path)

    assert error_of(response) == (401, "unauthenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert alert_rows() == []


@pytest.mark.parametrize("method", ["post", "delete"])
def test_an_unknown_product_is_not_found(alice, db, method):
    response = getattr(signed_in(alice), method)("/api/products/NOPE-9/alert")

    assert error_of(response) == (404, "not_found")
    assert alert_rows() == []


@pytest.mark.parametrize("method", ["post", "delete"])
def test_a_malformed_sku_is_invalid(alice, db, method):
    response = getattr(signed_in(alice), method)("/api/products/-bad/alert")

    assert error_of(response) == (400, "invalid")


@pytest.mark.parametrize("method", ["post", "delete"])
def test_a_session_without_the_csrf_token_is_forbidden(alice, lamp, method):
    if method == "delete":
        signed_in(alice).post(ALERT)
    client = signed_in(alice, enforce_csrf=True)
    before = alert_rows()

    response = getattr(client, method)(ALERT)

    assert error_of(response) == (403, "forbidden")
    assert "CSRF" in response.json()["error"]["message"]
    assert alert_rows() == before


def test_a_session_with_the_csrf_token_may_arm_and_cancel(alice, lamp):
    client = signed_in(alice, enforce_csrf=True)
    client.get("/admin/login/")  # a page with a form hands out the CSRF cookie
    token = client.cookies["csrftoken"].value

    armed = client.post(ALERT, headers={"X-CSRFToken": token})
    cancelled = client.delete(ALERT, headers={"X-CSRFToken": token})

    assert (armed.status_code, cancelled.status_code) == (201, 204)


@pytest.mark.parametrize("method", ["post", "delete", "get"])
def test_a_revoked_token_is_unauthenticated(alice, lamp, method):
    token = token_issue(user=alice)
    token_revoke(raw=token)
    path = "/api/alerts/" if method == "get" else ALERT

    response = getattr(Client(headers={"Authorization": f"Bearer {token}"}), method)(path)

    assert error_of(response) == (401, "unauthenticated")


def test_a_token_of_a_deactivated_user_is_unauthenticated(alice, lamp):
    client = bearer_client(alice)
    alice.is_active = False
    alice.save()

    assert error_of(client.post(ALERT)) == (401, "unauthenticated")


@pytest.mark.parametrize(
    ("method", "path"), [("put", ALERT), ("patch", ALERT), ("post", "/api/alerts/")]
)
def test_other_methods_are_not_allowed(alice, lamp, method, path):
    response = getattr(signed_in(alice), method)(path)

    assert error_of(response)[0] == 405
    assert response["Allow"]
    assert alert_rows() == []


@override_settings(STOCKWATCH_API_WRITE_RATE="3/m")
def test_arming_and_cancelling_over_the_write_rate_is_rate_limited(alice, lamp):
    client = bearer_client(alice)
    assert [client.post(ALERT).status_code for _ in range(2)] == [201, 200]
    assert client.delete(ALERT).status_code == 204

    response = client.post(ALERT)

    assert error_of(response) == (429, "rate_limited")
    assert int(response["Retry-After"]) >= 1
    assert alert_rows() == [("alice", "LAMP-1", "cancelled")]
    # Reads are not writes: the list still answers.
    assert client.get("/api/alerts/").status_code == 200
