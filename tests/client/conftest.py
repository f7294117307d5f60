"""Client fixtures: an HTTP client that changes stock on the shared server, event helpers."""

import asyncio
import contextlib
from collections.abc import AsyncIterator

import httpx
import pytest

from stockwatch import Event, StockClient
from tests.support.client import bearer
from tests.support.server import Server, StaffUser


@pytest.fixture
async def staff_api(server: Server, staff: StaffUser) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client of the shared ``server`` sending the staff user's bearer token."""
    async with httpx.AsyncClient(
        base_url=server.base_url, headers=bearer(staff.token), timeout=10
    ) as client:
        yield client


async def next_events(client: StockClient, count: int, *, timeout: float = 10) -> list[Event]:
    """The client's next ``count`` events; fails when they do not all come in ``timeout``."""
    events: list[Event] = []
    try:
        async with asyncio.timeout(timeout), contextlib.aclosing(client.events()) as stream:
            async for event in stream:
                events.append(event)
                if len(events) == count:
                    break
    except TimeoutError:
        raise AssertionError(f"got {len(events)} of {count} events: {events}") from None
    return events


async def quiet(client: StockClient, seconds: float) -> list[Event]:
    """Every event the client yields within ``seconds``; tests expect none."""
    events: list[Event] = []
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds), contextlib.aclosing(client.events()) as stream:
            async for event in stream:
                events.append(event)
    return events
