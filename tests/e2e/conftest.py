"""End-to-end fixtures: HTTP clients of the shared server (servers come from tests.support)."""

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.support.client import bearer
from tests.support.server import Server, StaffUser


@pytest.fixture
async def staff_api(server: Server, staff: StaffUser) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client of ``server`` sending the staff user's bearer token."""
    async with httpx.AsyncClient(
        base_url=server.base_url, headers=bearer(staff.token), timeout=10
    ) as client:
        yield client


@pytest.fixture
async def anonymous_api(server: Server) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as client:
        yield client
