"""The dashboard shows the store's products and follows every change without a reload."""

import httpx
import pytest

from tests.frontend.browser import wait_until
from tests.frontend.conftest import create_product, restock, set_stock

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def test_table_renders_the_seeded_products_with_their_status(open_page, server, staff_api):
    lamp = create_product(staff_api, name="Arc floor lamp", stock=12)
    mug = create_product(staff_api, name="Stoneware mug", stock=2)
    chair = create_product(staff_api, name="Oak dining chair", stock=0)

    page = open_page(server).open_live()

    assert page.stock(lamp) == 12
    assert lamp in page.row_text(lamp) and "Arc floor lamp" in page.row_text(lamp)
    assert "In stock" in page.row_text(lamp)
    assert "Low stock" in page.row_text(mug)
    assert "Sold out" in page.row_text(chair)
    page.screenshot("dashboard-anonymous")
    assert page.console_errors() == []


def test_restock_through_the_api_updates_the_row_within_two_seconds(open_page, server, staff_api):
    sku = create_product(staff_api, name="Gooseneck kettle", stock=7)
    page = open_page(server).open_live()
    page.driver.execute_script("window.__sameDocument = true")

    restock(staff_api, sku, 5)

    page.wait_for_stock(sku, 12, timeout=2)
    assert page.driver.execute_script("return window.__sameDocument") is True, "page reloaded"
    assert page.console_errors() == []


def test_sold_out_product_shows_sold_out_and_a_restock_flips_it_back(open_page, server, staff_api):
    sku = create_product(staff_api, name="Hand-blown vase", stock=3)
    page = open_page(server).open_live()

    set_stock(staff_api, sku, 0)
    page.wait_for_stock(sku, 0)
    assert "Sold out" in page.row_text(sku)
    page.screenshot("row-sold-out")

    restock(staff_api, sku, 4)
    page.wait_for_stock(sku, 4)
    assert "Sold out" not in page.row_text(sku)
    assert "Low stock" in page.row_text(sku)
    toast = page.wait_for_toast("Hand-blown vase is back in stock")
    assert "4 available" in toast
    announcer = page.find("#announcer")
    wait_until(
        lambda: "back in stock" in announcer.get_attribute("textContent"), what="announcement"
    )
    page.screenshot("restock-toast")
    assert page.console_errors() == []


def test_product_created_while_the_page_is_open_appears_in_sku_order(open_page, server, staff_api):
    page = open_page(server).open_live()
    sku = create_product(staff_api, name="Linen cushion", stock=9)

    page.wait_for_stock(sku, 9)
    skus = [row.get_attribute("data-sku") for row in page.find_all("tr[data-sku]")]
    assert skus == sorted(skus)


def test_search_and_status_filter_narrow_the_table(open_page, server, staff_api):
    kept = create_product(staff_api, name="Walnut standing desk", stock=0, prefix="DESK")
    other = create_product(staff_api, name="Wool rug", stock=0, prefix="RUG")
    stocked = create_product(staff_api, name="Walnut shelf", stock=20, prefix="SHELF")
    page = open_page(server).open_live()

    page.find("#search").send_keys("walnut")
    wait_until(lambda: not page.row(other).is_displayed(), what="the rug to be filtered out")
    assert page.row(kept).is_displayed() and page.row(stocked).is_displayed()

    page.find('input[name="status"][value="out"]').click()
    wait_until(lambda: not page.row(stocked).is_displayed(), what="in-stock rows to hide")
    assert page.row(kept).is_displayed()
    assert page.summary().startswith("Showing ")
    page.screenshot("search-and-filter")
    assert page.console_errors() == []


def test_sparkline_draws_the_recent_stock_history(open_page, server, staff_api):
    sku = create_product(staff_api, name="Monstera plant", stock=1)
    for quantity in (2, 3, 4):
        restock(staff_api, sku, quantity)
    page = open_page(server).open_live()

    # History is fetched for rows as they scroll into view.
    page.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", page.row(sku))
    line = page.row(sku).find_element("css selector", '[data-field="trend"] polyline')
    wait_until(lambda: len(line.get_attribute("points").split()) == 4, what="four history points")

    restock(staff_api, sku, 1)
    wait_until(lambda: len(line.get_attribute("points").split()) == 5, what="a fifth point")
    assert page.console_errors() == []


def test_page_gives_the_low_stock_threshold_from_settings(open_page, server):
    page = open_page(server).open_live()

    assert page.config()["lowStock"] == 5
    assert page.config()["canChangeStock"] is False
    assert httpx.get(server.base_url + "/").status_code == 200


def test_an_empty_store_says_it_has_no_products_yet(open_page, server_factory):
    page = open_page(server_factory.server()).open_live()

    assert page.summary() == "0 products · updated live"
    assert page.find("#empty").text == "No products yet."
    assert page.console_errors() == []
