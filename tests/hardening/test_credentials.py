"""Credentials: tokens kept only as hashes, cookies locked down, errors that reveal no one."""

import hashlib
import json

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client

from inventory.models import ApiToken
from inventory.tokens import token_issue, token_revoke
from realtime import groups
from realtime.protocol import dumps

pytestmark = pytest.mark.django_db


def test_a_token_is_stored_only_as_its_hash(clerk):
    raw = token_issue(user=clerk)

    row = ApiToken.objects.values().get()

    assert row["key_hash"] == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in json.dumps(row, default=str)
    assert raw.startswith(row["prefix"]) and len(row["prefix"]) <= 10


def test_cookies_outside_debug_are_secure_http_only_and_same_site(django_user_model):
    assert not settings.DEBUG  # the test settings are the production ones here
    django_user_model.objects.create_user("alice", password="a long pass phrase")
    client = Client()
    client.get("/accounts/login/")

    response = client.post(
        "/accounts/login/", {"username": "alice", "password": "a long pass phrase"}
    )

    session, csrf = response.cookies["sessionid"], response.cookies["csrftoken"]
    assert (session["secure"], session["httponly"], session["samesite"]) == (True, True, "Lax")
    assert (csrf["secure"], csrf["samesite"]) == (True, "Lax")


def test_a_failed_login_does_not_tell_whether_the_user_exists(django_user_model):
    django_user_model.objects.create_user("alice", password="a long pass phrase")

    def login_error(username: str) -> tuple[int, list[str]]:
        response = Client().post(
            "/accounts/login/", {"username": username, "password": "wrong guess"}
        )
        return response.status_code, response.context["form"].non_field_errors()

    assert login_error("alice") == login_error("nobody-of-that-name")


def test_an_unknown_a_revoked_and_a_deactivated_users_token_get_the_same_answer(
    clerk, shopper, lamp
):
    revoked = token_issue(user=clerk)
    token_revoke(raw=revoked)
    deactivated = token_issue(user=shopper)
    shopper.is_active = False
    shopper.save()

    answers = {
        (response.status_code, response.content)
        for token in ("sw_unknown0000000000000000000000000000000000", revoked, deactivated)
        for response in [Client(headers={"Authorization": f"Bearer {token}"}).get("/api/products/")]
    }

    assert len(answers) == 1
    assert answers.pop()[0] == 401


@pytest.mark.django_db(transaction=True)
async def test_a_users_alert_reaches_only_that_users_connections(connect, hub):
    def two_users():
        users = get_user_model().objects
        alice, bob = users.create_user("alice"), users.create_user("bob")
        return alice, token_issue(user=alice), token_issue(user=bob)

    alice, alice_token, bob_token = await database_sync_to_async(two_users)()
    alice_socket, _ = await connect(headers=[(b"authorization", f"Bearer {alice_token}".encode())])
    bob_socket, _ = await connect(headers=[(b"authorization", f"Bearer {bob_token}".encode())])
    anonymous, _ = await connect()
    frame = dumps({"type": "alert", "sku": "LAMP-1", "name": "Lamp", "stock": 1})

    # As realtime.alert_bridge announces a restock that fired alice's alert.
    await get_channel_layer().group_send(
        groups.ALERTS,
        {"type": "alerts.fired", "sku": "LAMP-1", "seq": 1, "user_ids": [alice.pk], "frame": frame},
    )

    assert (await alice_socket.receive_json_from(timeout=2))["type"] == "alert"
    assert await bob_socket.receive_nothing(timeout=0.3)
    assert await anonymous.receive_nothing(timeout=0.1)
