"""Across two daphne processes behind Redis: a restock through one tells every tab on both."""

import httpx
import pytest

from tests.support.client import StockSocket, bearer, product_create, product_restock
from tests.support.fixtures import POSTGRES_URL, REDIS_URL, UNTHROTTLED
from tests.support.names import sku as new_sku

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.redis]


async def test_an_alert_reaches_the_users_connections_on_both_processes_once(server_factory):
    first = server_factory.server(
        database_url=POSTGRES_URL, redis_url=REDIS_URL, store_env=UNTHROTTLED
    )
    second = server_factory.server(first.store)
    staff = first.staff_token()
    shopper = first.store.issue_token("alice", create=True)
    other = first.store.issue_token("bob", create=True)
    sku = new_sku("ALERT")
    async with (
        httpx.AsyncClient(base_url=first.base_url, headers=bearer(staff), timeout=10) as admin,
        httpx.AsyncClient(base_url=first.base_url, headers=bearer(shopper), timeout=10) as alice,
    ):
        await product_create(admin, sku=sku, name="Shared lamp", stock=0)
        armed = await alice.post(f"/api/products/{sku}/alert")
        assert armed.status_code == 201, armed.text
        on_first = await StockSocket.open(first.ws_url, token=shopper)
        on_second = await StockSocket.open(second.ws_url, token=shopper)
        bobs = await StockSocket.open(second.ws_url, token=other)
        await on_first.subscribe([sku])

        async with httpx.AsyncClient(
            base_url=second.base_url, headers=bearer(staff), timeout=10
        ) as via_second:
            product = await product_restock(via_second, sku=sku, quantity=4)

        expected = {
            "type": "alert",
            "sku": sku,
            "name": "Shared lamp",
            "stock": 4,
            "message": "Shared lamp is back in stock",
            "at": product["updated_at"],
        }
        assert await on_first.reply(timeout=5) == expected
        assert await on_second.reply(timeout=5) == expected
        assert [f["event"] for f in await on_first.stock_frames(1, sku=sku)] == ["restock"]
        for socket in (on_first, on_second, bobs):
            assert await socket.quiet(0.5) == []
            await socket.close()
        [alert] = (await alice.get("/api/alerts/")).json()["alerts"]
        assert alert["status"] == "notified"
        assert alert["notified_at"] == product["updated_at"]
