"""Protocol clients for end-to-end tests: a stock WebSocket client and HTTP helpers."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import deque
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect


class StockSocket:
    """A WebSocket client of ``/ws/stock/`` that keeps frames apart by type.

    ``stock`` frames that arrive while the client waits for a reply are kept, in order,
    for ``stock_frames``; nothing a server sends is dropped silently.
    """

    def __init__(self, connection: ClientConnection, welcome: dict) -> None:
        self.connection = connection
        self.welcome = welcome
        self._stock: deque[dict] = deque()
        self._other: deque[dict] = deque()

    @classmethod
    async def open(
        cls,
        url: str,
        *,
        token: str | None = None,
        origin: str | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 10,
        **options: Any,
    ) -> StockSocket:
        """Connect (with a bearer ``token`` and ``origin`` when given) and read the welcome."""
        extra = dict(headers or {})
        if token:
            extra["Authorization"] = f"Bearer {token}"
        connection = await connect(
            url,
            additional_headers=extra,
            origin=origin,
            open_timeout=timeout,
            max_size=None,
            **options,
        )
        welcome = json.loads(await asyncio.wait_for(connection.recv(), timeout))
        if welcome.get("type") != "welcome":
            await connection.close()
            raise AssertionError(f"expected a welcome first, got {welcome}")
        return cls(connection, welcome)

    async def __aenter__(self) -> StockSocket:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self.connection.close()

    async def send(self, message: dict | str) -> None:
        await self.connection.send(message if isinstance(message, str) else json.dumps(message))

    async def _read(self, timeout: float) -> dict:
        frame = json.loads(await asyncio.wait_for(self.connection.recv(), timeout))
        if frame.get("type") == "stock":
            self._stock.append(frame)
        else:
            self._other.append(frame)
        return frame

    async def reply(self, *, timeout: float = 5) -> dict:
        """The next frame that is not a ``stock`` frame."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not self._other:
            await self._read(max(deadline - loop.time(), 0.001))
        return self._other.popleft()

    async def request(self, message: dict, *, timeout: float = 5) -> dict:
        """Send ``message`` and return the server's reply to it."""
        await self.send(message)
        return await self.reply(timeout=timeout)

    async def subscribe(
        self, skus: list[str] | str, *, since: dict[str, int] | None = None, timeout: float = 5
    ) -> dict:
        """Subscribe and return the reply, insisting that it is ``subscribed``."""
        message: dict = {"type": "subscribe", "skus": skus}
        if since is not None:
            message["since"] = since
        reply = await self.request(message, timeout=timeout)
        if reply.get("type") != "subscribed":
            raise AssertionError(f"subscribe {skus!r} was answered with {reply}")
        return reply

    async def stock_frames(
        self, count: int, *, sku: str | None = None, timeout: float = 5
    ) -> list[dict]:
        """The next ``count`` stock frames (of ``sku`` only, when given; others are dropped).

        Fails when they do not all come within ``timeout`` seconds.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        frames: list[dict] = []
        while len(frames) < count:
            while self._stock and len(frames) < count:
                frame = self._stock.popleft()
                if sku is None or frame["sku"] == sku:
                    frames.append(frame)
            if len(frames) == count:
                break
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(
                    f"got {len(frames)} of {count} stock frames within {timeout} s: {frames[-3:]}"
                )
            with contextlib.suppress(TimeoutError):
                await self._read(remaining)
        return frames

    async def stock_frame(self, *, sku: str | None = None, timeout: float = 5) -> dict:
        return (await self.stock_frames(1, sku=sku, timeout=timeout))[0]

    async def quiet(self, seconds: float, *, sku: str | None = None) -> list[dict]:
        """Listen for ``seconds``; returns every unread frame (stock frames of ``sku`` only).

        Tests expect it to return nothing: no duplicate, no late or stray frame.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while (remaining := deadline - loop.time()) > 0:
            try:
                await self._read(remaining)
            except TimeoutError:
                break
        frames = [f for f in self._stock if sku is None or f["sku"] == sku] + list(self._other)
        self._stock.clear()
        self._other.clear()
        return frames


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def product_create(
    client: httpx.AsyncClient, *, sku: str, name: str | None = None, stock: int = 0
) -> dict:
    """Create a product over HTTP and return its PRODUCT data."""
    response = await client.post(
        "/api/products/", json={"sku": sku, "name": name or f"Product {sku}", "stock": stock}
    )
    assert response.status_code == 201, response.text
    return response.json()


async def product_restock(client: httpx.AsyncClient, *, sku: str, quantity: int) -> dict:
    response = await client.post(f"/api/products/{sku}/restock", json={"quantity": quantity})
    assert response.status_code == 200, response.text
    return response.json()


async def product_set_stock(client: httpx.AsyncClient, *, sku: str, stock: int) -> dict:
    response = await client.put(f"/api/products/{sku}/stock", json={"stock": stock})
    assert response.status_code == 200, response.text
    return response.json()


async def product_get(client: httpx.AsyncClient, *, sku: str) -> dict:
    response = await client.get(f"/api/products/{sku}/")
    assert response.status_code == 200, response.text
    return response.json()
