"""No leaked observers: after cycles of connects and disconnects the bookkeeping is back at zero."""

import asyncio
import itertools
import os

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth import get_user_model
from prometheus_client import REGISTRY

from config.asgi import application
from inventory.tokens import token_issue
from realtime.presence import local_counts

pytestmark = pytest.mark.django_db(transaction=True)

#: The per-address limit as the whole ASGI stack holds it.
LIMIT = application.application_mapping["websocket"]
GAUGES = ("stockwatch_connections_open", "stockwatch_subscriptions")


def gauges() -> dict[str, float]:
    return {name: REGISTRY.get_sample_value(name) for name in GAUGES}


def bookkeeping(hub) -> dict[str, object]:
    """Everything that holds a connection or counts one, as it should be with none open."""
    return {
        "by_sku": dict(hub.by_sku),
        "everyone": set(hub.everyone),
        "by_user": dict(hub.by_user),
        "connections": set(hub.connections),
        "presence": dict(local_counts([hub])),
        "per_address": dict(LIMIT.open),
        **gauges(),
    }


async def open_and_close(kind: int, headers: list) -> None:
    """One connection's life, ending in one of the ways a connection ends."""
    communicator = WebsocketCommunicator(application, "/ws/stock/", headers=headers)
    connected, _ = await communicator.connect(timeout=10)
    assert connected
    assert (await communicator.receive_json_from(timeout=10))["type"] == "welcome"
    skus = [["LAMP-1"], "*", ["LAMP-1", "CHAIR-2"], ["CHAIR-2"]][kind % 4]
    await communicator.send_json_to({"type": "subscribe", "skus": skus})
    if kind % 5 == 4:
        # Gone in the middle of its subscribe, without waiting for the reply.
        await communicator.send_input({"type": "websocket.disconnect", "code": 1006})
    else:
        assert (await communicator.receive_json_from(timeout=10))["type"] == "subscribed"
        if kind % 5 == 0:
            await communicator.disconnect(code=1000)  # a clean close
            return
        if kind % 5 == 1:
            # Closed by the server: a frame over the limit gets 4009.
            await communicator.send_to(text_data="x" * (64 * 1024 + 1))
            assert (await communicator.receive_output(timeout=10))["code"] == 4009
        # Otherwise the TCP connection drops: daphne reports 1006 and no close handshake.
        await communicator.send_input({"type": "websocket.disconnect", "code": 1006})
    await communicator.wait(timeout=10)


async def run_cycles(hub, *, cycles: int, connections: int) -> list[dict]:
    """Open ``connections`` at once (anonymous and signed in), end them all, ``cycles`` times."""
    users = get_user_model().objects
    tokens = [
        await database_sync_to_async(token_issue)(
            user=await database_sync_to_async(users.create_user)(f"leak-{n}")
        )
        for n in range(3)
    ]
    headers = [[]] + [[(b"authorization", f"Bearer {token}".encode())] for token in tokens]
    before = bookkeeping(hub)
    after_each = []
    kinds = itertools.count()
    for _ in range(cycles):
        await asyncio.gather(
            *(
                open_and_close(kind, headers[kind % len(headers)])
                for kind in itertools.islice(kinds, connections)
            )
        )
        after_each.append(bookkeeping(hub))
    return [before, *after_each]


def _assert_back_to_zero(states: list[dict]) -> None:
    before, *after_each = states
    assert before["connections"] == set()
    for state in after_each:
        assert state == before


@pytest.fixture
def no_limit(settings):
    """Every test connection comes from one address; the per-address limit is not under test."""
    settings.STOCKWATCH_MAX_CONNECTIONS_PER_ADDRESS = 0


async def test_cycles_of_connects_and_disconnects_leave_no_observer_behind(hub, products, no_limit):
    states = await run_cycles(hub, cycles=5, connections=200)

    _assert_back_to_zero(states)


@pytest.mark.soak
async def test_many_cycles_of_many_connections_leave_no_observer_behind(hub, products, no_limit):
    cycles = int(os.environ.get("STOCKWATCH_SOAK_CYCLES", "10"))
    connections = int(os.environ.get("STOCKWATCH_SOAK_CONNECTIONS", "1000"))

    states = await run_cycles(hub, cycles=cycles, connections=connections)

    _assert_back_to_zero(states)


async def test_a_connection_the_server_cancels_before_its_disconnect_leaves_nothing_behind(
    hub, products
):
    before = bookkeeping(hub)
    communicator = WebsocketCommunicator(application, "/ws/stock/")
    await communicator.connect()
    await communicator.receive_json_from()
    await communicator.send_json_to({"type": "subscribe", "skus": ["LAMP-1"]})
    assert (await communicator.receive_json_from())["type"] == "subscribed"

    # daphne cancels an application that has not ended soon enough after its socket
    # closed (--application-close-timeout), and every one still running when it stops.
    communicator.future.cancel()
    await communicator.wait()

    assert bookkeeping(hub) == before
