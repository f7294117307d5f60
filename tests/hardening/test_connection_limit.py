"""Connections per address: the one over the limit is closed with 4029, and counts never leak."""

import asyncio

import pytest
from channels.testing import WebsocketCommunicator

from config.asgi import application
from realtime.middleware import CLOSE_TOO_MANY_CONNECTIONS, ConnectionLimit

pytestmark = pytest.mark.django_db(transaction=True)

#: The limit as the whole ASGI stack holds it.
LIMIT = application.application_mapping["websocket"]


def from_address(address: str):
    """The application, as reached by a peer at ``address``."""

    async def app(scope, receive, send):
        return await application(dict(scope, client=[address, 40000]), receive, send)

    return app


async def open_from(address: str) -> tuple[WebsocketCommunicator, dict]:
    """Connect from ``address``: the communicator and its first frame (welcome, or the close)."""
    communicator = WebsocketCommunicator(from_address(address), "/ws/stock/")
    connected, _ = await communicator.connect()
    assert connected
    return communicator, await communicator.receive_output(timeout=2)


@pytest.fixture
def limit_of_three(hub, settings):
    settings.STOCKWATCH_MAX_CONNECTIONS_PER_ADDRESS = 3
    yield
    assert LIMIT.open == {}, "every count goes back to zero once its connection ends"


async def test_the_connection_over_the_limit_is_closed_with_4029(limit_of_three):
    opened = [await open_from("10.0.0.1") for _ in range(3)]
    assert all(first["type"] == "websocket.send" for _, first in opened)

    refused, first = await open_from("10.0.0.1")

    assert first == {"type": "websocket.close", "code": CLOSE_TOO_MANY_CONNECTIONS}
    for communicator, _ in opened:
        await communicator.disconnect()
    await refused.wait()


async def test_a_closed_connection_frees_its_place(limit_of_three):
    opened = [await open_from("10.0.0.1") for _ in range(3)]
    await opened.pop()[0].disconnect()

    again, first = await open_from("10.0.0.1")

    assert first["type"] == "websocket.send"
    for communicator, _ in [*opened, (again, None)]:
        await communicator.disconnect()


async def test_other_addresses_have_limits_of_their_own(limit_of_three):
    opened = [await open_from("10.0.0.1") for _ in range(3)]

    other, first = await open_from("10.0.0.2")

    assert first["type"] == "websocket.send"
    assert LIMIT.open == {"10.0.0.1": 3, "10.0.0.2": 1}
    for communicator, _ in [*opened, (other, None)]:
        await communicator.disconnect()


async def test_a_limit_of_zero_limits_nothing(hub, settings):
    settings.STOCKWATCH_MAX_CONNECTIONS_PER_ADDRESS = 0
    opened = [await open_from("10.0.0.1") for _ in range(5)]

    assert all(first["type"] == "websocket.send" for _, first in opened)
    for communicator, _ in opened:
        await communicator.disconnect()
    assert LIMIT.open == {}


async def test_a_crashing_application_releases_its_count(settings):
    settings.STOCKWATCH_MAX_CONNECTIONS_PER_ADDRESS = 1

    async def crashing(scope, receive, send):
        await receive()
        await send({"type": "websocket.accept"})
        raise RuntimeError("the application failed")

    limit = ConnectionLimit(crashing)
    communicator = WebsocketCommunicator(limit, "/ws/stock/")
    await communicator.connect()

    with pytest.raises(RuntimeError):
        await communicator.wait()
    assert limit.open == {}


async def test_a_cancelled_application_releases_its_count(settings):
    settings.STOCKWATCH_MAX_CONNECTIONS_PER_ADDRESS = 1

    async def stuck(scope, receive, send):
        await receive()
        await send({"type": "websocket.accept"})
        await asyncio.Event().wait()

    limit = ConnectionLimit(stuck)
    communicator = WebsocketCommunicator(limit, "/ws/stock/")
    await communicator.connect()
    assert limit.open == {None: 1}

    await communicator.wait(timeout=0.1)  # cancels the application, as daphne does

    assert limit.open == {}
