"""Browser fixtures: Chromium windows on real daphne servers, API clients and axe-core."""

from __future__ import annotations

import secrets
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.frontend.browser import DashboardPage, chromium, new_profile_dir
from tests.support.client import bearer
from tests.support.names import sku as unique_sku
from tests.support.server import REPO_ROOT, Server, Store

SCREENSHOTS = REPO_ROOT / "test-output" / "screenshots"
AXE_SCRIPT = REPO_ROOT / "build" / "axe" / "node_modules" / "axe-core" / "axe.min.js"


@dataclass(frozen=True, slots=True)
class Account:
    """A user of a test server: the password signs in a browser, the token calls the API."""

    username: str
    password: str
    token: str


def create_account(store: Store, *, staff: bool) -> Account:
    """Make a user (staff with ``inventory.change_product`` when ``staff``) in ``store``."""
    username = f"{'staff' if staff else 'shopper'}-{secrets.token_hex(4)}"
    password = secrets.token_urlsafe(16)
    code = "\n".join(
        [
            "from django.contrib.auth import get_user_model",
            "from django.contrib.auth.models import Permission",
            "from inventory.tokens import token_issue",
            f"user = get_user_model().objects.create_user({username!r}, password={password!r})",
            f"if {staff!r}:",
            "    user.is_staff = True",
            "    user.save(update_fields=['is_staff'])",
            "    user.user_permissions.add(*Permission.objects.filter(",
            "        content_type__app_label='inventory',",
            "        codename__in=['change_product', 'view_product']))",
            "print(token_issue(user=user))",
        ]
    )
    token = store.shell(code).strip().splitlines()[-1]
    return Account(username=username, password=password, token=token)


@pytest.fixture
def open_page(tmp_path: Path) -> Iterator[Callable[..., DashboardPage]]:
    """Opens Chromium windows (each with a fresh profile) and closes them after the test."""
    drivers = []

    def open_page(server: Server, *, width: int = 1280, height: int = 900) -> DashboardPage:
        driver = chromium(
            profile_dir=new_profile_dir(tmp_path / "profiles"), width=width, height=height
        )
        drivers.append(driver)
        return DashboardPage(driver, base_url=server.base_url, shots=SCREENSHOTS)

    yield open_page
    for driver in drivers:
        driver.quit()


@pytest.fixture(scope="session")
def staff_user(server: Server) -> Account:
    """A staff user of the shared server who may change stock."""
    return create_account(server.store, staff=True)


@pytest.fixture(scope="session")
def shopper(server: Server) -> Account:
    """A plain user of the shared server, without any staff rights."""
    return create_account(server.store, staff=False)


def api_client(server: Server, account: Account) -> httpx.Client:
    return httpx.Client(base_url=server.base_url, headers=bearer(account.token), timeout=10)


@pytest.fixture
def staff_api(server: Server, staff_user: Account) -> Iterator[httpx.Client]:
    """The staff user's HTTP client of the shared server."""
    with api_client(server, staff_user) as client:
        yield client


def create_product(api: httpx.Client, *, name: str, stock: int, prefix: str = "WEB") -> str:
    """Create a product with a sku of its own through the API; returns the sku."""
    sku = unique_sku(prefix)
    response = api.post("/api/products/", json={"sku": sku, "name": name, "stock": stock})
    assert response.status_code == 201, response.text
    return sku


def restock(api: httpx.Client, sku: str, quantity: int) -> dict:
    response = api.post(f"/api/products/{sku}/restock", json={"quantity": quantity})
    assert response.status_code == 200, response.text
    return response.json()


def set_stock(api: httpx.Client, sku: str, stock: int) -> dict:
    response = api.put(f"/api/products/{sku}/stock", json={"stock": stock})
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core's browser build, installed from the npm registry by scripts/install-axe.sh."""
    if not AXE_SCRIPT.exists():
        subprocess.run(
            ["bash", str(REPO_ROOT / "scripts" / "install-axe.sh")], check=True, timeout=300
        )
    return AXE_SCRIPT.read_text()
