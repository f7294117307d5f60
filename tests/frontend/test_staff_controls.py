"""Staff change stock from the dashboard; every other open page sees it."""

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.select import Select

from tests.frontend.browser import wait_until
from tests.frontend.conftest import api_client, create_account, create_product

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def restock_from_row(page, sku: str, quantity: int) -> None:
    field = page.row(sku).find_element(By.CSS_SELECTOR, "input.qty")
    field.clear()
    field.send_keys(str(quantity))
    page.row(sku).find_element(By.CSS_SELECTOR, ".restock-form button[type=submit]").click()


def test_staff_restock_control_changes_stock_and_another_page_sees_it(
    open_page, server, staff_api, staff_user
):
    sku = create_product(staff_api, name="Gooseneck kettle", stock=4)
    shopper_page = open_page(server).open_live()
    staff_page = open_page(server).sign_in(staff_user.username, staff_user.password).open_live()
    assert staff_page.find_all('a[href="/admin/"]'), "staff get a link to the admin"

    restock_from_row(staff_page, sku, 6)

    staff_page.wait_for_stock(sku, 10)
    shopper_page.wait_for_stock(sku, 10)
    staff_page.wait_for_toast("Restocked Gooseneck kettle")
    staff_page.screenshot("staff-restocked")
    assert staff_page.console_errors() == []
    assert shopper_page.console_errors() == []


def test_staff_set_stock_dialog_sets_an_exact_level(open_page, server, staff_api, staff_user):
    sku = create_product(staff_api, name="Wool rug", stock=9)
    other = open_page(server).open_live()
    page = open_page(server).sign_in(staff_user.username, staff_user.password).open_live()

    page.row(sku).find_element(By.CSS_SELECTOR, ".set-stock").click()
    dialog_field = page.find("#stock-dialog-value")
    wait_until(dialog_field.is_displayed, what="the set-stock dialog")
    assert dialog_field.get_attribute("value") == "9"
    page.screenshot("staff-set-stock-dialog")
    dialog_field.clear()
    dialog_field.send_keys("0", Keys.ENTER)

    page.wait_for_stock(sku, 0)
    other.wait_for_stock(sku, 0)
    assert "Sold out" in other.row_text(sku)
    assert not page.find("#stock-dialog").is_displayed()
    assert page.console_errors() == []


def test_staff_controls_are_reachable_and_usable_by_keyboard(open_page, server_factory):
    server = server_factory.server()
    staff = create_account(server.store, staff=True)
    with api_client(server, staff) as api:
        sku = create_product(api, name="Desk lamp", stock=1)
    page = open_page(server).sign_in(staff.username, staff.password).open_live()
    keyboard = ActionChains(page.driver)

    for _ in range(25):
        keyboard.send_keys(Keys.TAB).perform()
        active = page.driver.switch_to.active_element
        if active.get_attribute("class") == "qty":
            break
    assert active.get_attribute("aria-label") == "Quantity to restock Desk lamp"
    active.send_keys(Keys.CONTROL, "a")
    active.send_keys("3", Keys.ENTER)

    page.wait_for_stock(sku, 4)
    assert page.console_errors() == []


def test_an_api_refusal_shows_as_a_readable_message(open_page, server_factory):
    server = server_factory.server()
    staff = create_account(server.store, staff=True)
    with api_client(server, staff) as api:
        sku = create_product(api, name="Glass vase", stock=2)
    page = open_page(server).sign_in(staff.username, staff.password).open_live()
    # The permission goes while the page is open: the server refuses, the page says why.
    server.store.shell(
        "from django.contrib.auth import get_user_model\n"
        f"get_user_model().objects.get(username={staff.username!r}).user_permissions.clear()\n"
    )

    restock_from_row(page, sku, 5)

    toast = page.wait_for_toast("Could not restock Glass vase")
    assert "permission" in toast.lower() or "not allowed" in toast.lower(), toast
    assert "{" not in toast, "the message is words, not JSON"
    assert page.stock(sku) == 2
    page.screenshot("staff-error")
    assert page.console_errors(allow=[r"/restock - Failed to load resource: .* 403"]) == []


def test_restock_from_the_admin_in_a_second_window_shows_on_the_dashboard_at_once(
    open_page, server, staff_api, staff_user
):
    sku = create_product(staff_api, name="Admin-restocked lamp", stock=0)
    dashboard = open_page(server).open_live()
    admin = open_page(server).sign_in(staff_user.username, staff_user.password)
    admin.open(f"/admin/inventory/product/?q={sku}")

    admin.find('input[name="_selected_action"]').click()
    Select(admin.find('select[name="action"]')).select_by_value("restock_selected")
    admin.find('button[name="index"]').click()
    quantity = wait_until(lambda: admin.find_all('input[name="quantity"]'), what="quantity page")
    quantity[0].send_keys("8", Keys.ENTER)

    dashboard.wait_for_stock(sku, 8)
    assert "In stock" in dashboard.row_text(sku)
    dashboard.wait_for_toast("Admin-restocked lamp is back in stock")
    dashboard.screenshot("restocked-from-admin")
    assert dashboard.console_errors() == []
