"""The table stays fast with 5,000 products: rows are updated in place, writes batched."""

import pytest

from tests.frontend.browser import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

PRODUCTS = 5000
STEP = 16
CHANGED = range(0, PRODUCTS, STEP)


@pytest.fixture
def big_store_server(server_factory):
    server = server_factory.server()
    server.store.shell(
        "from django.db import transaction\n"
        "from inventory.services import product_create\n"
        "with transaction.atomic():\n"
        f"    for i in range({PRODUCTS}):\n"
        "        product_create(sku=f'BULK-{i:05d}', name=f'Catalogue item {i}', stock=i % 40)\n"
    )
    return server


def test_five_thousand_products_render_and_a_burst_of_changes_is_applied_in_batches(
    open_page, big_store_server
):
    page = open_page(big_store_server)
    page.open_live()
    # Generous: speed belongs in benchmarks, and this machine is shared.
    wait_until(lambda: len(page.find_all("tr[data-sku]")) == PRODUCTS, timeout=60, what="all rows")
    page.driver.execute_script(
        "window.__mutations = 0;"
        "new MutationObserver(() => { window.__mutations += 1; })"
        "  .observe(document.getElementById('product-rows'),"
        "           {subtree: true, childList: true, characterData: true, attributes: true});"
    )

    big_store_server.store.shell(
        "from inventory.services import product_restock\n"
        f"for i in range(0, {PRODUCTS}, {STEP}):\n"
        "    product_restock(sku=f'BULK-{i:05d}', quantity=100)\n"
    )

    last = CHANGED[-1]
    page.wait_for_stock(f"BULK-{last:05d}", last % 40 + 100, timeout=5)
    page.wait_for_stock("BULK-00000", 100)
    batches = page.driver.execute_script("return window.__mutations")
    # Writing per event would wake the observer once per change; batching per frame far less.
    assert 0 < batches < len(CHANGED) / 3, batches
    assert len(page.find_all("tr[data-sku]")) == PRODUCTS
    page.find("#search").send_keys("item 4999")
    wait_until(lambda: page.summary().startswith("Showing 1 of 5,000"), what="search over 5,000")
    assert page.console_errors() == []
