"""Committed changes reach subscribers of a real server, whichever way they were made."""

import asyncio
import re
import time

import httpx
import pytest

from tests.support.client import (
    StockSocket,
    product_create,
    product_restock,
    product_set_stock,
)
from tests.support.names import sku as new_sku
from tests.support.server import Server, StaffUser

pytestmark = pytest.mark.e2e

ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


async def test_restock_over_http_sends_the_stock_frame_to_a_subscriber(
    server: Server, staff_api: httpx.AsyncClient
):
    sku = new_sku("LAMP")
    await product_create(staff_api, sku=sku, name="Desk lamp", stock=0)
    async with await StockSocket.open(server.ws_url) as socket:
        subscribed = await socket.subscribe([sku])
        assert subscribed["skus"] == [sku]
        assert [(p["sku"], p["stock"], p["seq"]) for p in subscribed["snapshot"]] == [(sku, 0, 0)]

        product = await product_restock(staff_api, sku=sku, quantity=12)
        frame = await socket.stock_frame(timeout=2)

    assert product["stock"] == 12 and product["seq"] == 1
    assert frame == {
        "type": "stock",
        "sku": sku,
        "name": "Desk lamp",
        "stock": 12,
        "previous": 0,
        "event": "restock",
        "seq": 1,
        "at": product["updated_at"],
    }
    assert ISO_UTC.match(frame["at"])


async def test_each_kind_of_change_arrives_with_its_event_in_seq_order(
    server: Server, staff_api: httpx.AsyncClient
):
    sku = new_sku("MUG")
    await product_create(staff_api, sku=sku, stock=0)
    async with await StockSocket.open(server.ws_url) as socket:
        await socket.subscribe([sku])
        await product_restock(staff_api, sku=sku, quantity=5)
        response = await staff_api.post(f"/api/products/{sku}/sell", json={"quantity": 2})
        assert response.status_code == 200, response.text
        await product_set_stock(staff_api, sku=sku, stock=0)
        await product_set_stock(staff_api, sku=sku, stock=0)  # no change: no event
        frames = await socket.stock_frames(3, timeout=3)
        assert await socket.quiet(0.5) == []

    assert [(f["seq"], f["event"], f["previous"], f["stock"]) for f in frames] == [
        (1, "restock", 0, 5),
        (2, "change", 5, 3),
        (3, "sold_out", 3, 0),
    ]


async def test_all_products_subscriber_hears_of_a_new_product_as_created_at_seq_0(
    server: Server, staff_api: httpx.AsyncClient
):
    sku = new_sku("NEW")
    async with await StockSocket.open(server.ws_url) as socket:
        await socket.subscribe("*")
        created = await product_create(staff_api, sku=sku, name="Brand new", stock=4)
        frame = await socket.stock_frame(sku=sku, timeout=2)

    assert frame == {
        "type": "stock",
        "sku": sku,
        "name": "Brand new",
        "stock": 4,
        "previous": 0,
        "event": "created",
        "seq": 0,
        "at": created["updated_at"],
    }


async def test_restock_command_in_another_process_reaches_subscribers_within_two_seconds(
    server: Server, staff_api: httpx.AsyncClient
):
    sku = new_sku("CMD")
    await product_create(staff_api, sku=sku, name="Command lamp", stock=3)
    async with await StockSocket.open(server.ws_url) as socket:
        await socket.subscribe([sku])
        await asyncio.to_thread(server.manage, "restock", sku, "4")
        committed = time.monotonic()
        frame = await socket.stock_frame(timeout=2)
        latency = time.monotonic() - committed

    assert (frame["sku"], frame["previous"], frame["stock"]) == (sku, 3, 7)
    assert (frame["event"], frame["seq"], frame["name"]) == ("change", 1, "Command lamp")
    assert latency < 2


async def test_restock_action_of_the_admin_sends_the_stock_frame(
    server: Server, staff: StaffUser, staff_api: httpx.AsyncClient
):
    sku = new_sku("ADM")
    await product_create(staff_api, sku=sku, name="Admin lamp", stock=0)
    pk = await asyncio.to_thread(product_pk, server, sku)
    async with (
        await StockSocket.open(server.ws_url) as socket,
        httpx.AsyncClient(base_url=server.base_url, timeout=10) as browser,
    ):
        await socket.subscribe([sku])
        await admin_login(browser, username=staff.username, password=staff.password)
        changelist = "/admin/inventory/product/"
        chosen = {"action": "restock_selected", "_selected_action": str(pk), "index": "0"}
        form = await browser.post(changelist, data={**chosen, **csrf(browser)})
        assert form.status_code == 200, form.text  # the intermediate form asking the quantity
        assert 'name="quantity"' in form.text
        done = await browser.post(
            changelist, data={**chosen, "apply": "1", "quantity": "9", **csrf(browser)}
        )
        assert done.status_code == 302, done.text
        frame = await socket.stock_frame(timeout=2)

    assert (frame["sku"], frame["event"], frame["previous"], frame["stock"], frame["seq"]) == (
        sku,
        "restock",
        0,
        9,
        1,
    )


def product_pk(server: Server, sku: str) -> int:
    code = f"from inventory.models import Product; print(Product.objects.get(sku={sku!r}).pk)"
    return int(server.store.shell(code).split()[-1])


def csrf(client: httpx.AsyncClient) -> dict[str, str]:
    return {"csrfmiddlewaretoken": client.cookies["csrftoken"]}


async def admin_login(client: httpx.AsyncClient, *, username: str, password: str) -> None:
    page = await client.get("/admin/login/")
    assert page.status_code == 200
    response = await client.post(
        "/admin/login/",
        data={"username": username, "password": password, "next": "/admin/", **csrf(client)},
    )
    assert response.status_code == 302 and response.headers["location"] == "/admin/", response.text
