"""The servers the benchmark compares, each started as child processes of this checkout.

- ``stockwatch``: daphne serving ``config.asgi:application``, the product.
- ``baseline``: daphne serving ``bench.baseline.asgi:application``, the tutorial design,
  on the same store and settings.
- ``floor``: ``bench/floor.py``, a bare ``websockets`` server.

Both daphne kinds get the same command line: a listen backlog the size of the floor's
(daphne's default of 50 would drop SYNs while thousands connect at once), and keepalive
pings pushed out of the way so that thousands of idle sockets' pings do not fall into
the measurement.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.fanout import Target
from tests.support.server import REPO_ROOT, Store, free_port

APPLICATIONS = {
    "stockwatch": "config.asgi:application",
    "baseline": "bench.baseline.asgi:application",
}
#: Listen backlog of every server's socket.
BACKLOG = 4096
#: Seconds between keepalive pings (and their timeout): longer than any run.
HEARTBEAT = 600
#: What every server's store runs with: no write limit, a quiet log.
STORE_ENV = {
    "STOCKWATCH_API_WRITE_RATE": "1000000/m",
    "STOCKWATCH_LOG_LEVEL": "WARNING",
    "STOCKWATCH_HEARTBEAT": str(HEARTBEAT),
}


@dataclass
class Running:
    """Started server processes and how to reach them."""

    name: str
    ports: list[int]
    token: str
    processes: list[subprocess.Popen] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)
    #: The floor's change API listens apart from its WebSocket port.
    api_port: int | None = None

    @property
    def target(self) -> Target:
        api_port = self.api_port or self.ports[0]
        return Target(
            name=self.name,
            base_url=f"http://127.0.0.1:{api_port}",
            ws_urls=[f"ws://127.0.0.1:{port}/ws/stock/" for port in self.ports],
            token=self.token,
            pids=[process.pid for process in self.processes],
        )

    def stop(self, *, timeout: float = 10) -> None:
        """SIGTERM every process, then SIGKILL those still running after ``timeout``."""
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for process in self.processes:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def daphne_command(application: str, port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "daphne",
        "-e",
        f"tcp:port={port}:interface=127.0.0.1:backlog={BACKLOG}",
        "--ping-interval",
        str(HEARTBEAT),
        "--ping-timeout",
        str(HEARTBEAT),
        application,
    ]


def _spawn(command: list[str], log: Path, environ: Mapping[str, str] | None) -> subprocess.Popen:
    with log.open("a") as output:
        return subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=dict(environ) if environ is not None else None,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C in the terminal reaches the bench, not them
        )


def wait_healthy(url: str, process: subprocess.Popen, log: Path, *, timeout: float = 60) -> None:
    """Wait until ``url`` answers 200; fail with the log's tail if the process ends first."""
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=2) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                tail = "\n".join(log.read_text(errors="replace").splitlines()[-30:])
                raise RuntimeError(f"{process.args} exited with {process.returncode}:\n{tail}")
            with contextlib.suppress(httpx.TransportError):
                if client.get(url).status_code == 200:
                    return
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def start_daphne(
    *,
    kind: str,
    store: Store,
    token: str,
    count: int = 1,
    env: Mapping[str, str] | None = None,
    name: str | None = None,
) -> Running:
    """``count`` daphne processes of ``kind`` on ``store``, each on a free port."""
    running = Running(name=name or kind, ports=[], token=token)
    try:
        for number in range(count):
            port = free_port()
            log = store.root / f"{running.name}-{number + 1}-{port}.log".replace("/", "_")
            process = _spawn(daphne_command(APPLICATIONS[kind], port), log, store.environ(env))
            running.ports.append(port)
            running.processes.append(process)
            running.logs.append(log)
            wait_healthy(f"http://127.0.0.1:{port}/healthz", process, log)
    except BaseException:
        running.stop()
        raise
    return running


def start_floor(*, root: Path) -> Running:
    """The floor on two free ports (WebSocket and change API)."""
    port, api_port = free_port(), free_port()
    log = root / f"floor-{port}.log"
    command = [
        sys.executable,
        str(REPO_ROOT / "bench" / "floor.py"),
        "--port",
        str(port),
        "--http-port",
        str(api_port),
        "--heartbeat",
        str(HEARTBEAT),
    ]
    process = _spawn(command, log, None)
    running = Running(
        name="floor", ports=[port], token="-", processes=[process], logs=[log], api_port=api_port
    )
    try:
        wait_healthy(f"http://127.0.0.1:{api_port}/healthz", process, log)
    except BaseException:
        running.stop()
        raise
    return running
