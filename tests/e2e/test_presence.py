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


async def group_members(server, sku: str) -> list[str]:
    """The channel-layer members of the product's group, as the store's Redis holds them."""
    import redis.asyncio

    prefix = server.store.key_prefix
    client = redis.asyncio.Redis.from_url(REDIS_URL)
    try:
        members = await client.zrange(f"{prefix}:asgi:group:stock.product.{sku}", 0, -1)
    finally:
        await client.aclose()
    return sorted(member.decode() for member in members)


async def test_a_killed_process_stops_being_a_group_member_within_the_expiry(server_factory):
    env = {**UNTHROTTLED, "STOCKWATCH_GROUP_EXPIRY": "4"}
    first = server_factory.server(database_url=POSTGRES_URL, redis_url=REDIS_URL, store_env=env)
    second = server_factory.server(first.store)
    sku = new_sku("GONE")
    async with httpx.AsyncClient(
        base_url=second.base_url, headers=bearer(first.staff_token()), timeout=10
    ) as api:
        await product_create(api, sku=sku, stock=0)
        sockets = [await StockSocket.open(s.ws_url) for s in (first, second)]
        for socket in sockets:
            await socket.subscribe([sku])
        assert len(await group_members(first, sku)) == 2

        first.kill()
        await asyncio.sleep(5)
        # The survivor refreshed its membership; the dead one lapsed and is gone at the
        # next send.
        await api.post(f"/api/products/{sku}/restock", json={"quantity": 1})
        assert (await sockets[1].stock_frame(sku=sku))["seq"] == 1
        assert len(await group_members(first, sku)) == 1
    for socket in sockets:
        await socket.close()
