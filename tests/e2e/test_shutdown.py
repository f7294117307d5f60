"""Stopping and losing server processes: clients are told at once and recover with since."""

import asyncio
import time

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from tests.support.client import StockSocket, bearer, product_create, product_restock
from tests.support.fixtures import POSTGRES_URL, REDIS_URL, UNTHROTTLED
from tests.support.names import sku as new_sku

pytestmark = pytest.mark.e2e


async def closed_code(socket: StockSocket, *, timeout: float) -> int | None:
    try:
        while True:
            await asyncio.wait_for(socket.connection.recv(), timeout)
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None


async def test_sigterm_closes_every_socket_promptly_with_a_close_frame(server_factory):
    server = server_factory.server()
    sku = new_sku("BYE")
    async with httpx.AsyncClient(
        base_url=server.base_url, headers=bearer(server.staff_token()), timeout=10
    ) as api:
        await product_create(api, sku=sku, stock=1)
    subscribed = [await StockSocket.open(server.ws_url) for _ in range(5)]
    for socket in subscribed:
        await socket.subscribe([sku])
    idle = await StockSocket.open(server.ws_url)
    started = time.monotonic()
    stopping = asyncio.get_running_loop().run_in_executor(None, server.stop)
    codes = await asyncio.gather(*(closed_code(s, timeout=5) for s in [*subscribed, idle]))
    await stopping
    for socket in [*subscribed, idle]:
        await socket.close()
    assert codes == [4001] * 6
    assert time.monotonic() - started < 3


@pytest.mark.postgres
@pytest.mark.redis
async def test_client_of_a_killed_process_recovers_every_change_on_another(server_factory):
    first = server_factory.server(
        database_url=POSTGRES_URL, redis_url=REDIS_URL, store_env=UNTHROTTLED
    )
    second = server_factory.server(first.store)
    sku = new_sku("KILL")
    async with httpx.AsyncClient(
        base_url=second.base_url, headers=bearer(first.staff_token()), timeout=10
    ) as api:
        await product_create(api, sku=sku, stock=0)
        watcher = await StockSocket.open(first.ws_url)
        reply = await watcher.subscribe([sku])
        await product_restock(api, sku=sku, quantity=1)
        last_seen = (await watcher.stock_frame(sku=sku))["seq"]
        assert last_seen == reply["snapshot"][0]["seq"] + 1

        first.kill()
        for _ in range(3):  # Changes while the client has no server.
            await product_restock(api, sku=sku, quantity=1)

        again = await StockSocket.open(second.ws_url)
        recovered = await again.subscribe([sku], since={sku: last_seen})
        assert recovered["recovered"] is True
        assert [f["seq"] for f in recovered["missed"]] == [2, 3, 4]
        await product_restock(api, sku=sku, quantity=1)
        assert (await again.stock_frame(sku=sku))["seq"] == 5
        assert await again.quiet(0.3, sku=sku) == []
        await again.close()
        await watcher.close()
