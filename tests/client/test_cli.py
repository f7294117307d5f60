"""``stockwatch-watch`` run as a process against a real server."""

import asyncio
import json
import os
import pty
import signal
import sys
from asyncio.subprocess import PIPE, Process

import httpx
import pytest

from tests.support.client import product_create, product_restock
from tests.support.names import sku as new_sku
from tests.support.server import REPO_ROOT, Server

pytestmark = pytest.mark.e2e


def _environ(**extra: str) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if k not in ("STOCKWATCH_TOKEN", "NO_COLOR")}
    return {**environ, **extra}


async def watcher(*args: str, stdout: int = PIPE, **env: str) -> Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "stockwatch.cli",
        *args,
        cwd=REPO_ROOT,
        env=_environ(**env),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=stdout,
        stderr=PIPE,
    )


async def read_line(process: Process, timeout: float = 20) -> str:
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), timeout)
    assert line, f"the watcher ended: {(await process.stderr.read()).decode()}"
    return line.decode().rstrip("\n")


async def interrupt(process: Process) -> tuple[int, str]:
    """Ctrl-C: the exit status and what the watcher wrote to standard error."""
    process.send_signal(signal.SIGINT)
    _, stderr = await asyncio.wait_for(process.communicate(), 10)
    return process.returncode, stderr.decode()


async def test_json_mode_prints_the_snapshot_then_one_object_per_restock(
    server: Server, staff_api: httpx.AsyncClient
):
    sku = new_sku("CLI")
    await product_create(staff_api, sku=sku, name="Desk lamp", stock=0)
    process = await watcher("--url", server.ws_url, "--json", sku)
    snapshot = json.loads(await read_line(process))
    await product_restock(staff_api, sku=sku, quantity=5)
    restock = json.loads(await read_line(process))
    status, stderr = await interrupt(process)

    assert snapshot["type"] == "snapshot"
    assert [(p["sku"], p["stock"], p["seq"]) for p in snapshot["products"]] == [(sku, 0, 0)]
    assert restock.pop("at").endswith("Z")
    assert restock == {
        "type": "stock",
        "sku": sku,
        "name": "Desk lamp",
        "stock": 5,
        "previous": 0,
        "event": "restock",
        "seq": 1,
    }
    assert (status, stderr) == (0, "")


async def test_readable_mode_prints_a_plain_line_per_event_when_piped(
    server: Server, staff_api: httpx.AsyncClient
):
    sku = new_sku("CLI")
    await product_create(staff_api, sku=sku, name="Desk lamp", stock=0)
    process = await watcher("--url", server.ws_url, sku)
    snapshot = await read_line(process)
    await product_restock(staff_api, sku=sku, quantity=5)
    restock = await read_line(process)
    status, stderr = await interrupt(process)

    assert snapshot == f"{sku}  Desk lamp: 0 in stock (seq 0)"
    assert restock.endswith(f"  {sku}  restock  0 -> 5  Desk lamp (seq 1)")
    assert "\x1b[" not in restock
    assert (status, stderr) == (0, "")


async def read_terminal_until(controller: int, marker: bytes, output: bytes) -> bytes:
    """What a terminal showed so far, once it shows ``marker``."""
    loop = asyncio.get_running_loop()
    async with asyncio.timeout(20):
        while marker not in output:
            output += await loop.run_in_executor(None, os.read, controller, 4096)
    return output


async def test_readable_mode_colours_events_on_a_terminal(
    server: Server, staff_api: httpx.AsyncClient
):
    sku = new_sku("CLI")
    await product_create(staff_api, sku=sku, stock=0)
    controller, terminal = pty.openpty()
    try:
        process = await watcher("--url", server.ws_url, sku, stdout=terminal)
        output = await read_terminal_until(controller, b"(seq 0)", b"")
        await product_restock(staff_api, sku=sku, quantity=2)
        output = await read_terminal_until(controller, b"(seq 1)", output)
        status, _ = await interrupt(process)
    finally:
        os.close(terminal)
        os.close(controller)
    assert b"\x1b[32m" in output  # the restock, in green
    assert status == 0


async def test_unknown_product_exits_with_a_one_line_message(server: Server):
    missing = new_sku("MISSING")
    process = await watcher("--url", server.ws_url, missing)
    stdout, stderr = await asyncio.wait_for(process.communicate(), 20)
    assert process.returncode == 1
    assert stdout == b""
    assert stderr.decode() == f"stockwatch-watch: no product with sku {missing}\n"


async def test_bad_token_from_the_environment_exits_with_a_one_line_message(server: Server):
    process = await watcher("--url", server.ws_url, "--all", STOCKWATCH_TOKEN="sw_nobody")
    _, stderr = await asyncio.wait_for(process.communicate(), 20)
    assert process.returncode == 1
    assert stderr.decode().count("\n") == 1
    assert "refused the handshake (HTTP 403)" in stderr.decode()


async def test_no_sku_and_no_all_is_a_usage_error():
    process = await watcher("--url", "ws://127.0.0.1:9/ws/stock/")
    _, stderr = await asyncio.wait_for(process.communicate(), 20)
    assert process.returncode == 2
    assert "name at least one SKU, or --all" in stderr.decode()
