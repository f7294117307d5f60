"""The WebSocket handshake of a real server: welcome, Origin check, bearer tokens."""

import pytest
from websockets.exceptions import InvalidStatus

from tests.support.client import StockSocket
from tests.support.server import Server, StaffUser

pytestmark = pytest.mark.e2e


async def test_anonymous_client_is_welcomed_with_protocol_and_heartbeat(server: Server):
    async with await StockSocket.open(server.ws_url) as socket:
        assert socket.welcome == {
            "type": "welcome",
            "protocol": 1,
            "user": None,
            "heartbeat": server.heartbeat,
        }


async def test_bearer_token_names_its_user_in_the_welcome(server: Server, staff: StaffUser):
    async with await StockSocket.open(server.ws_url, token=staff.token) as socket:
        assert socket.welcome["user"] == staff.username


async def test_unknown_bearer_token_is_refused_at_the_handshake(server: Server):
    with pytest.raises(InvalidStatus) as refused:
        await StockSocket.open(server.ws_url, token="sw_not-a-token-anyone-was-given")
    assert refused.value.response.status_code == 403


async def test_foreign_origin_is_refused_at_the_handshake(server: Server):
    with pytest.raises(InvalidStatus) as refused:
        await StockSocket.open(server.ws_url, origin="http://evil.example")
    assert refused.value.response.status_code == 403


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
async def test_origin_of_an_allowed_host_is_accepted(server: Server, host: str):
    async with await StockSocket.open(
        server.ws_url, origin=f"http://{host}:{server.port}"
    ) as socket:
        assert socket.welcome["type"] == "welcome"


async def test_handshake_without_origin_is_accepted(server: Server):
    # websockets sends no Origin unless asked to, like any non-browser client.
    async with await StockSocket.open(server.ws_url) as socket:
        assert await socket.request({"type": "ping", "id": "p1"}) == {"type": "pong", "id": "p1"}


async def test_server_started_with_another_heartbeat_reports_it(server_factory):
    other = server_factory.server(heartbeat=7, ping_timeout=5)
    async with await StockSocket.open(other.ws_url) as socket:
        assert socket.welcome["heartbeat"] == 7
