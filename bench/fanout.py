"""Fan-out load generator: how long until N WebSocket subscribers all have a stock change.

N clients, split over a few client processes, connect to one server (or spread over the
processes of a cluster), each subscribing to one product; the script then makes M
restocks over HTTP through the first server, one at a time, and measures for each
change the time from its time stamp (the ``updated_at`` the restock returns, taken
inside the transaction that makes the change) until 50 %, 99 % and 100 % of the
clients have its frame. It also counts lost, duplicate and out-of-order frames, the
time to connect and subscribe all N, and the server's memory per connection (VmRSS
from /proc after connecting minus before, over N). ``bench/compare.py`` runs it against
stockwatch, the naive baseline and the floor; see bench/README.md.

    python bench/fanout.py --url http://127.0.0.1:8000 --token TOKEN --pid PID --clients 1000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import resource
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from datetime import datetime

import httpx
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect as connect_sync

#: Connections each client process opens at once.
OPENING_AT_ONCE = 64
#: Sent on every handshake: a browser's Origin, which every server here accepts.
ORIGIN = "http://127.0.0.1"


def raise_file_limit() -> int:
    """Lift this process's open-file limit to its hard limit (children inherit it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        target = 1_048_576 if hard == resource.RLIM_INFINITY else hard
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    return soft


def rss_kib(pids: list[int]) -> int:
    """The resident memory of these processes together, in KiB (VmRSS of /proc/PID/status)."""
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
                    break
    return total


def cpu_seconds(pids: list[int]) -> float:
    """User plus system CPU time these processes have used (utime, stime of /proc/PID/stat)."""
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Target:
    """A server under test: where changes go, where clients connect, which processes serve."""

    name: str
    base_url: str
    ws_urls: list[str]
    token: str
    pids: list[int]


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


class Clients:
    """The subscribers of one client process and the events the parent waits for."""

    def __init__(self, urls: list[str], sku: str, count: int, offset: int) -> None:
        self.urls, self.sku, self.count, self.offset = urls, sku, count, offset
        self.tally = Tally()
        self.all_open = asyncio.Event()
        self.complete: dict[int, asyncio.Event] = {}
        self.gate = asyncio.Semaphore(OPENING_AT_ONCE)

    def completion(self, seq: int) -> asyncio.Event:
        return self.complete.setdefault(seq, asyncio.Event())

    def _settled(self) -> None:
        if self.tally.connected + self.tally.failed == self.count:
            self.all_open.set()

    async def client(self, index: int) -> None:
        """One subscriber: connect, subscribe, then note every frame's arrival."""
        url = self.urls[(self.offset + index) % len(self.urls)]
        async with self.gate:
            try:
                connection = await connect(
                    url,
                    origin=ORIGIN,
                    open_timeout=120,
                    close_timeout=1,
                    max_size=None,
                    ping_interval=None,
                    compression=None,
                )
                json.loads(await connection.recv())  # welcome
                await connection.send(json.dumps({"type": "subscribe", "skus": [self.sku]}))
                reply = json.loads(await connection.recv())
                assert reply["type"] == "subscribed", reply
            except Exception:
                self.tally.failed += 1
                self._settled()
                return
        self.tally.connected += 1
        self._settled()
        try:
            await self._listen(connection, last=reply["snapshot"][0]["seq"])
        except ConnectionClosed:
            self.tally.closed += 1

    async def _listen(self, connection, *, last: int) -> None:
        tally, seen = self.tally, set()
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
                arrivals = tally.arrivals.setdefault(seq, [])
                arrivals.append(arrived)
                if len(arrivals) >= tally.connected:
                    self.completion(seq).set()


def client_process(urls: list[str], sku: str, count: int, offset: int, pipe) -> None:
    """Run ``count`` subscribers as the parent's pipe commands."""
    asyncio.run(_client_process(Clients(urls, sku, count, offset), pipe))


async def _client_process(clients: Clients, pipe) -> None:
    loop = asyncio.get_running_loop()
    pipe.send(("spawned",))
    await loop.run_in_executor(None, pipe.recv)  # "connect"
    tasks = [asyncio.create_task(clients.client(index)) for index in range(clients.count)]
    await clients.all_open.wait()
    pipe.send(("ready", clients.tally.connected, clients.tally.failed, time.time()))
    while True:
        command = await loop.run_in_executor(None, pipe.recv)
        if command[0] == "await":
            # Tell the parent once every connected client has this seq (or time is up).
            seq, timeout = command[1], command[2]
            if clients.tally.connected:
                try:
                    await asyncio.wait_for(clients.completion(seq).wait(), timeout)
                except TimeoutError:
                    pass
            pipe.send(("have", seq, len(clients.tally.arrivals.get(seq, ()))))
        elif command[0] == "finish":
            await asyncio.sleep(command[1])  # let late duplicates show up
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            pipe.send(("tally", clients.tally))
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
    server: str
    clients: int
    connected: int
    failed: int
    #: Seconds from starting to connect until all N were subscribed.
    connect_seconds: float
    #: Growth of the server processes' VmRSS while the N connected, per connection.
    kib_per_connection: float
    #: Server CPU time (user + system) per change while the changes went out.
    cpu_per_change: float
    #: Per change, seconds until that share had the frame; None: not within the timeout.
    p50: list[float | None]
    p99: list[float | None]
    p100: list[float | None]
    http: list[float]
    #: A change did not reach every client within the timeout; the run stopped there.
    timed_out: bool
    lost: int
    duplicates: int
    out_of_order: int
    closed: int

    @property
    def changes(self) -> int:
        return len(self.p100)


def _warm_up(target: Target, sku: str) -> None:
    """One subscribe per server process, so first-use costs stay out of the measurement."""
    for url in target.ws_urls:
        with connect_sync(url, origin=ORIGIN, compression=None, open_timeout=30) as connection:
            connection.recv(timeout=30)
            connection.send(json.dumps({"type": "subscribe", "skus": [sku]}))
            connection.recv(timeout=30)


def run(
    *,
    target: Target,
    clients: int,
    changes: int,
    processes: int,
    pause: float = 0.2,
    change_timeout: float = 20,
    budget: float = 60,
) -> Result:
    """Connect ``clients`` subscribers to ``target`` and make up to ``changes`` changes.

    It stops early when a change has not reached every client within ``change_timeout``
    seconds of sending its request, or after ``budget`` seconds of changes.
    """
    sku = f"BENCH-{target.name.split('[')[0]}-{clients}-{int(time.time() * 1000)}"
    api = httpx.Client(
        base_url=target.base_url, headers={"Authorization": f"Bearer {target.token}"}, timeout=120
    )
    response = api.post("/api/products/", json={"sku": sku, "name": f"Bench {clients}"})
    response.raise_for_status()
    _warm_up(target, sku)
    memory_before = rss_kib(target.pids)

    context = multiprocessing.get_context("spawn")
    pipes, workers = [], []
    shares = [clients // processes + (i < clients % processes) for i in range(processes)]
    offset = 0
    for share in shares:
        parent_end, child_end = context.Pipe()
        worker = context.Process(
            target=client_process,
            args=(target.ws_urls, sku, share, offset, child_end),
            daemon=True,
        )
        worker.start()
        offset += share
        pipes.append(parent_end)
        workers.append(worker)
    for pipe in pipes:
        pipe.recv()  # spawned
    connect_started = time.time()
    for pipe in pipes:
        pipe.send(("connect",))
    connected = failed = 0
    connect_done = connect_started
    for pipe in pipes:
        _, ok, bad, finished = pipe.recv()
        connected, failed = connected + ok, failed + bad
        connect_done = max(connect_done, finished)
    memory_after = rss_kib(target.pids)

    commits: dict[int, float] = {}
    http: list[float] = []
    timed_out = False
    # The baseline answers the restock only after its group_send: time the request too.
    requests = ThreadPoolExecutor(max_workers=1)
    cpu_before = cpu_seconds(target.pids)
    changes_started = time.monotonic()
    for number in range(changes):
        if number and time.monotonic() - changes_started > budget:
            break
        sent = time.time()
        request = requests.submit(api.post, f"/api/products/{sku}/restock", json={"quantity": 1})
        try:
            response = request.result(timeout=change_timeout)
        except FutureTimeout:
            commits[number + 1] = sent  # seq; a timeout whatever the commit time
            timed_out = True
            break
        response.raise_for_status()
        http.append(time.time() - sent)
        product = response.json()
        commits[product["seq"]] = datetime.fromisoformat(product["updated_at"]).timestamp()
        remaining = change_timeout - (time.time() - sent)
        for pipe in pipes:
            pipe.send(("await", product["seq"], max(0.0, remaining)))
        have = sum(pipe.recv()[2] for pipe in pipes)
        if have < connected:
            timed_out = True
            break
        time.sleep(pause)
    requests.shutdown(wait=False, cancel_futures=True)
    cpu_used = cpu_seconds(target.pids) - cpu_before

    for pipe in pipes:
        pipe.send(("finish", 1.0))
    tallies: list[Tally] = [pipe.recv()[1] for pipe in pipes]
    for worker in workers:
        worker.join(timeout=10)
    api.close()

    p50, p99, p100 = [], [], []
    lost = 0
    last_seq = max(commits)
    for seq, committed in commits.items():
        arrivals = [t for tally in tallies for t in tally.arrivals.get(seq, [])]
        late = timed_out and seq == last_seq
        if not late:
            lost += connected - len(arrivals)
        for bucket, fraction in ((p50, 0.5), (p99, 0.99), (p100, 1.0)):
            moment = percentile_time(arrivals, connected, fraction)
            took = None if moment is None else moment - committed
            if late and (fraction == 1.0 or took is None or took > change_timeout):
                took = None  # a timeout, even if the frame came during the final grace
            bucket.append(took)
    return Result(
        server=target.name,
        clients=clients,
        connected=connected,
        failed=failed,
        connect_seconds=connect_done - connect_started,
        kib_per_connection=(memory_after - memory_before) / max(connected, 1),
        cpu_per_change=cpu_used / max(len(commits), 1),
        p50=p50,
        p99=p99,
        p100=p100,
        http=http,
        timed_out=timed_out,
        lost=lost,
        duplicates=sum(t.duplicates for t in tallies),
        out_of_order=sum(t.out_of_order for t in tallies),
        closed=sum(t.closed for t in tallies),
    )


# -- reporting ---------------------------------------------------------------------------------


def median(values: list[float | None]) -> float | None:
    """The median, where a change that timed out counts as slower than any other."""
    if not values:
        return None
    value = statistics.median(float("inf") if v is None else v for v in values)
    return None if value == float("inf") else value


def slowest(values: list[float | None]) -> float | None:
    return None if not values or None in values else max(values)


def ms(value: float | None) -> str:
    return "timeout" if value is None else f"{value * 1000:,.0f}"


COLUMNS = [
    ("clients", 7),
    ("server", 22),
    ("changes", 7),
    ("connect s", 9),
    ("50% med", 7),
    ("99% med", 7),
    ("100% med", 8),
    ("100% max", 8),
    ("http med", 8),
    ("lost", 4),
    ("dup", 4),
    ("order", 5),
    ("failed", 6),
    ("KiB/conn", 8),
    ("cpu ms/chg", 10),
]


def result_row(r: Result) -> list[str]:
    return [
        f"{r.clients:,}",
        r.server,
        str(r.changes),
        f"{r.connect_seconds:.1f}",
        ms(median(r.p50)),
        ms(median(r.p99)),
        ms(median(r.p100)),
        ms(slowest(r.p100)),
        ms(statistics.median(r.http)) if r.http else "-",
        str(r.lost),
        str(r.duplicates),
        str(r.out_of_order),
        str(r.failed),
        f"{r.kib_per_connection:.1f}",
        f"{r.cpu_per_change * 1000:,.0f}",
    ]


def print_table(results: list[Result], *, markdown: bool = False) -> None:
    """One row per run; times in ms from the change's time stamp."""
    rows = [result_row(r) for r in results]
    if markdown:
        print("| " + " | ".join(name for name, _ in COLUMNS) + " |")
        print("|" + "|".join(" ---: " if i != 1 else " --- " for i in range(len(COLUMNS))) + "|")
        for row in rows:
            print("| " + " | ".join(row) + " |")
        return
    header = " ".join(name.rjust(width) for name, width in COLUMNS)
    print(header)
    print("-" * len(header))
    for row in rows:
        print(" ".join(cell.rjust(width) for cell, (_, width) in zip(row, COLUMNS, strict=True)))


def print_changes(result: Result) -> None:
    print(f"{result.server} at {result.clients:,} clients")
    print(f"{'change':>6} | {'50%':>7} {'99%':>7} {'100%':>7} | {'http':>6}")
    rows = zip(result.p50, result.p99, result.p100, result.http, strict=True)
    for number, (p50, p99, p100, http) in enumerate(rows, 1):
        shares = " ".join(ms(t).rjust(7) for t in (p50, p99, p100))
        print(f"{number:>6} | {shares} | {ms(http):>6}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--url",
        nargs="+",
        default=["http://127.0.0.1:8000"],
        help="running server(s); changes go through the first, clients spread over all",
    )
    parser.add_argument("--token", required=True, help="bearer token with change_product")
    parser.add_argument("--pid", type=int, nargs="*", default=[], help="server pids (memory)")
    parser.add_argument("--clients", type=int, nargs="+", default=[1000])
    parser.add_argument("--changes", type=int, default=20)
    parser.add_argument("--processes", type=int, default=4, help="client processes")
    parser.add_argument("--pause", type=float, default=0.2, help="seconds between changes")
    parser.add_argument("--change-timeout", type=float, default=20)
    parser.add_argument("--per-change", action="store_true", help="also print each change")
    args = parser.parse_args()

    limit = raise_file_limit()
    if max(args.clients) + 100 > limit:
        parser.error(f"open-file limit {limit} is too low for {max(args.clients)} clients")
    urls = [url.rstrip("/") for url in args.url]
    target = Target(
        name="server",
        base_url=urls[0],
        ws_urls=[url.replace("http", "ws", 1) + "/ws/stock/" for url in urls],
        token=args.token,
        pids=args.pid,
    )
    results = []
    for clients in args.clients:
        results.append(
            run(
                target=target,
                clients=clients,
                changes=args.changes,
                processes=min(args.processes, clients),
                pause=args.pause,
                change_timeout=args.change_timeout,
                budget=float("inf"),
            )
        )
        if args.per_change:
            print_changes(results[-1])
    print_table(results)


if __name__ == "__main__":
    main()
