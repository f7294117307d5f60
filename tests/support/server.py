"""Real daphne server processes for end-to-end tests, each with its own port and data."""

from __future__ import annotations

import contextlib
import functools
import itertools
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx

#: The checkout the helper lives in; servers and commands run from here.
REPO_ROOT = Path(__file__).resolve().parents[2]

#: Variables of the outer environment that would leak into a server's configuration.
_OWN_PREFIXES = ("DJANGO_", "STOCKWATCH_")
_OWN_NAMES = {"DATABASE_URL", "REDIS_URL"}

_names = itertools.count(1)


@dataclass(frozen=True, slots=True)
class StaffUser:
    """A staff user allowed to change stock, with a password and a bearer token."""

    username: str
    password: str
    token: str


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@functools.cache
def _branch() -> str:
    try:
        result = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "rev-parse", "--abbrev-ref", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return "run"
    return re.sub(r"[^a-z0-9]+", "_", result.stdout.strip().lower()).strip("_") or "run"


def unique_name(prefix: str = "sw_e2e") -> str:
    """A name no other test run on this machine uses: branch, pid, counter, random part."""
    # The branch goes last: PostgreSQL cuts names at 63 characters.
    name = f"{prefix}_{os.getpid()}_{next(_names)}_{secrets.token_hex(3)}_{_branch()}"
    return name[:63]


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _server_environ(extra: Mapping[str, str]) -> dict[str, str]:
    environ = {
        key: value
        for key, value in os.environ.items()
        if key not in _OWN_NAMES and not key.startswith(_OWN_PREFIXES)
    }
    environ.update(extra)
    return environ


class Store:
    """What a group of servers shares: a data folder, a database and a Redis key prefix.

    With ``database_url`` (a PostgreSQL server's URL) the store creates a fresh database
    of a unique name and drops it in ``destroy``; without, it uses the embedded SQLite
    file in its own data folder. With ``redis_url`` the servers share a channel layer
    under a unique ``STOCKWATCH_KEY_PREFIX``.
    """

    def __init__(
        self,
        *,
        root: Path,
        database_url: str | None = None,
        redis_url: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.root = root
        self.data_dir = root / "data"
        self.redis_url = redis_url
        self.key_prefix = unique_name("sw-e2e").replace("_", "-")
        self.extra_env = dict(env or {})
        self.database_name: str | None = None
        self.database_url: str | None = None
        self._postgres_url = database_url

    def create(self) -> None:
        """Create the database (on PostgreSQL) and migrate it."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self._postgres_url:
            self.database_name = unique_name()
            _postgres_execute(self._postgres_url, f'CREATE DATABASE "{self.database_name}"')
            self.database_url = _with_database(self._postgres_url, self.database_name)
        self.manage("migrate", "--noinput")

    def destroy(self) -> None:
        """Drop the database and the Redis keys this store made."""
        if self._postgres_url and self.database_name:
            _postgres_execute(
                self._postgres_url, f'DROP DATABASE IF EXISTS "{self.database_name}" WITH (FORCE)'
            )
            self.database_name = None
        if self.redis_url:
            _redis_delete_prefix(self.redis_url, self.key_prefix)

    def environ(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """The environment servers and commands of this store run with."""
        own = {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "e2e-" + self.key_prefix + "-not-a-real-secret-key-0123456789",
            # The tests speak plain HTTP; secure-only cookies would never come back.
            "DJANGO_SECURE_COOKIES": "0",
            "STOCKWATCH_DATA_DIR": str(self.data_dir),
            "STOCKWATCH_KEY_PREFIX": self.key_prefix,
            "PYTHONUNBUFFERED": "1",
        }
        if self.database_url:
            own["DATABASE_URL"] = self.database_url
        if self.redis_url:
            own["REDIS_URL"] = self.redis_url
        own.update(self.extra_env)
        own.update(extra or {})
        return _server_environ(own)

    def manage(self, *args: str, timeout: float = 120, check: bool = True) -> str:
        """Run ``manage.py ARGS`` against this store and return its standard output."""
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=REPO_ROOT,
            env=self.environ(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and result.returncode != 0:
            raise RuntimeError(
                f"manage.py {' '.join(args)} exited with {result.returncode}:\n"
                f"{result.stdout}\n{result.stderr}"
            )
        return result.stdout

    def shell(self, code: str) -> str:
        """Run Python ``code`` inside Django (``manage.py shell -c``); returns its output."""
        return self.manage("shell", "--no-imports", "-c", code)

    def issue_token(self, username: str, *, create: bool = True) -> str:
        """A new bearer token for ``username`` (``manage.py issue_token``)."""
        output = self.manage("issue_token", username, *(["--create"] if create else []))
        return output.strip().splitlines()[-1].strip()

    def grant(self, username: str, permissions: Iterable[str], *, staff: bool = True) -> None:
        """Give ``username`` the ``app_label.codename`` permissions (and staff status)."""
        code = "\n".join(
            [
                "from django.contrib.auth import get_user_model",
                "from django.contrib.auth.models import Permission",
                f"user = get_user_model().objects.get(username={username!r})",
                f"user.is_staff = {staff!r}",
                "user.save(update_fields=['is_staff'])",
                f"for label in {list(permissions)!r}:",
                "    app_label, codename = label.split('.')",
                "    user.user_permissions.add(Permission.objects.get(",
                "        content_type__app_label=app_label, codename=codename))",
            ]
        )
        self.shell(code)

    def set_password(self, username: str, password: str) -> None:
        code = "\n".join(
            [
                "from django.contrib.auth import get_user_model",
                f"user = get_user_model().objects.get(username={username!r})",
                f"user.set_password({password!r})",
                "user.save(update_fields=['password'])",
            ]
        )
        self.shell(code)

    def create_staff(
        self,
        username: str | None = None,
        *,
        permissions: Iterable[str] = ("inventory.change_product", "inventory.view_product"),
    ) -> StaffUser:
        """A staff user who may change stock, with a password (for the admin) and a token."""
        username = username or f"staff-{secrets.token_hex(4)}"
        password = secrets.token_urlsafe(16)
        token = self.issue_token(username, create=True)
        self.grant(username, permissions)
        self.set_password(username, password)
        return StaffUser(username=username, password=password, token=token)


def _postgres_execute(url: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True, connect_timeout=10) as connection:
        connection.execute(statement)


def _redis_delete_prefix(url: str, prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


class Server:
    """One daphne process serving ``config.asgi:application`` for a store.

    ``heartbeat`` and ``ping_timeout`` become daphne's ``--ping-interval`` and
    ``--ping-timeout`` (and ``STOCKWATCH_HEARTBEAT``, which the welcome reports).
    Everything the process writes goes to ``log_path``, its access log to ``access_log_path``.
    """

    def __init__(
        self,
        store: Store,
        *,
        name: str = "server",
        heartbeat: int = 20,
        ping_timeout: int = 30,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.store = store
        self.name = name
        self.heartbeat = heartbeat
        self.ping_timeout = ping_timeout
        self.extra_env = dict(env or {})
        self.port = 0
        self.log_path = store.root / f"{name}.log"
        #: One line per HTTP request and WebSocket, kept apart from the application's log.
        self.access_log_path = store.root / f"{name}.access.log"
        self._process: subprocess.Popen | None = None

    def __repr__(self) -> str:
        return f"<Server {self.name} {self.base_url} log={self.log_path}>"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        """The stock WebSocket endpoint."""
        return f"ws://127.0.0.1:{self.port}/ws/stock/"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self, *, timeout: float = 30) -> Server:
        """Start daphne and wait until ``/healthz`` answers 200."""
        if self.running:
            return self
        for _ in range(3):
            # Keep the port across restarts so that clients can reconnect to the same URL.
            self.port = self.port or free_port()
            self._spawn()
            try:
                self._wait_healthy(timeout=timeout)
                return self
            except _ExitedEarly:
                self.port = 0  # most likely the port was taken meanwhile: try another
        raise RuntimeError(f"{self!r} did not start:\n{self.log_tail()}")

    def stop(self, *, timeout: float = 10) -> None:
        """Ask daphne to shut down (SIGTERM); kill it when it does not within ``timeout``."""
        process = self._process
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=timeout)
        self._close()

    def kill(self) -> None:
        """End the process at once (SIGKILL), as a crash would."""
        process = self._process
        if process is None:
            return
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        self._close()

    def restart(self, *, timeout: float = 30) -> Server:
        self.stop()
        return self.start(timeout=timeout)

    def manage(self, *args: str, timeout: float = 120, check: bool = True) -> str:
        """Run a management command against this server's store; returns its output."""
        return self.store.manage(*args, timeout=timeout, check=check)

    def create_staff(self, username: str | None = None, **kwargs) -> StaffUser:
        return self.store.create_staff(username, **kwargs)

    def staff_token(self, username: str | None = None) -> str:
        """A bearer token of a staff user with ``inventory.change_product``."""
        return self.store.create_staff(username).token

    def log_text(self) -> str:
        """Everything the server wrote to its standard output and error so far."""
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def _spawn(self) -> None:
        environ = self.store.environ(
            {"STOCKWATCH_HEARTBEAT": str(self.heartbeat), **self.extra_env}
        )
        command = [
            sys.executable,
            "-m",
            "daphne",
            "-b",
            "127.0.0.1",
            "-p",
            str(self.port),
            "--ping-interval",
            str(self.heartbeat),
            "--ping-timeout",
            str(self.ping_timeout),
            "--access-log",
            str(self.access_log_path),
            "config.asgi:application",
        ]
        log = self.log_path.open("a")
        log.write(f"--- starting on port {self.port}: {' '.join(command[1:])}\n")
        log.flush()
        try:
            self._process = subprocess.Popen(
                command,
                cwd=REPO_ROOT,
                env=environ,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
            log.close()

    def _wait_healthy(self, *, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        with httpx.Client(base_url=self.base_url, timeout=2) as client:
            while True:
                if self._process is None or self._process.poll() is not None:
                    self._close()
                    raise _ExitedEarly
                with contextlib.suppress(httpx.TransportError):
                    if client.get("/healthz").status_code == 200:
                        return
                if time.monotonic() > deadline:
                    self.kill()
                    raise RuntimeError(
                        f"{self!r} did not answer /healthz within {timeout} s:\n{self.log_tail()}"
                    )
                time.sleep(0.1)

    def _close(self) -> None:
        self._process = None


class _ExitedEarly(Exception):
    """The server process ended before it answered."""


class ServerPool:
    """Starts stores and servers on demand and tears all of them down at the end."""

    def __init__(self, *, root: Path) -> None:
        self.root = root
        self._stores: list[Store] = []
        self._servers: list[Server] = []

    @property
    def servers(self) -> list[Server]:
        """The servers started so far, in order."""
        return list(self._servers)

    def store(
        self,
        *,
        database_url: str | None = None,
        redis_url: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> Store:
        """A new, migrated store (``database_url``: a PostgreSQL server to make a database on)."""
        root = self.root / f"store{len(self._stores) + 1}"
        root.mkdir(parents=True)
        store = Store(root=root, database_url=database_url, redis_url=redis_url, env=env)
        self._stores.append(store)
        store.create()
        return store

    def server(
        self,
        store: Store | None = None,
        *,
        database_url: str | None = None,
        redis_url: str | None = None,
        store_env: Mapping[str, str] | None = None,
        **server_options,
    ) -> Server:
        """A started server: on ``store`` when given (to share it), else on a new store."""
        if store is None:
            store = self.store(database_url=database_url, redis_url=redis_url, env=store_env)
        name = f"server{len(self._servers) + 1}"
        server = Server(store, name=name, **server_options)
        self._servers.append(server)
        return server.start()

    def close(self) -> None:
        errors: list[BaseException] = []
        for server in reversed(self._servers):
            try:
                server.stop()
            except Exception as error:  # tear down the rest first
                errors.append(error)
        for store in reversed(self._stores):
            try:
                store.destroy()
            except Exception as error:
                errors.append(error)
        self._servers.clear()
        self._stores.clear()
        if errors:
            raise errors[0]
