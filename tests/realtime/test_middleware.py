"""The handshake: Origin check, session and bearer-token authentication."""

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth import get_user_model

from inventory.tokens import token_issue, token_revoke

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    "origin", [b"http://evil.example", b"null", b"http://localhost.evil.example"]
)
async def test_foreign_origin_is_refused_at_the_handshake(connect, origin):
    _, welcome = await connect(headers=[(b"origin", origin)])
    assert welcome is None


@pytest.mark.parametrize(
    "origin", [b"http://127.0.0.1:8000", b"http://localhost", b"https://[::1]:9"]
)
async def test_origin_of_an_allowed_host_is_accepted(connect, origin):
    _, welcome = await connect(headers=[(b"origin", origin)])
    assert welcome["type"] == "welcome"


async def test_handshake_without_origin_is_accepted(connect):
    _, welcome = await connect()
    assert welcome["type"] == "welcome"


async def test_bearer_token_names_the_user_in_the_welcome(connect):
    def make_token():
        user = get_user_model().objects.create_user("alice")
        return token_issue(user=user)

    token = await database_sync_to_async(make_token)()
    _, welcome = await connect(headers=[(b"authorization", f"Bearer {token}".encode())])
    assert welcome["user"] == "alice"


@pytest.mark.parametrize("header", [b"Bearer sw_not-a-token", b"Bearer ", b"Basic YWxpY2U6eA=="])
async def test_unknown_or_malformed_token_is_refused_at_the_handshake(connect, header):
    _, welcome = await connect(headers=[(b"authorization", header)])
    assert welcome is None


async def test_revoked_token_is_refused_at_the_handshake(connect):
    def make_revoked_token():
        token = token_issue(user=get_user_model().objects.create_user("bob"))
        token_revoke(raw=token)
        return token

    token = await database_sync_to_async(make_revoked_token)()
    _, welcome = await connect(headers=[(b"authorization", f"Bearer {token}".encode())])
    assert welcome is None


async def test_token_of_a_deactivated_user_is_refused(connect):
    def make_token():
        user = get_user_model().objects.create_user("carol", is_active=False)
        return token_issue(user=user)

    token = await database_sync_to_async(make_token)()
    _, welcome = await connect(headers=[(b"authorization", f"Bearer {token}".encode())])
    assert welcome is None
