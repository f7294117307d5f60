"""Headless Chromium from Debian's packages, and a page object for the dashboard."""

from __future__ import annotations

import json
import re
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
#: Keep Chromium from reaching anything but the server under test.
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-default-apps",
    "--disable-extensions",
)

T = TypeVar("T")


def chromium(*, profile_dir: Path, width: int = 1280, height: int = 900) -> webdriver.Chrome:
    """Start a fresh headless Chromium whose console log can be read."""
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile_dir}")
    options.add_argument(f"--window-size={width},{height}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # Selenium Manager would look for (and download) a driver: name Debian's instead.
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    return driver


def wait_until(condition: Callable[[], T], *, timeout: float = 5, what: str = "condition") -> T:
    """Poll ``condition`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while True:
        try:
            value = condition()
            if value:
                return value
        except (StaleElementReferenceException, WebDriverException) as error:
            last_error = error
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}") from last_error
        time.sleep(0.05)


class DashboardPage:
    """One browser window on a stockwatch server, with what the tests look at."""

    def __init__(self, driver: webdriver.Chrome, *, base_url: str, shots: Path) -> None:
        self.driver = driver
        self.base_url = base_url
        self.shots = shots
        self.console: list[dict] = []

    # -- navigation ----------------------------------------------------------------------

    def open(self, path: str = "/") -> DashboardPage:
        self.driver.get(self.base_url + path)
        return self

    def open_live(self) -> DashboardPage:
        """Open the dashboard and wait until it is live with its snapshot drawn."""
        self.open("/")
        self.wait_for_status("Live")
        wait_until(lambda: self.summary() != "Loading products…", what="the first snapshot")
        return self

    def sign_in(self, username: str, password: str) -> DashboardPage:
        self.open("/accounts/login/")
        self.driver.find_element(By.NAME, "username").send_keys(username)
        self.driver.find_element(By.NAME, "password").send_keys(password)
        self.driver.find_element(By.CSS_SELECTOR, "form.stack-form button[type=submit]").click()
        wait_until(
            lambda: self.driver.find_elements(By.CSS_SELECTOR, ".account-name"), what="sign-in"
        )
        return self

    # -- reading the page ----------------------------------------------------------------

    def find(self, selector: str) -> WebElement:
        return self.driver.find_element(By.CSS_SELECTOR, selector)

    def find_all(self, selector: str) -> list[WebElement]:
        return self.driver.find_elements(By.CSS_SELECTOR, selector)

    def row(self, sku: str) -> WebElement:
        return self.find(f'tr[data-sku="{sku}"]')

    def has_row(self, sku: str) -> bool:
        return bool(self.find_all(f'tr[data-sku="{sku}"]'))

    def stock(self, sku: str) -> int:
        return int(self.row(sku).find_element(By.CSS_SELECTOR, '[data-field="stock"]').text)

    def row_text(self, sku: str) -> str:
        return self.row(sku).text

    def status(self) -> str:
        return self.find("#connection-status").text

    def summary(self) -> str:
        return self.find("#summary").text

    def toasts(self) -> list[str]:
        return [toast.text for toast in self.find_all(".toast")]

    def config(self) -> dict:
        return json.loads(self.find("#dashboard-config").get_attribute("textContent"))

    # -- waiting -------------------------------------------------------------------------

    def wait_for_status(self, words: str, *, timeout: float = 10) -> None:
        wait_until(lambda: self.status() == words, timeout=timeout, what=f"status {words!r}")

    def wait_for_stock(self, sku: str, stock: int, *, timeout: float = 2) -> None:
        wait_until(
            lambda: self.has_row(sku) and self.stock(sku) == stock,
            timeout=timeout,
            what=f"{sku} to show stock {stock}",
        )

    def wait_for_toast(self, text: str, *, timeout: float = 5) -> str:
        return wait_until(
            lambda: next((toast for toast in self.toasts() if text in toast), None),
            timeout=timeout,
            what=f"a toast with {text!r}",
        )

    # -- evidence ------------------------------------------------------------------------

    def screenshot(self, name: str) -> Path:
        self.shots.mkdir(parents=True, exist_ok=True)
        path = self.shots / f"{name}.png"
        self.driver.save_screenshot(str(path))
        return path

    def read_console(self) -> list[dict]:
        """Every browser log entry so far (Chromium hands each out once, so they are kept)."""
        self.console.extend(self.driver.get_log("browser"))
        return self.console

    def console_errors(self, *, allow: Iterable[str] = ()) -> list[str]:
        """Messages of SEVERE log entries, except those matching one of the ``allow`` patterns."""
        patterns = [re.compile(pattern) for pattern in allow]
        return [
            entry["message"]
            for entry in self.read_console()
            if entry["level"] == "SEVERE"
            and not any(pattern.search(entry["message"]) for pattern in patterns)
        ]


def new_profile_dir(root: Path) -> Path:
    """An empty Chromium profile folder, so no state leaks between windows."""
    root.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix="chromium-", dir=root))
