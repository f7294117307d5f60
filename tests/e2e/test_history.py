"""``GET /api/products/SKU/events``: a product's last stock events, as the socket sent them."""

import httpx
import pytest

from tests.support.client import StockSocket, product_create, product_restock
from tests.support.names import sku as new_sku
from tests.support.server import Server

pytestmark = pytest.mark.e2e


async def test_events_endpoint_returns_the_last_frames_oldest_first(
    server: Server, staff_api: httpx.AsyncClient, anonymous_api: httpx.AsyncClient
):
    sku = new_sku("HIST")
    await product_create(staff_api, sku=sku, stock=0)
    async with await StockSocket.open(server.ws_url) as socket:
        await socket.subscribe([sku])
        for quantity in (1, 2, 3):
            await product_restock(staff_api, sku=sku, quantity=quantity)
        frames = await socket.stock_frames(3, timeout=3)

    last_two = await anonymous_api.get(f"/api/products/{sku}/events", params={"limit": 2})
    default = await anonymous_api.get(f"/api/products/{sku}/events")

    assert last_two.status_code == 200, last_two.text
    assert last_two.json() == {"events": frames[1:]}
    assert [e["seq"] for e in default.json()["events"]] == [0, 1, 2, 3]
    assert default.json()["events"][1:] == frames


@pytest.mark.parametrize("limit", ["0", "501", "many"])
async def test_events_endpoint_refuses_a_limit_outside_1_to_500(
    server: Server, staff_api: httpx.AsyncClient, limit: str
):
    sku = new_sku("HIST")
    await product_create(staff_api, sku=sku, stock=0)
    response = await staff_api.get(f"/api/products/{sku}/events", params={"limit": limit})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


async def test_events_of_an_unknown_product_are_not_found(anonymous_api: httpx.AsyncClient):
    response = await anonymous_api.get("/api/products/NO-SUCH-SKU/events")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
