"""Catching up after a reconnect with ``since``, against a real server."""

import asyncio

import httpx
import pytest

from tests.support.client import StockSocket, product_create, product_restock, product_set_stock
from tests.support.names import sku as new_sku
from tests.support.server import Server

pytestmark = pytest.mark.e2e


async def test_reconnecting_client_recovers_the_frames_it_missed_then_hears_live_ones(
    server: Server, staff_api: httpx.AsyncClient
):
    sku = new_sku("SINCE")
    await product_create(staff_api, sku=sku, stock=0)
    async with await StockSocket.open(server.ws_url) as watcher:
        await watcher.subscribe([sku])
        async with await StockSocket.open(server.ws_url) as leaving:
            await leaving.subscribe([sku])
            await product_restock(staff_api, sku=sku, quantity=1)
            last_seen = (await leaving.stock_frame(timeout=2))["seq"]
        await product_restock(staff_api, sku=sku, quantity=2)
        await product_restock(staff_api, sku=sku, quantity=3)
        await product_set_stock(staff_api, sku=sku, stock=0)
        sent_live = await watcher.stock_frames(4, timeout=3)

    async with await StockSocket.open(server.ws_url) as back:
        reply = await back.subscribe([sku], since={sku: last_seen})
        await product_restock(staff_api, sku=sku, quantity=8)
        live = await back.stock_frame(timeout=2)
        assert await back.quiet(0.3) == []

    assert last_seen == 1
    assert reply["recovered"] is True
    assert reply["missed"] == sent_live[1:]
    assert [f["seq"] for f in reply["missed"]] == [2, 3, 4]
    assert [(p["sku"], p["seq"], p["stock"]) for p in reply["snapshot"]] == [(sku, 4, 0)]
    assert (live["seq"], live["event"], live["stock"]) == (5, "restock", 8)


async def test_since_at_the_current_seq_recovers_nothing_missed(
    server: Server, staff_api: httpx.AsyncClient
):
    sku = new_sku("SINCE")
    await product_create(staff_api, sku=sku, stock=0)
    await product_restock(staff_api, sku=sku, quantity=1)
    async with await StockSocket.open(server.ws_url) as socket:
        reply = await socket.subscribe([sku], since={sku: 1})
    assert (reply["recovered"], reply["missed"]) == (True, [])


async def test_since_from_the_future_is_not_recovered_and_the_snapshot_is_the_truth(
    server: Server, staff_api: httpx.AsyncClient
):
    sku = new_sku("SINCE")
    await product_create(staff_api, sku=sku, stock=0)
    await product_restock(staff_api, sku=sku, quantity=6)
    async with await StockSocket.open(server.ws_url) as socket:
        reply = await socket.subscribe([sku], since={sku: 99})
    assert (reply["recovered"], reply["missed"]) == (False, [])
    assert [(p["seq"], p["stock"]) for p in reply["snapshot"]] == [(1, 6)]


async def test_events_older_than_the_retention_are_not_recovered(
    server: Server, staff_api: httpx.AsyncClient
):
    sku = new_sku("OLD")
    await product_create(staff_api, sku=sku, stock=0)
    await product_restock(staff_api, sku=sku, quantity=1)
    await product_restock(staff_api, sku=sku, quantity=1)
    # Age the log rows past the 24 hours the server promises to keep.
    await asyncio.to_thread(
        server.store.shell,
        "from datetime import timedelta\n"
        "from django.db.models import F\n"
        "from inventory.models import StockEvent\n"
        f"StockEvent.objects.filter(sku={sku!r}).update(at=F('at') - timedelta(hours=25))",
    )
    async with await StockSocket.open(server.ws_url) as socket:
        reply = await socket.subscribe([sku], since={sku: 0})
    assert (reply["recovered"], reply["missed"]) == (False, [])
    assert [(p["seq"], p["stock"]) for p in reply["snapshot"]] == [(2, 2)]
