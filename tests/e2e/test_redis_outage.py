"""A Redis outage: health turns 503, HTTP keeps serving, and nothing committed is lost."""

import asyncio
import shutil
import subprocess
import time

import httpx
import pytest
import redis

from tests.support.client import StockSocket, bearer, product_create, product_restock
from tests.support.fixtures import POSTGRES_URL, UNTHROTTLED
from tests.support.names import sku as new_sku
from tests.support.server import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.redis]


class PrivateRedis:
    """A redis-server of this test's own, so that stopping it disturbs no one else."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server"),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None


@pytest.fixture
def private_redis():
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is needed for this test (Debian package redis-server)")
    server = PrivateRedis()
    server.start()
    yield server
    server.stop()


async def health(api: httpx.AsyncClient) -> int:
    return (await api.get("/healthz")).status_code


async def eventually(check, expected, timeout=15):
    deadline = time.monotonic() + timeout
    while (value := await check()) != expected and time.monotonic() < deadline:
        await asyncio.sleep(0.3)
    return value


async def test_redis_outage_loses_nothing_and_servers_recover_by_themselves(
    private_redis, server_factory
):
    server = server_factory.server(
        database_url=POSTGRES_URL, redis_url=private_redis.url, store_env=UNTHROTTLED
    )
    sku = new_sku("OUT")
    async with httpx.AsyncClient(
        base_url=server.base_url, headers=bearer(server.staff_token()), timeout=10
    ) as api:
        await product_create(api, sku=sku, stock=0)
        staying = await StockSocket.open(server.ws_url)
        await staying.subscribe([sku])
        leaving = await StockSocket.open(server.ws_url)
        await leaving.subscribe([sku])
        await product_restock(api, sku=sku, quantity=1)
        assert (await staying.stock_frame(sku=sku))["seq"] == 1
        assert (await leaving.stock_frame(sku=sku))["seq"] == 1
        await leaving.close()
        assert await health(api) == 200

        private_redis.stop()
        assert await eventually(lambda: health(api), 503) == 503
        body = (await api.get("/healthz")).json()
        assert body["database"] == "ok" and body["channel_layer"].startswith("error")
        # HTTP keeps serving: reads, and writes that commit (their announcement is lost).
        assert (await api.get(f"/api/products/{sku}/")).status_code == 200
        for _ in range(3):
            await product_restock(api, sku=sku, quantity=1)

        private_redis.start()
        assert await eventually(lambda: health(api), 200) == 200
        # The connected client gets what was committed during the outage, in order...
        assert [f["seq"] for f in await staying.stock_frames(3, sku=sku, timeout=15)] == [2, 3, 4]
        # ...one that reconnects recovers it with since...
        again = await StockSocket.open(server.ws_url)
        reply = await again.subscribe([sku], since={sku: 1})
        assert reply["recovered"] is True
        assert [f["seq"] for f in reply["missed"]] == [2, 3, 4]
        # ...and live delivery works again for both.
        await product_restock(api, sku=sku, quantity=1)
        assert (await staying.stock_frame(sku=sku))["seq"] == 5
        assert (await again.stock_frame(sku=sku))["seq"] == 5
        await again.close()
        await staying.close()
