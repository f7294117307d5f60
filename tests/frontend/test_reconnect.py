"""An outage shows on the page, and what changed meanwhile appears once the server is back."""

import pytest

from tests.frontend.browser import wait_until
from tests.frontend.conftest import api_client, create_account, create_product, restock

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

#: What Chromium logs, by itself, for each refused connection attempt while the server is down.
OUTAGE_NOISE = [
    r"WebSocket connection to 'ws://127\.0\.0\.1:\d+/ws/stock/' failed: .*ERR_CONNECTION_REFUSED"
]


def test_restarted_server_shows_the_outage_then_live_with_changes_made_meanwhile(
    open_page, server_factory
):
    server = server_factory.server()
    staff = create_account(server.store, staff=True)
    with api_client(server, staff) as api:
        kept = create_product(api, name="Arc floor lamp", stock=5)
        emptied = create_product(api, name="Oak chair", stock=2)
        page = open_page(server).open_live()
        page.driver.execute_script("window.__sameDocument = true")
        # Let the sparklines' history requests finish, so that none is cut by the stop.
        wait_until(
            lambda: page.driver.execute_script(
                "const t = window.stockwatch.table;"
                "return arguments[0].every((sku) => t.get(sku).historyLoaded);",
                [kept, emptied],
            ),
            what="the sparklines' history",
        )

        server.stop()
        wait_until(lambda: page.status() in {"Reconnecting…", "Offline"}, what="the outage to show")
        assert "last known stock" in page.find("#connection-detail").text
        page.screenshot("reconnecting")

        # Changes made while no server runs: the log keeps them for the page to recover.
        server.store.shell(
            "from inventory.services import product_restock, product_set_stock\n"
            f"product_restock(sku={kept!r}, quantity=7)\n"
            f"product_set_stock(sku={emptied!r}, stock=0)\n"
        )
        server.start()
        added = create_product(api, name="Linen cushion", stock=3)

        page.wait_for_status("Live", timeout=20)
        page.wait_for_stock(kept, 12, timeout=5)
        page.wait_for_stock(emptied, 0, timeout=5)
        page.wait_for_stock(added, 3, timeout=5)
        assert "Sold out" in page.row_text(emptied)
        assert page.driver.execute_script("return window.__sameDocument") is True

        # And it is live again, not only caught up.
        restock(api, emptied, 2)
        page.wait_for_stock(emptied, 2)
        page.screenshot("live-again")
    assert page.console_errors(allow=OUTAGE_NOISE) == []
