"""A snapshot taken while writers hammer a product is followed by every later change, once."""

import asyncio

import httpx
import pytest

from tests.support.client import StockSocket, product_create, product_get, product_restock
from tests.support.names import sku as new_sku
from tests.support.server import Server

pytestmark = pytest.mark.e2e


async def test_subscribers_joining_mid_stream_get_each_change_after_their_snapshot_once(
    server: Server, staff_api: httpx.AsyncClient
):
    sku = new_sku("HOT")
    await product_create(staff_api, sku=sku, stock=0)
    stop = asyncio.Event()

    async def writer() -> int:
        writes = 0
        while not stop.is_set():
            await product_restock(staff_api, sku=sku, quantity=1)
            writes += 1
        return writes

    writers = [asyncio.create_task(writer()) for _ in range(2)]
    joined: list[tuple[StockSocket, int]] = []
    try:
        for _ in range(6):
            await asyncio.sleep(0.15)
            socket = await StockSocket.open(server.ws_url)
            (snapshot,) = (await socket.subscribe([sku]))["snapshot"]
            assert snapshot["stock"] == snapshot["seq"]  # every change added exactly 1
            joined.append((socket, snapshot["seq"]))
        await asyncio.sleep(0.3)
    finally:
        stop.set()
        writes = sum(await asyncio.gather(*writers))

    final = await product_get(staff_api, sku=sku)
    assert final["seq"] == final["stock"] == writes
    snapshot_seqs = [seq for _, seq in joined]
    assert any(0 < seq < writes for seq in snapshot_seqs), "no subscribe raced the writers"
    for socket, seq in joined:
        frames = await socket.stock_frames(writes - seq, timeout=15)
        assert [f["seq"] for f in frames] == list(range(seq + 1, writes + 1))
        assert [f["stock"] for f in frames] == [f["seq"] for f in frames]
        assert await socket.quiet(0.3) == []
        await socket.close()
