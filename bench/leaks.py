"""Leak check: the server's memory over cycles of many WebSocket connects and disconnects.

Each cycle opens N connections at once to a server this script starts, subscribes each
(to one product or to "*"), then ends them: half with a clean close, half by dropping
the TCP connection. After each cycle it waits until the server reports no open
connection and records the server process's resident memory. A server that leaks
observers grows cycle after cycle; one that does not settles after the first cycles.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import tempfile
import time
from pathlib import Path

import httpx
from websockets.asyncio.client import connect

REPO_ROOT = Path(__file__).resolve().parents[1]


def rss_mib(pid: int) -> float:
    """Resident memory of process ``pid`` in MiB (Linux)."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)[1]) / 1024


def open_connections(base_url: str) -> float:
    text = httpx.get(base_url + "/metrics", timeout=10).text
    return float(re.search(r"^stockwatch_connections_open (\S+)$", text, re.MULTILINE)[1])


async def one_connection(url: str, number: int, skus: list[str], gate: asyncio.Semaphore) -> None:
    async with gate:
        connection = await connect(url, open_timeout=60, ping_interval=None)
    json.loads(await connection.recv())  # welcome
    wanted = "*" if number % 3 == 0 else [skus[number % len(skus)]]
    await connection.send(json.dumps({"type": "subscribe", "skus": wanted}))
    assert json.loads(await connection.recv())["type"] == "subscribed"
    if number % 2:
        await connection.close()
    else:
        connection.transport.abort()  # gone without a close frame, as a crashed client


async def cycle(url: str, connections: int, skus: list[str]) -> None:
    gate = asyncio.Semaphore(200)  # handshakes in flight at once
    await asyncio.gather(*(one_connection(url, n, skus, gate) for n in range(connections)))


def wait_until_closed(base_url: str, *, timeout: float = 60) -> float:
    deadline = time.monotonic() + timeout
    while (count := open_connections(base_url)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return count


def row(cycle: str, seconds: str, remaining: float, rss: float) -> None:
    print(f"{cycle:>5} | {seconds:>7} | {remaining:>10.0f} | {rss:>7.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=10)
    parser.add_argument("--connections", type=int, default=1000)
    args = parser.parse_args()

    sys.path.insert(0, str(REPO_ROOT))
    from bench.fanout import raise_file_limit
    from tests.support.server import ServerPool

    if args.connections + 100 > raise_file_limit():
        parser.error("the open-file limit is too low for that many connections")
    pool = ServerPool(root=Path(tempfile.mkdtemp(prefix="stockwatch-leaks-")))
    try:
        server = pool.server(
            store_env={
                "STOCKWATCH_LOG_LEVEL": "WARNING",
                # Every connection comes from this one address.
                "STOCKWATCH_MAX_CONNECTIONS_PER_ADDRESS": "0",
            }
        )
        server.manage("seed_demo")
        skus = [p["sku"] for p in httpx.get(server.base_url + "/api/products/").json()["products"]]
        print(f"server pid {server.pid}, {args.connections} connections per cycle")
        print(f"{'cycle':>5} | {'seconds':>7} | {'open after':>10} | {'RSS MiB':>7}")
        row("start", "", open_connections(server.base_url), rss_mib(server.pid))
        for number in range(1, args.cycles + 1):
            started = time.monotonic()
            asyncio.run(cycle(server.ws_url, args.connections, skus))
            remaining = wait_until_closed(server.base_url)
            seconds = time.monotonic() - started
            row(str(number), f"{seconds:.1f}", remaining, rss_mib(server.pid))
    finally:
        pool.close()


if __name__ == "__main__":
    main()
