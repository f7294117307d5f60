"""Presence: how many connections watch a product, added up over server processes."""

import asyncio

import httpx
import pytest

from tests.support.client import StockSocket, bearer, product_create
from tests.support.fixtures import POSTGRES_URL, REDIS_URL, UNTHROTTLED
from tests.support.names import sku as new_sku

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.redis]

FAST_PRESENCE = {**UNTHROTTLED, "STOCKWATCH_PRESENCE_SECONDS": "0.5"}


async def watching(server, sku: str) -> int:
    async with await StockSocket.open(server.ws_url) as probe:
        reply = await probe.subscribe([sku])
    return reply["snapshot"][0]["watching"]


async def eventually(check, expected, *, timeout: float = 10):
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await check()
        if value == expected or asyncio.get_running_loop().time() > deadline:
            return value
        await asyncio.sleep(0.3)


async def test_watchers_on_every_process_are_counted_and_a_killed_one_drops_out(server_factory):
    first = server_factory.server(
        database_url=POSTGRES_URL, redis_url=REDIS_URL, store_env=FAST_PRESENCE
    )
    second = server_factory.server(first.store)
    sku = new_sku("SEEN")
    async with httpx.AsyncClient(
        base_url=second.base_url, headers=bearer(first.staff_token()), timeout=10
    ) as api:
        await product_create(api, sku=sku, stock=0)
    on_first = [await StockSocket.open(first.ws_url) for _ in range(3)]
    for socket in on_first:
        await socket.subscribe([sku])
    on_second = await StockSocket.open(second.ws_url)
    await on_second.subscribe("*")

    # The probe itself is one more watcher on the second process.
    assert await eventually(lambda: watching(second, sku), 5) == 5

    first.kill()
    assert await eventually(lambda: watching(second, sku), 2) == 2
    await on_second.close()
    for socket in on_first:
        await socket.close()
