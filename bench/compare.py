"""Compare stockwatch, the naive baseline and the floor on the same fan-out work in one run.

For each N it starts each server afresh (so that memory per connection is measured on
a clean process), runs ``bench/fanout.py``'s load against it and stops it; then it
prints one table of every run and the ratios (stockwatch ÷ floor, baseline ÷
stockwatch). See bench/README.md.

    python -m bench.compare                                   # N = 100 1,000 5,000 10,000
    python -m bench.compare --clients 1000 --servers stockwatch floor
    python -m bench.compare --redis-url redis://127.0.0.1:6379/0     # Redis channel layer
    python -m bench.compare --cluster 2 --layers core pubsub --servers stockwatch floor
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the checkout importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import fanout  # noqa: E402
from bench.servers import STORE_ENV, Running, start_daphne, start_floor  # noqa: E402
from tests.support.server import Store  # noqa: E402

SERVERS = ("floor", "stockwatch", "baseline")


def machine() -> str:
    with open("/proc/loadavg") as loadavg:
        load = " ".join(loadavg.read().split()[:3])
    return (
        f"{os.cpu_count()} cores, {platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()}, load average {load}"
    )


class Stores:
    """The store the daphne servers share (migrated, with a staff token), made on first use."""

    def __init__(self, root: Path, *, database_url: str | None, redis_url: str | None) -> None:
        self.root, self.database_url, self.redis_url = root, database_url, redis_url
        self._store: tuple[Store, str] | None = None

    def get(self) -> tuple[Store, str]:
        if self._store is None:
            store = Store(
                root=self.root,
                database_url=self.database_url,
                redis_url=self.redis_url,
                env=STORE_ENV,
            )
            store.create()
            self._store = (store, store.create_staff("bench").token)
        return self._store

    def destroy(self) -> None:
        if self._store is not None:
            self._store[0].destroy()


def start(kind: str, layer: str | None, args: argparse.Namespace, stores: Stores) -> Running:
    if kind == "floor":
        return start_floor(root=stores.root)
    store, token = stores.get()
    env = {"STOCKWATCH_CHANNEL_LAYER": layer} if layer else {}
    count = args.cluster or 1
    name = kind if layer is None else f"{kind}[{layer}x{count}]"
    return start_daphne(kind=kind, store=store, token=token, count=count, env=env, name=name)


def print_ratios(results: list[fanout.Result], *, timeout: float) -> None:
    """Per N: how stockwatch stands to the floor and the baseline to stockwatch."""
    by_n: dict[int, dict[str, fanout.Result]] = {}
    for result in results:
        by_n.setdefault(result.clients, {})[result.server] = result
    print()
    print("ratios: medians of 100 % (every client had the change), memory per connection,")
    print("server CPU per change")
    header = f"{'clients':>7} {'server':>22} | {'÷ floor 100%':>12} {'÷ floor mem':>11}"
    header += f" {'÷ floor cpu':>11} |"
    header += f" {'baseline ÷ it, 100%':>19} {'baseline ÷ it, mem':>18}"
    print(header)
    print("-" * len(header))
    for clients, runs in by_n.items():
        floor, baseline = runs.get("floor"), runs.get("baseline")
        floor_p100 = fanout.median(floor.p100) if floor else _MISSING
        floor_kib = floor.kib_per_connection if floor else _MISSING
        floor_cpu = floor.cpu_per_change if floor else _MISSING
        baseline_p100 = fanout.median(baseline.p100) if baseline else _MISSING
        baseline_kib = baseline.kib_per_connection if baseline else _MISSING
        for name, result in runs.items():
            if name in ("floor", "baseline"):
                continue
            p100, kib = fanout.median(result.p100), result.kib_per_connection
            print(
                f"{clients:>7,} {name:>22} | {_ratio(p100, floor_p100):>12} "
                f"{_ratio(kib, floor_kib):>11} {_ratio(result.cpu_per_change, floor_cpu):>11} | "
                f"{_ratio(baseline_p100, p100, timeout):>19} "
                f"{_ratio(baseline_kib, kib):>18}"
            )


_MISSING = object()


def _ratio(numerator: object, denominator: object, timeout: float = 0) -> str:
    """``numerator ÷ denominator``; None stands for a timed-out run, _MISSING for none."""
    if numerator is _MISSING or denominator is _MISSING:
        return "-"
    if not denominator:
        return "-"
    if numerator is None:
        # The numerator's run never got every client a change within the timeout.
        return f">{timeout / denominator:.1f}" if timeout else "timeout"
    return f"{numerator / denominator:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[100, 1000, 5000, 10000])
    parser.add_argument("--servers", nargs="+", choices=SERVERS, default=list(SERVERS))
    parser.add_argument("--changes", type=int, default=20, help="changes per run (at most)")
    parser.add_argument("--processes", type=int, default=4, help="client processes")
    parser.add_argument("--pause", type=float, default=0.2, help="seconds between changes")
    parser.add_argument(
        "--change-timeout", type=float, default=30, help="seconds a change may take to reach all"
    )
    parser.add_argument(
        "--budget", type=float, default=40, help="seconds of changes per run, after the first"
    )
    parser.add_argument("--redis-url", help="run the daphne servers on this Redis")
    parser.add_argument("--database-url", help="a PostgreSQL server to make a database on")
    parser.add_argument(
        "--cluster", type=int, default=0, help="daphne processes per server (needs Redis)"
    )
    parser.add_argument(
        "--layers", nargs="+", choices=("core", "pubsub"), help="Redis channel layers to compare"
    )
    parser.add_argument("--per-change", action="store_true", help="also print each change")
    parser.add_argument("--markdown", action="store_true", help="also print a Markdown table")
    args = parser.parse_args()
    if args.cluster and not args.redis_url:
        parser.error("--cluster needs --redis-url (processes share changes through Redis)")
    if args.layers and not args.redis_url:
        parser.error("--layers needs --redis-url")

    limit = fanout.raise_file_limit()
    if max(args.clients) + 200 > limit:
        parser.error(f"open-file limit {limit} is too low for {max(args.clients)} clients")
    layers = args.layers or ([None] if not args.redis_url else ["core"])
    plan = [
        (kind, None if kind == "floor" else layer)
        for kind in args.servers
        for layer in (layers if kind != "floor" else [None])
    ]
    print(f"machine: {machine()}")
    print(f"open-file limit {limit}; {args.processes} client processes on the same machine")
    root = Path(tempfile.mkdtemp(prefix="stockwatch-bench-"))
    stores = Stores(root, database_url=args.database_url, redis_url=args.redis_url)
    results: list[fanout.Result] = []
    started = time.monotonic()
    try:
        for clients in args.clients:
            for kind, layer in plan:
                running = start(kind, layer, args, stores)
                try:
                    result = fanout.run(
                        target=running.target,
                        clients=clients,
                        changes=args.changes,
                        processes=min(args.processes, clients),
                        pause=args.pause,
                        change_timeout=args.change_timeout,
                        budget=args.budget,
                    )
                finally:
                    running.stop(timeout=5)
                results.append(result)
                fanout.print_table([result])
                if args.per_change:
                    fanout.print_changes(result)
                sys.stdout.flush()
    finally:
        stores.destroy()
    print()
    print(f"all runs, {time.monotonic() - started:.0f} s; machine: {machine()}")
    print("times in ms from the change's time stamp until that share of clients had its frame")
    fanout.print_table(results)
    print_ratios(results, timeout=args.change_timeout)
    if args.markdown:
        print()
        fanout.print_table(results, markdown=True)


if __name__ == "__main__":
    main()
