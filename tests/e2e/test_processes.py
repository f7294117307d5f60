"""Two server processes behind Redis on one PostgreSQL database act as one store."""

import asyncio

import httpx
import pytest

from tests.support.client import StockSocket, bearer, product_create, product_get, product_restock
from tests.support.fixtures import POSTGRES_URL, REDIS_URL, UNTHROTTLED
from tests.support.names import sku as new_sku

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.redis]


async def test_client_of_one_process_receives_changes_made_through_the_other_once_in_order(
    server_factory,
):
    first = server_factory.server(
        database_url=POSTGRES_URL, redis_url=REDIS_URL, store_env=UNTHROTTLED
    )
    second = server_factory.server(first.store)
    token = first.staff_token()
    sku = new_sku("TWO")
    headers = bearer(token)
    async with (
        httpx.AsyncClient(base_url=first.base_url, headers=headers, timeout=30) as via_first,
        httpx.AsyncClient(base_url=second.base_url, headers=headers, timeout=30) as via_second,
    ):
        await product_create(via_second, sku=sku, stock=0)
        on_first = await StockSocket.open(first.ws_url)
        on_second = await StockSocket.open(second.ws_url)
        for socket in (on_first, on_second):
            await socket.subscribe([sku])

        # Writers on both processes at once: the row lock orders them across processes.
        async def writer(api: httpx.AsyncClient) -> None:
            for _ in range(25):
                await product_restock(api, sku=sku, quantity=1)

        await asyncio.gather(*(writer(api) for api in (via_first, via_second) * 2))
        await product_restock(via_second, sku=sku, quantity=1)
        final = await product_get(via_first, sku=sku)

    assert final["seq"] == final["stock"] == 101
    for socket in (on_first, on_second):
        frames = await socket.stock_frames(101, timeout=20)
        assert [f["seq"] for f in frames] == list(range(1, 102))
        assert [f["stock"] for f in frames] == list(range(1, 102))
        assert await socket.quiet(0.5) == []
        await socket.close()


async def test_change_made_through_one_process_reaches_the_other_at_once(server_factory):
    first = server_factory.server(database_url=POSTGRES_URL, redis_url=REDIS_URL)
    second = server_factory.server(first.store)
    token = second.staff_token()
    sku = new_sku("TWO")
    async with httpx.AsyncClient(
        base_url=second.base_url, headers=bearer(token), timeout=10
    ) as api:
        await product_create(api, sku=sku, name="Shared lamp", stock=0)
        async with await StockSocket.open(first.ws_url) as socket:
            await socket.subscribe([sku])
            product = await product_restock(api, sku=sku, quantity=2)
            frame = await socket.stock_frame(timeout=1)

    assert frame == {
        "type": "stock",
        "sku": sku,
        "name": "Shared lamp",
        "stock": 2,
        "previous": 0,
        "event": "restock",
        "seq": 1,
        "at": product["updated_at"],
    }
