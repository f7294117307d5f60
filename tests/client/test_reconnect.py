"""Surviving a server that goes away: reconnect, resubscribe with ``since``, recover or resync."""

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from stockwatch import RecoveryGap, StockClient, StockUpdate
from tests.client.conftest import next_events, quiet
from tests.support.client import bearer, product_create, product_restock
from tests.support.names import sku as new_sku
from tests.support.server import Server, ServerPool

pytestmark = pytest.mark.e2e


@pytest.fixture
def own_server(server_factory: ServerPool) -> Server:
    """A server of this test alone, since the test stops it."""
    return server_factory.server()


@pytest.fixture
async def own_api(own_server: Server) -> AsyncIterator[httpx.AsyncClient]:
    token = await asyncio.to_thread(own_server.staff_token)
    async with httpx.AsyncClient(
        base_url=own_server.base_url, headers=bearer(token), timeout=10
    ) as client:
        yield client


def fast_client(server: Server) -> StockClient:
    return StockClient(server.ws_url, reconnect_base=0.2, reconnect_cap=1, reply_timeout=10)


async def restart_on_the_same_port(server: Server) -> None:
    port = server.port
    await asyncio.to_thread(server.start)
    assert server.port == port, "the server came back on another port"


async def test_events_made_while_the_server_was_down_arrive_once_after_it_returns(
    own_server: Server, own_api: httpx.AsyncClient
):
    sku = new_sku("OUTAGE")
    await product_create(own_api, sku=sku, stock=0)
    async with fast_client(own_server) as client:
        await client.subscribe([sku])
        await product_restock(own_api, sku=sku, quantity=1)
        await product_restock(own_api, sku=sku, quantity=1)
        before = await next_events(client, 2)

        await asyncio.to_thread(own_server.kill)
        # The restock command writes to the store while no server runs.
        await asyncio.to_thread(own_server.manage, "restock", sku, "3")
        await asyncio.to_thread(own_server.manage, "restock", sku, "4")
        await restart_on_the_same_port(own_server)
        await product_restock(own_api, sku=sku, quantity=5)

        after = await next_events(client, 3, timeout=20)
        assert await quiet(client, 1.5) == []
        assert client.reconnects == 1

    assert [(e.seq, e.stock) for e in before] == [(1, 1), (2, 2)]
    assert all(isinstance(e, StockUpdate) for e in after)
    assert [(e.seq, e.previous, e.stock) for e in after] == [(3, 2, 5), (4, 5, 9), (5, 9, 14)]


async def test_every_product_subscriber_recovers_across_a_graceful_restart(
    own_server: Server, own_api: httpx.AsyncClient
):
    lamp, chair = new_sku("LAMP"), new_sku("CHAIR")
    await product_create(own_api, sku=lamp, stock=0)
    await product_create(own_api, sku=chair, stock=0)
    async with fast_client(own_server) as client:
        await client.subscribe_all()
        await product_restock(own_api, sku=lamp, quantity=1)
        [live] = await next_events(client, 1)

        await asyncio.to_thread(own_server.stop)
        await asyncio.to_thread(own_server.manage, "restock", chair, "2")
        await asyncio.to_thread(own_server.manage, "restock", lamp, "2")
        await restart_on_the_same_port(own_server)

        recovered = await next_events(client, 2, timeout=20)
        assert await quiet(client, 1.5) == []

    assert (live.sku, live.seq) == (lamp, 1)
    # Each product's events are ordered; the order between products is not promised.
    assert sorted((e.sku, e.seq, e.stock) for e in recovered) == sorted(
        [(chair, 1, 2), (lamp, 2, 3)]
    )


async def test_events_the_server_no_longer_has_become_a_recovery_gap_with_the_snapshot(
    own_server: Server, own_api: httpx.AsyncClient
):
    sku = new_sku("GAP")
    await product_create(own_api, sku=sku, name="Lamp", stock=0)
    async with fast_client(own_server) as client:
        await client.subscribe([sku])
        await product_restock(own_api, sku=sku, quantity=1)
        await next_events(client, 1)

        await asyncio.to_thread(own_server.kill)
        await asyncio.to_thread(own_server.manage, "restock", sku, "2")
        await asyncio.to_thread(own_server.manage, "restock", sku, "3")
        # Age the outage's log rows past the 24 hours the server keeps.
        await asyncio.to_thread(
            own_server.store.shell,
            "from datetime import timedelta\n"
            "from django.db.models import F\n"
            "from inventory.models import StockEvent\n"
            f"StockEvent.objects.filter(sku={sku!r}).update(at=F('at') - timedelta(hours=25))",
        )
        await restart_on_the_same_port(own_server)
        [gap] = await next_events(client, 1, timeout=20)
        await product_restock(own_api, sku=sku, quantity=4)
        [live] = await next_events(client, 1)
        assert await quiet(client, 0.5) == []

    assert isinstance(gap, RecoveryGap)
    assert [(p.sku, p.name, p.stock, p.seq) for p in gap.snapshot] == [(sku, "Lamp", 6, 3)]
    assert isinstance(live, StockUpdate)
    assert (live.seq, live.previous, live.stock) == (4, 6, 10)


async def test_a_server_on_a_new_store_resyncs_even_where_seqs_went_back(
    own_server: Server, own_api: httpx.AsyncClient, server_factory: ServerPool
):
    sku = new_sku("MOVED")
    await product_create(own_api, sku=sku, stock=0)
    for quantity in (1, 1, 1):
        await product_restock(own_api, sku=sku, quantity=quantity)
    async with fast_client(own_server) as client:
        await client.subscribe_all()
        await asyncio.to_thread(own_server.kill)
        # The store is replaced: a new database, in which the product starts again.
        fresh = await asyncio.to_thread(server_factory.store)
        replacement = Server(fresh, name="replacement")
        replacement.port = own_server.port
        await asyncio.to_thread(replacement.start)
        try:
            assert replacement.port == own_server.port
            token = await asyncio.to_thread(replacement.staff_token)
            async with httpx.AsyncClient(
                base_url=replacement.base_url, headers=bearer(token), timeout=10
            ) as api:
                [gap] = await next_events(client, 1, timeout=20)
                await product_create(api, sku=sku, stock=0)
                await product_restock(api, sku=sku, quantity=7)
                live = await next_events(client, 2)
        finally:
            await asyncio.to_thread(replacement.stop)

    # The new store has no products yet: the snapshot that is the truth is empty.
    assert gap == RecoveryGap(snapshot=())
    assert all(isinstance(e, StockUpdate) for e in live)
    assert [(e.sku, e.seq, e.event, e.stock) for e in live] == [
        (sku, 0, "created", 0),
        (sku, 1, "restock", 7),
    ]
