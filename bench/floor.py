"""The floor of the fan-out benchmark: a bare ``websockets`` server that broadcasts each change.

It speaks just enough of the public protocol for the load generator (``welcome``,
``subscribe`` answered by ``subscribed`` with a snapshot, ``stock`` frames with ``sku`` and
``seq``) and keeps its products in a dict. A change comes in as the same HTTP call the
real server takes (``POST /api/products/SKU/restock``, on a second port): the floor takes
the time stamp, serialises the ``stock`` frame once, hands it to every subscriber's socket
with ``websockets.broadcast`` and only then answers with the PRODUCT, whose
``updated_at`` the load generator times from. Nothing is stored, checked or ordered:
what is left is the cost of writing one frame to N sockets from one Python process.

    python bench/floor.py --port 8101 --http-port 8102
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import re
import signal
from datetime import UTC, datetime

from websockets.asyncio.server import ServerConnection, broadcast, serve
from websockets.exceptions import ConnectionClosed

logger = logging.getLogger(__name__)

#: Backlog of both listening sockets; the same as the benchmark gives daphne.
BACKLOG = 4096
RESTOCK = re.compile(r"^/api/products/([A-Za-z0-9][A-Za-z0-9._-]{0,63})/restock$")


def dumps(message: dict) -> str:
    return json.dumps(message, separators=(",", ":"))


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Floor:
    """Products, their subscribers and the two listeners."""

    def __init__(self, *, heartbeat: int) -> None:
        self.products: dict[str, dict] = {}
        self.subscribers: dict[str, set[ServerConnection]] = {}
        self.welcome = dumps(
            {"type": "welcome", "protocol": 1, "user": None, "heartbeat": heartbeat}
        )

    # -- WebSocket side ---------------------------------------------------------------

    async def serve_socket(self, connection: ServerConnection) -> None:
        watched: set[str] = set()
        try:
            await connection.send(self.welcome)
            async for text in connection:
                message = json.loads(text)
                kind = message.get("type")
                if kind == "subscribe":
                    skus = [sku for sku in message["skus"] if sku in self.products]
                    for sku in skus:
                        self.subscribers.setdefault(sku, set()).add(connection)
                    watched.update(skus)
                    snapshot = [self.products[sku] for sku in skus]
                    reply = {"type": "subscribed", "skus": skus, "snapshot": snapshot}
                    await connection.send(dumps(reply))
                elif kind == "ping":
                    await connection.send(dumps({"type": "pong"}))
        except ConnectionClosed:
            pass
        finally:
            for sku in watched:
                self.subscribers.get(sku, set()).discard(connection)

    # -- HTTP side: create and restock -------------------------------------------------

    async def serve_http(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                request = await reader.readline()
                if not request:
                    return
                method, path, _ = request.decode("latin-1").split(" ", 2)
                length = 0
                while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
                    name, _, value = line.decode("latin-1").partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value)
                body = json.loads(await reader.readexactly(length)) if length else {}
                status, payload = self.route(method, path, body)
                data = dumps(payload).encode()
                writer.write(
                    f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(data)}\r\n\r\n".encode()
                    + data
                )
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    def route(self, method: str, path: str, body: dict) -> tuple[str, dict]:
        if method == "GET" and path == "/healthz":
            return "200 OK", {"status": "ok"}
        if method == "POST" and path == "/api/products/":
            product = {
                "sku": body["sku"],
                "name": body.get("name", body["sku"]),
                "stock": body.get("stock", 0),
                "seq": 0,
                "updated_at": iso(datetime.now(UTC)),
            }
            self.products[product["sku"]] = product
            return "201 Created", product
        match = RESTOCK.match(path)
        if method == "POST" and match and match[1] in self.products:
            return "200 OK", self.restock(match[1], int(body.get("quantity", 1)))
        return "404 Not Found", {"error": {"code": "not_found", "message": path}}

    def restock(self, sku: str, quantity: int) -> dict:
        """Change the stock, then write one pre-serialised frame to every subscriber."""
        product = self.products[sku]
        previous = product["stock"]
        product["stock"] = previous + quantity
        product["seq"] += 1
        product["updated_at"] = iso(datetime.now(UTC))
        frame = dumps(
            {
                "type": "stock",
                "sku": sku,
                "name": product["name"],
                "stock": product["stock"],
                "previous": previous,
                "event": "restock" if previous == 0 else "change",
                "seq": product["seq"],
                "at": product["updated_at"],
            }
        )
        broadcast(self.subscribers.get(sku, ()), frame)
        return product


async def serve_floor(*, host: str, port: int, http_port: int, heartbeat: int) -> None:
    floor = Floor(heartbeat=heartbeat)
    stop = asyncio.get_running_loop().create_future()
    for signum in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(signum, stop.set_result, None)
    http = await asyncio.start_server(floor.serve_http, host, http_port, backlog=BACKLOG)
    async with serve(
        floor.serve_socket,
        host,
        port,
        compression=None,
        ping_interval=None,
        max_size=64 * 1024,
        backlog=BACKLOG,
    ):
        async with http:
            logger.info("floor on ws://%s:%d, http://%s:%d", host, port, host, http_port)
            await stop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True, help="WebSocket port")
    parser.add_argument("--http-port", type=int, required=True, help="port of the change API")
    parser.add_argument("--heartbeat", type=int, default=600, help="reported in the welcome")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(
        serve_floor(
            host=args.host, port=args.port, http_port=args.http_port, heartbeat=args.heartbeat
        )
    )


if __name__ == "__main__":
    main()
