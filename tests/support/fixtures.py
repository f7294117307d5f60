"""Pytest fixtures that start real daphne servers, shared by the end-to-end and browser tests."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.support.server import Server, ServerPool, StaffUser

#: The PostgreSQL server that ``postgres`` tests make their databases on.
POSTGRES_URL = os.environ.get(
    "STOCKWATCH_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test"
)
#: The Redis server that ``redis`` tests share, each under its own key prefix.
REDIS_URL = os.environ.get("STOCKWATCH_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
#: Store settings that lift the per-credential write limit for tests that write a lot.
UNTHROTTLED = {"STOCKWATCH_API_WRITE_RATE": "100000/m"}


@pytest.fixture(scope="session")
def session_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerPool]:
    pool = ServerPool(root=tmp_path_factory.mktemp("servers"))
    yield pool
    pool.close()


@pytest.fixture(scope="session")
def server(session_servers: ServerPool) -> Server:
    """One server on the embedded defaults (SQLite, in-process layer), shared by the session.

    Tests that share it create products with their own skus (``tests.support.names.sku``).
    Its HTTP writes are not rate limited, so that tests sharing it never throttle each other.
    """
    return session_servers.server(store_env=UNTHROTTLED)


@pytest.fixture(scope="session")
def staff(server: Server) -> StaffUser:
    """A staff user of ``server`` with ``inventory.change_product``: password and token."""
    return server.create_staff()


@pytest.fixture
def server_factory(tmp_path: os.PathLike) -> Iterator[ServerPool]:
    """Starts servers for one test and stops them (and drops their databases) after it.

    ``server_factory.server()`` starts one on a new embedded store;
    ``server(database_url=POSTGRES_URL, redis_url=REDIS_URL)`` on a fresh PostgreSQL
    database and Redis prefix; ``server(other.store)`` a second process on the same store.
    """
    pool = ServerPool(root=tmp_path)
    yield pool
    pool.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Show the end of each server's log under a failed test that used one."""
    report = yield
    if report.when == "call" and report.failed:
        funcargs = getattr(item, "funcargs", {})
        servers: list[Server] = []
        for value in funcargs.values():
            if isinstance(value, Server):
                servers.append(value)
            elif isinstance(value, ServerPool):
                servers.extend(value.servers)
        for server in dict.fromkeys(servers):
            report.sections.append((f"log of {server!r}", server.log_tail(40)))
    return report
