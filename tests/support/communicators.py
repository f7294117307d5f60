"""Fixtures for Channels' communicators: a clean in-process layer, a hub, connected clients."""

import contextlib

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator

from config.asgi import application
from inventory import services
from realtime.hub import get_hub


@pytest.fixture
async def hub(transactional_db):
    """This test's hub, on a layer emptied of earlier tests' channels and groups."""
    await get_channel_layer().flush()
    current = get_hub()
    yield current
    await current.stop()
    await get_channel_layer().flush()


@pytest.fixture
async def connect(hub):
    """Open a WebSocket through the whole ASGI stack; returns (communicator, welcome).

    The welcome is None when the handshake was refused (daphne answers that with 403).
    """
    opened: list[WebsocketCommunicator] = []

    async def open_socket(*, headers=(), path="/ws/stock/"):
        communicator = WebsocketCommunicator(application, path, headers=list(headers))
        connected, code = await communicator.connect()
        if not connected:
            return communicator, None
        opened.append(communicator)
        return communicator, await communicator.receive_json_from()

    yield open_socket
    for communicator in opened:
        with contextlib.suppress(Exception):
            await communicator.disconnect()


@pytest.fixture
async def products(hub):
    """Two products: LAMP-1 sold out, CHAIR-2 with 3 in stock."""
    create = database_sync_to_async(services.product_create)
    return [
        await create(sku="LAMP-1", name="Lamp", stock=0),
        await create(sku="CHAIR-2", name="Chair", stock=3),
    ]
