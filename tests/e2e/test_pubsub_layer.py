"""Two server processes on Redis's pub/sub channel layer act as one store, like on the core one."""

import asyncio

import httpx
import pytest

from tests.support.client import StockSocket, bearer, product_create, product_get, product_restock
from tests.support.fixtures import POSTGRES_URL, REDIS_URL, UNTHROTTLED
from tests.support.names import sku as new_sku

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.redis]

PUBSUB = {**UNTHROTTLED, "STOCKWATCH_CHANNEL_LAYER": "pubsub"}


async def test_on_the_pubsub_layer_changes_through_both_processes_reach_both_once_in_order(
    server_factory,
):
    first = server_factory.server(database_url=POSTGRES_URL, redis_url=REDIS_URL, store_env=PUBSUB)
    second = server_factory.server(first.store)
    headers = bearer(first.staff_token())
    sku = new_sku("PUBSUB")
    async with (
        httpx.AsyncClient(base_url=first.base_url, headers=headers, timeout=30) as via_first,
        httpx.AsyncClient(base_url=second.base_url, headers=headers, timeout=30) as via_second,
    ):
        await product_create(via_first, sku=sku, stock=0)
        sockets = [await StockSocket.open(server.ws_url) for server in (first, second)]
        for socket in sockets:
            await socket.subscribe([sku])

        async def writer(api: httpx.AsyncClient) -> None:
            for _ in range(20):
                await product_restock(api, sku=sku, quantity=1)

        await asyncio.gather(writer(via_first), writer(via_second))
        final = await product_get(via_second, sku=sku)

    assert final["seq"] == final["stock"] == 40
    for socket in sockets:
        frames = await socket.stock_frames(40, timeout=20)
        assert [f["seq"] for f in frames] == list(range(1, 41))
        assert await socket.quiet(0.5) == []
        await socket.close()
