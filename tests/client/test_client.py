"""StockClient against a real server: snapshot, ordered events, errors, welcome."""

import httpx
import pytest

from stockwatch import (
    AuthenticationFailed,
    ConnectionFailed,
    StockClient,
    StockUpdate,
    UnknownProduct,
)
from tests.client.conftest import next_events, quiet
from tests.support.client import product_create, product_restock, product_set_stock
from tests.support.names import sku as new_sku
from tests.support.server import Server, StaffUser, free_port

pytestmark = pytest.mark.e2e


async def test_subscribe_returns_the_snapshot_of_each_product(
    server: Server, staff_api: httpx.AsyncClient
):
    lamp, chair = new_sku("LAMP"), new_sku("CHAIR")
    await product_create(staff_api, sku=lamp, name="Lamp", stock=3)
    await product_create(staff_api, sku=chair, name="Chair", stock=0)
    async with StockClient(server.ws_url) as client:
        snapshot = await client.subscribe([lamp, chair])
    assert sorted((p.sku, p.name, p.stock, p.seq) for p in snapshot) == sorted(
        [(lamp, "Lamp", 3, 0), (chair, "Chair", 0, 0)]
    )


async def test_events_of_each_product_arrive_once_in_seq_order(
    server: Server, staff_api: httpx.AsyncClient
):
    lamp, chair = new_sku("LAMP"), new_sku("CHAIR")
    await product_create(staff_api, sku=lamp, stock=0)
    await product_create(staff_api, sku=chair, stock=5)
    async with StockClient(server.ws_url) as client:
        await client.subscribe([lamp, chair])
        await product_restock(staff_api, sku=lamp, quantity=4)
        await product_set_stock(staff_api, sku=chair, stock=0)
        await product_restock(staff_api, sku=lamp, quantity=1)
        await product_set_stock(staff_api, sku=lamp, stock=0)
        events = await next_events(client, 4)
        assert await quiet(client, 0.5) == []
    assert all(isinstance(event, StockUpdate) for event in events)
    assert [(e.seq, e.event, e.previous, e.stock) for e in events if e.sku == lamp] == [
        (1, "restock", 0, 4),
        (2, "change", 4, 5),
        (3, "sold_out", 5, 0),
    ]
    assert [(e.seq, e.event, e.stock) for e in events if e.sku == chair] == [(1, "sold_out", 0)]


async def test_subscribing_to_every_product_hears_new_products_created(
    server: Server, staff_api: httpx.AsyncClient
):
    sku = new_sku("NEW")
    async with StockClient(server.ws_url) as client:
        await client.subscribe_all()
        await product_create(staff_api, sku=sku, stock=2)
        await product_restock(staff_api, sku=sku, quantity=1)
        events = [e for e in await next_events(client, 2) if e.sku == sku]
    # Other tests share the server; only this product's events are certain.
    assert [(e.seq, e.event, e.stock) for e in events][:1] == [(0, "created", 2)]


async def test_unknown_product_names_the_skus_and_subscribes_nothing(
    server: Server, staff_api: httpx.AsyncClient
):
    known, missing = new_sku("KNOWN"), new_sku("MISSING")
    await product_create(staff_api, sku=known, stock=1)
    async with StockClient(server.ws_url) as client:
        with pytest.raises(UnknownProduct) as refused:
            await client.subscribe([known, missing])
        await product_restock(staff_api, sku=known, quantity=1)
        assert await quiet(client, 0.5) == []
        # The connection stays usable after the error.
        assert [p.sku for p in await client.subscribe([known])] == [known]
    assert refused.value.skus == [missing]
    assert refused.value.code == "unknown_product"


async def test_bad_token_fails_authentication_at_connect(server: Server):
    client = StockClient(server.ws_url, token="sw_not-a-token-anyone-was-given")
    with pytest.raises(AuthenticationFailed, match="HTTP 403"):
        await client.connect()


async def test_welcome_reports_the_user_and_the_heartbeat(server: Server, staff: StaffUser):
    async with StockClient(server.ws_url, token=staff.token) as client:
        assert (client.user, client.heartbeat, client.protocol) == (
            staff.username,
            server.heartbeat,
            1,
        )
        assert await client.ping() >= 0
    async with StockClient(server.ws_url) as anonymous:
        assert anonymous.user is None


async def test_no_server_fails_to_connect_with_a_clear_error():
    client = StockClient(f"ws://127.0.0.1:{free_port()}/ws/stock/", open_timeout=2)
    with pytest.raises(ConnectionFailed, match="cannot connect"):
        await client.connect()


async def test_events_end_when_the_client_closes(server: Server, staff_api: httpx.AsyncClient):
    sku = new_sku("CLOSE")
    await product_create(staff_api, sku=sku, stock=0)
    client = StockClient(server.ws_url)
    await client.connect()
    await client.subscribe([sku])
    await product_restock(staff_api, sku=sku, quantity=1)
    [event] = await next_events(client, 1)
    await client.close()
    assert [e async for e in client.events()] == []
    assert event.seq == 1
