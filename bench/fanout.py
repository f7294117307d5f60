"""Fan-out benchmark: how long until N WebSocket subscribers all have a stock change.

N clients, split over a few client processes, subscribe to one product of a running
server (or of one this script starts); the script then makes M restocks over HTTP, one
at a time, and measures for each change the time from its commit (the frame's ``at``)
until 50 %, 99 % and 100 % of the clients have its frame. It also counts lost,
duplicate and out-of-order frames. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import resource
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import httpx
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

REPO_ROOT = Path(__file__).resolve().parents[1]


def raise_file_limit() -> int:
    """Lift this process's open-file limit to its hard limit (children inherit it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        target = 1_048_576 if hard == resource.RLIM_INFINITY else hard
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    return soft


# -- client processes --------------------------------------------------------------------------


@dataclass
class Tally:
    """What one client process saw: per seq the arrival times, and the protocol faults."""

    arrivals: dict[int, list[float]] = field(default_factory=dict)
    duplicates: int = 0
    out_of_order: int = 0
    connected: int = 0
    failed: int = 0
    closed: int = 0


async def _client(url: str, sku: str, tally: Tally, gate: asyncio.Semaphore, seqs: dict) -> None:
    """One subscriber: connect, subscribe, then note every frame's arrival."""
    async with gate:
        try:
            connection = await connect(url, open_timeout=60, max_size=None, ping_interval=None)
            json.loads(await connection.recv())  # welcome
            await connection.send(json.dumps({"type": "subscribe", "skus": [sku]}))
            reply = json.loads(await connection.recv())
            assert reply["type"] == "subscribed", reply
        except Exception:
            tally.failed += 1
            return
    tally.connected += 1
    last = reply["snapshot"][0]["seq"]
    seen: set[int] = set()
    try:
        await _listen(connection, tally, seqs, seen, last)
    except ConnectionClosed:
        tally.closed += 1


async def _listen(connection, tally: Tally, seqs: dict, seen: set[int], last: int) -> None:
    async with connection:
        async for text in connection:
            arrived = time.time()
            frame = json.loads(text)
            if frame.get("type") != "stock":
                continue
            seq = frame["seq"]
            if seq in seen:
                tally.duplicates += 1
                continue
            if seq < last:
                tally.out_of_order += 1
            seen.add(seq)
            last = max(last, seq)
            tally.arrivals.setdefault(seq, []).append(arrived)
            seqs[seq] = seqs.get(seq, 0) + 1


def client_process(url: str, sku: str, count: int, pipe) -> None:
    """Run ``count`` subscribers; report readiness, per-seq completion, then the tally."""
    asyncio.run(_client_process(url, sku, count, pipe))


async def _client_process(url: str, sku: str, count: int, pipe) -> None:
    tally = Tally()
    gate = asyncio.Semaphore(64)  # connections being opened at once
    seqs: dict[int, int] = {}
    tasks = [asyncio.create_task(_client(url, sku, tally, gate, seqs)) for _ in range(count)]
    while tally.connected + tally.failed < count:
        await asyncio.sleep(0.05)
    pipe.send(("ready", tally.connected, tally.failed))
    loop = asyncio.get_running_loop()
    while True:
        command = await loop.run_in_executor(None, pipe.recv)
        if command[0] == "await":
            # Tell the parent once every connected client has this seq (or time is up).
            seq, deadline = command[1], time.monotonic() + command[2]
            while seqs.get(seq, 0) < tally.connected and time.monotonic() < deadline:
                await asyncio.sleep(0.002)
            pipe.send(("have", seq, seqs.get(seq, 0)))
        elif command[0] == "finish":
            await asyncio.sleep(command[1])  # let late duplicates show up
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            pipe.send(("tally", tally))
            return


# -- the run -----------------------------------------------------------------------------------


def percentile_time(arrivals: list[float], total: int, fraction: float) -> float | None:
    """When ``fraction`` of ``total`` clients had the frame; None if that many never did."""
    needed = max(1, int(-(-total * fraction // 1)))  # ceil
    if len(arrivals) < needed:
        return None
    return sorted(arrivals)[needed - 1]


@dataclass
class Result:
    clients: int
    connected: int
    failed: int
    changes: int
    p50: list[float]
    p99: list[float]
    p100: list[float]
    http: list[float]
    lost: int
    duplicates: int
    out_of_order: int
    closed: int


def run(
    *, base_url: str, token: str, clients: int, changes: int, processes: int, pause: float
) -> Result:
    ws_url = base_url.replace("http", "ws", 1) + "/ws/stock/"
    sku = f"BENCH-{os.getpid()}-{clients}-{int(time.time())}"
    api = httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=60)
    response = api.post("/api/products/", json={"sku": sku, "name": f"Bench {clients}"})
    response.raise_for_status()

    context = multiprocessing.get_context("spawn")
    pipes, workers = [], []
    shares = [clients // processes + (i < clients % processes) for i in range(processes)]
    for share in shares:
        parent_end, child_end = context.Pipe()
        worker = context.Process(
            target=client_process, args=(ws_url, sku, share, child_end), daemon=True
        )
        worker.start()
        pipes.append(parent_end)
        workers.append(worker)
    connected = failed = 0
    for pipe in pipes:
        _, ok, bad = pipe.recv()
        connected, failed = connected + ok, failed + bad

    commits: dict[int, float] = {}
    http: list[float] = []
    for _ in range(changes):
        sent = time.time()
        response = api.post(f"/api/products/{sku}/restock", json={"quantity": 1})
        response.raise_for_status()
        http.append(time.time() - sent)
        product = response.json()
        commits[product["seq"]] = datetime.fromisoformat(product["updated_at"]).timestamp()
        for pipe in pipes:
            pipe.send(("await", product["seq"], 30))
        for pipe in pipes:
            pipe.recv()
        time.sleep(pause)

    for pipe in pipes:
        pipe.send(("finish", 1.0))
    tallies: list[Tally] = [pipe.recv()[1] for pipe in pipes]
    for worker in workers:
        worker.join(timeout=10)
    api.close()

    p50, p99, p100 = [], [], []
    lost = 0
    for seq, committed in commits.items():
        arrivals = [t for tally in tallies for t in tally.arrivals.get(seq, [])]
        lost += connected - len(arrivals)
        for bucket, fraction in ((p50, 0.5), (p99, 0.99), (p100, 1.0)):
            moment = percentile_time(arrivals, connected, fraction)
            bucket.append(float("inf") if moment is None else moment - committed)
    return Result(
        clients=clients,
        connected=connected,
        failed=failed,
        changes=changes,
        p50=p50,
        p99=p99,
        p100=p100,
        http=http,
        lost=lost,
        duplicates=sum(t.duplicates for t in tallies),
        out_of_order=sum(t.out_of_order for t in tallies),
        closed=sum(t.closed for t in tallies),
    )


def ms(values: list[float], how) -> str:
    value = how(values)
    return "inf" if value == float("inf") else f"{value * 1000:.0f}"


def print_table(results: list[Result]) -> None:
    header = (
        f"{'clients':>7} {'changes':>7} | {'50% med':>7} {'99% med':>7} {'100% med':>8} "
        f"{'100% max':>8} | {'http med':>8} | "
        f"{'lost':>4} {'dup':>4} {'order':>5} {'failed':>6} {'closed':>6}"
    )
    print("times in ms from the change's commit until that share of clients had its frame")
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r.connected:>7} {r.changes:>7} | {ms(r.p50, statistics.median):>7} "
            f"{ms(r.p99, statistics.median):>7} {ms(r.p100, statistics.median):>8} "
            f"{ms(r.p100, max):>8} | {ms(r.http, statistics.median):>8} | "
            f"{r.lost:>4} {r.duplicates:>4} {r.out_of_order:>5} {r.failed:>6} {r.closed:>6}"
        )


def print_changes(result: Result) -> None:
    print(f"{'change':>6} | {'50%':>6} {'99%':>6} {'100%':>6} | {'http':>6}")
    rows = zip(result.p50, result.p99, result.p100, result.http, strict=True)
    for number, (p50, p99, p100, http) in enumerate(rows, 1):
        shares = " ".join(ms([t], max).rjust(6) for t in (p50, p99, p100))
        print(f"{number:>6} | {shares} | {ms([http], max):>6}")


def start_server(args: argparse.Namespace):
    """Start a server of this checkout (embedded defaults unless told otherwise)."""
    sys.path.insert(0, str(REPO_ROOT))
    from tests.support.server import ServerPool

    pool = ServerPool(root=Path(tempfile.mkdtemp(prefix="stockwatch-bench-")))
    server = pool.server(
        database_url=args.database_url,
        redis_url=args.redis_url,
        store_env={"STOCKWATCH_API_WRITE_RATE": "100000/m", "STOCKWATCH_LOG_LEVEL": "WARNING"},
        # Keepalive pings of thousands of idle sockets would fall into the measurement.
        heartbeat=600,
        ping_timeout=600,
    )
    return pool, server.base_url, server.staff_token("bench")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="a running server")
    parser.add_argument("--token", help="bearer token with inventory.change_product")
    parser.add_argument(
        "--start-server", action="store_true", help="start a server of this checkout instead"
    )
    parser.add_argument("--database-url", help="with --start-server: a PostgreSQL server URL")
    parser.add_argument("--redis-url", help="with --start-server: use the Redis channel layer")
    parser.add_argument("--clients", type=int, nargs="+", default=[1000])
    parser.add_argument("--changes", type=int, default=20)
    parser.add_argument("--processes", type=int, default=4, help="client processes")
    parser.add_argument("--pause", type=float, default=0.2, help="seconds between changes")
    parser.add_argument("--per-change", action="store_true", help="also print each change")
    args = parser.parse_args()

    limit = raise_file_limit()
    if max(args.clients) + 100 > limit:
        parser.error(f"open-file limit {limit} is too low for {max(args.clients)} clients")
    pool = None
    if args.start_server:
        pool, base_url, token = start_server(args)
    else:
        if not args.token:
            parser.error("--token is needed for a running server (manage.py issue_token)")
        base_url, token = args.url.rstrip("/"), args.token
    try:
        results = []
        for clients in args.clients:
            results.append(
                run(
                    base_url=base_url,
                    token=token,
                    clients=clients,
                    changes=args.changes,
                    processes=min(args.processes, clients),
                    pause=args.pause,
                )
            )
            print_table(results[-1:])
            if args.per_change:
                print_changes(results[-1])
        print()
        print_table(results)
    finally:
        if pool is not None:
            pool.close()


if __name__ == "__main__":
    main()
