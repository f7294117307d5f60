"""``make run-cluster``: several daphne processes of one store, behind Redis, on PostgreSQL.

It creates the PostgreSQL database when it is missing, migrates it, seeds the demo
products, starts the daphne processes on free ports (or from ``--port`` on), prints them
and stops them all (SIGTERM, with a close frame on every socket) on Ctrl-C; if one of
them ends, it stops the others too.

    DATABASE_URL   default postgres://postgres@127.0.0.1:5432/stockwatch
    REDIS_URL      default redis://127.0.0.1:6379/0
    STOCKWATCH_CHANNEL_LAYER   core (default) or pubsub

    python bench/cluster.py --processes 2
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/stockwatch"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


def database_ensure(url: str) -> bool:
    """Create the database ``url`` names if the server lacks it; True if it was created."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name:
        raise SystemExit(f"DATABASE_URL names no database: {url}")
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True, connect_timeout=10) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if exists.fetchone():
            return False
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return True


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def cluster_environ() -> dict[str, str]:
    """The environment every process of the cluster shares."""
    environ = dict(os.environ)
    environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    environ.setdefault("REDIS_URL", DEFAULT_REDIS_URL)
    environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    environ.setdefault("DJANGO_DEBUG", "0")
    # One key for all processes (sessions work on each); a fresh one per start unless given.
    environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
    # Plain HTTP on the loopback: secure-only cookies would never come back.
    environ.setdefault("DJANGO_SECURE_COOKIES", "0")
    environ.setdefault("PYTHONUNBUFFERED", "1")
    return environ


def manage(environ: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=REPO_ROOT, env=environ, check=True)


def wait_healthy(port: int, process: subprocess.Popen, *, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=2) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise SystemExit(f"daphne on port {port} exited with {process.returncode}")
            with contextlib.suppress(httpx.TransportError):
                if client.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                    return
            time.sleep(0.2)
    raise SystemExit(f"daphne on port {port} did not answer /healthz within {timeout} s")


def stop(processes: list[subprocess.Popen], *, timeout: float = 15) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=2, help="daphne processes")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="first port (0: free ports)")
    parser.add_argument("--heartbeat", type=int, default=20, help="daphne's --ping-interval")
    parser.add_argument("--ping-timeout", type=int, default=30, help="daphne's --ping-timeout")
    args = parser.parse_args()

    environ = cluster_environ()
    environ["STOCKWATCH_HEARTBEAT"] = str(args.heartbeat)
    if database_ensure(environ["DATABASE_URL"]):
        print(f"created the database {urlsplit(environ['DATABASE_URL']).path.lstrip('/')}")
    manage(environ, "migrate", "--noinput")
    manage(environ, "seed_demo")

    ports = [args.port + n if args.port else free_port() for n in range(args.processes)]
    processes: list[subprocess.Popen] = []
    stopping = False

    def on_signal(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        for port in ports:
            command = [
                sys.executable,
                "-m",
                "daphne",
                "-b",
                args.host,
                "-p",
                str(port),
                "--ping-interval",
                str(args.heartbeat),
                "--ping-timeout",
                str(args.ping_timeout),
                "config.asgi:application",
            ]
            # A session of its own: Ctrl-C reaches this script, which stops them in order.
            processes.append(
                subprocess.Popen(command, cwd=REPO_ROOT, env=environ, start_new_session=True)
            )
        for port, process in zip(ports, processes, strict=True):
            wait_healthy(port, process)
        layer = environ.get("STOCKWATCH_CHANNEL_LAYER", "core")
        print(f"stockwatch cluster: {len(ports)} daphne processes, channel layer {layer}")
        for port, process in zip(ports, processes, strict=True):
            print(f"  http://{args.host}:{port}/   (pid {process.pid})")
        print("Ctrl-C stops them all.", flush=True)
        while not stopping:
            if any(process.poll() is not None for process in processes):
                print("a daphne process ended; stopping the others", file=sys.stderr)
                break
            time.sleep(0.5)
    finally:
        stop(processes)
    print("stopped")


if __name__ == "__main__":
    main()
