"""Concurrent writers on PostgreSQL: seq stays contiguous and every subscriber hears all."""

import asyncio

import httpx
import pytest

from tests.support.client import StockSocket, bearer, product_create, product_get
from tests.support.fixtures import POSTGRES_URL, UNTHROTTLED
from tests.support.names import sku as new_sku

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

WRITERS = 8
CHANGES_EACH = 50
SUBSCRIBERS = 10
START_STOCK = 1000


async def test_concurrent_writers_make_contiguous_seqs_that_each_subscriber_sees_once(
    server_factory,
):
    # One process runs its sync views one at a time; test_processes makes writers of two
    # processes contend for the row lock as well.
    server = server_factory.server(database_url=POSTGRES_URL, store_env=UNTHROTTLED)
    token = server.staff_token()
    sku = new_sku("PG")
    async with httpx.AsyncClient(
        base_url=server.base_url, headers=bearer(token), timeout=30
    ) as api:
        await product_create(api, sku=sku, stock=START_STOCK)
        subscribers = [await StockSocket.open(server.ws_url) for _ in range(SUBSCRIBERS)]
        for socket in subscribers:
            await socket.subscribe([sku])

        async def writer(number: int) -> None:
            # Half restocks of 3, half sales of 1: every request changes the stock.
            for change in range(CHANGES_EACH):
                if (number + change) % 2:
                    path, quantity = "restock", 3
                else:
                    path, quantity = "sell", 1
                response = await api.post(
                    f"/api/products/{sku}/{path}", json={"quantity": quantity}
                )
                assert response.status_code == 200, response.text

        await asyncio.gather(*(writer(number) for number in range(WRITERS)))
        final = await product_get(api, sku=sku)

    total = WRITERS * CHANGES_EACH
    assert final["seq"] == total
    assert final["stock"] == START_STOCK + (total // 2) * 3 - (total // 2) * 1
    for socket in subscribers:
        frames = await socket.stock_frames(total, timeout=30)
        assert [f["seq"] for f in frames] == list(range(1, total + 1))
        assert all(f["previous"] == g["stock"] for g, f in zip(frames, frames[1:], strict=False))
        assert frames[-1]["stock"] == final["stock"]
        assert await socket.quiet(0.2) == []
        await socket.close()
