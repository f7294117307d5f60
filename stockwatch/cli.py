"""``stockwatch-watch``: print the stock events of products as they happen."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
from collections.abc import Iterable
from datetime import datetime
from typing import Any, TextIO

from stockwatch.client import StockClient
from stockwatch.errors import StockwatchError, UnknownProduct
from stockwatch.events import Alert, Event, Product, RecoveryGap, StockUpdate

PROG = "stockwatch-watch"
DEFAULT_URL = "ws://127.0.0.1:8000/ws/stock/"

#: ANSI colours of each kind of line, used only when standard output is a terminal.
COLOURS = {
    "restock": "32",  # green
    "sold_out": "31",  # red
    "change": "33",  # yellow
    "created": "36",  # cyan
    "alert": "1;35",  # bold magenta
    "gap": "1;33",  # bold yellow
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Watch products on a stockwatch server and print each stock change.",
    )
    parser.add_argument("skus", nargs="*", metavar="SKU", help="a product to watch")
    parser.add_argument("--all", action="store_true", help="watch every product, new ones too")
    parser.add_argument(
        "--url", default=DEFAULT_URL, help=f"the server's socket (default {DEFAULT_URL})"
    )
    parser.add_argument(
        "--token",
        default=os.environ.get("STOCKWATCH_TOKEN"),
        help="an API token, for your back-in-stock alerts (default: $STOCKWATCH_TOKEN)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object per line")
    args = parser.parse_args(argv)
    if not args.skus and not args.all:
        parser.error("name at least one SKU, or --all")
    return args


class Printer:
    """Writes snapshots and events, as JSON lines or as readable (maybe coloured) lines."""

    def __init__(self, out: TextIO, *, as_json: bool, colour: bool) -> None:
        self.out = out
        self.as_json = as_json
        self.colour = colour

    def snapshot(self, products: Iterable[Product], *, kind: str = "snapshot") -> None:
        products = list(products)
        if self.as_json:
            self._json({"type": kind, "products": [_product_data(p) for p in products]})
            return
        if kind == "recovery_gap":
            self._line("gap", "-- events were lost while away; the stock now is:")
        for product in products:
            self._line(
                None,
                f"{product.sku}  {product.name}: {product.stock} in stock (seq {product.seq})",
            )

    def event(self, event: Event) -> None:
        if isinstance(event, RecoveryGap):
            self.snapshot(event.snapshot, kind="recovery_gap")
        elif isinstance(event, StockUpdate):
            if self.as_json:
                self._json({"type": "stock", **_update_data(event)})
            else:
                self._line(
                    event.event,
                    f"{_clock(event.at)}  {event.sku}  {event.event}  "
                    f"{event.previous} -> {event.stock}  {event.name} (seq {event.seq})",
                )
        elif isinstance(event, Alert):
            if self.as_json:
                self._json({"type": "alert", **_alert_data(event)})
            else:
                self._line(
                    "alert",
                    f"{_clock(event.at)}  {event.sku}  ALERT  {event.message} "
                    f"({event.stock} in stock)",
                )

    def _json(self, data: dict[str, Any]) -> None:
        self.out.write(json.dumps(data, ensure_ascii=False) + "\n")
        self.out.flush()

    def _line(self, kind: str | None, text: str) -> None:
        if self.colour and kind in COLOURS:
            text = f"\x1b[{COLOURS[kind]}m{text}\x1b[0m"
        self.out.write(text + "\n")
        self.out.flush()


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def _clock(value: datetime | None) -> str:
    return value.astimezone().strftime("%H:%M:%S") if value else "--:--:--"


def _product_data(product: Product) -> dict[str, Any]:
    return {
        "sku": product.sku,
        "name": product.name,
        "stock": product.stock,
        "seq": product.seq,
        "updated_at": _iso(product.updated_at),
    }


def _update_data(update: StockUpdate) -> dict[str, Any]:
    return {
        "sku": update.sku,
        "name": update.name,
        "stock": update.stock,
        "previous": update.previous,
        "event": update.event,
        "seq": update.seq,
        "at": _iso(update.at),
    }


def _alert_data(alert: Alert) -> dict[str, Any]:
    return {
        "sku": alert.sku,
        "name": alert.name,
        "stock": alert.stock,
        "message": alert.message,
        "at": _iso(alert.at),
    }


async def watch(args: argparse.Namespace, printer: Printer) -> None:
    """Subscribe and print until cancelled or stopped by an error."""
    async with StockClient(args.url, token=args.token) as client:
        snapshot: list[Product] = []
        if args.all:
            snapshot.extend(await client.subscribe_all())
        if args.skus:
            known = {product.sku for product in snapshot}
            snapshot.extend(p for p in await client.subscribe(args.skus) if p.sku not in known)
        printer.snapshot(snapshot)
        async for event in client.events():
            printer.event(event)


async def _main(args: argparse.Namespace, printer: Printer) -> int:
    task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        # Where the loop cannot take signal handlers, Ctrl-C arrives as KeyboardInterrupt.
        with contextlib.suppress(NotImplementedError, RuntimeError, AttributeError):
            loop.add_signal_handler(signum, task.cancel)  # type: ignore[union-attr]
    try:
        await watch(args, printer)
    except asyncio.CancelledError:
        return 0
    except UnknownProduct as error:
        _fail("no product with sku " + ", ".join(error.skus))
        return 1
    except StockwatchError as error:
        _fail(str(error))
        return 1
    return 0


def _fail(message: str) -> None:
    sys.stderr.write(f"{PROG}: {message}\n")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format=f"{PROG}: %(message)s", stream=sys.stderr)
    colour = sys.stdout.isatty() and "NO_COLOR" not in os.environ
    printer = Printer(sys.stdout, as_json=args.json, colour=colour)
    try:
        return asyncio.run(_main(args, printer))
    except KeyboardInterrupt:
        return 0
    except BrokenPipeError:
        # The reader went away (``| head``); Python must not complain about stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
