"""A signed-in shopper arms "Notify me", sees it in "My alerts", and hears of the restock."""

import httpx
import pytest
from selenium.webdriver.common.by import By

from tests.frontend.browser import DashboardPage, wait_until
from tests.frontend.conftest import api_client, create_account, create_product
from tests.frontend.test_staff_controls import restock_from_row

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

#: A restock travels from the staff page through the server to the shopper's socket; the
#: machine is shared, so the wait is generous and only the outcome is asserted.
ALERT_WAIT = 15


def server_alerts(api: httpx.Client) -> dict[str, str]:
    """The shopper's alerts as the server holds them: status by sku."""
    response = api.get("/api/alerts/")
    assert response.status_code == 200, response.text
    return {alert["sku"]: alert["status"] for alert in response.json()["alerts"]}


def alert_item(page: DashboardPage, sku: str):
    return page.find(f'#alert-list li[data-sku="{sku}"]')


def arm_from_row(page: DashboardPage, sku: str) -> None:
    page.row(sku).find_element(By.CSS_SELECTOR, ".notify-button").click()
    wait_until(lambda: "Alert on" in page.row_text(sku), what="the armed state")


@pytest.fixture
def new_shopper(server):
    """A shopper of their own, so "My alerts" holds only what the test armed."""
    return create_account(server.store, staff=False)


def test_notify_me_arms_an_alert_that_my_alerts_lists_and_cancel_disarms(
    open_page, server, staff_api, new_shopper
):
    sku = create_product(staff_api, name="Velvet armchair", stock=0)
    page = open_page(server).sign_in(new_shopper.username, new_shopper.password).open_live()
    assert page.row(sku).find_elements(By.CSS_SELECTOR, ".restock-form") == []

    arm_from_row(page, sku)

    page.wait_for_toast("We'll tell you when Velvet armchair is back")
    assert page.row(sku).find_element(By.CSS_SELECTOR, ".cancel-alert").text == "Cancel"
    page.screenshot("alert-armed")
    with api_client(server, new_shopper) as api:
        assert server_alerts(api) == {sku: "armed"}

        page.find("#alerts-open").click()
        wait_until(lambda: page.find_all("#alert-list li"), what="the alert in My alerts")
        item = alert_item(page, sku)
        assert "Velvet armchair" in item.text
        assert "waiting for a restock" in item.text
        assert not page.find("#alerts-error").is_displayed()
        assert not page.find("#alerts-empty").is_displayed()

        item.find_element(By.CSS_SELECTOR, 'button[data-action="cancel"]').click()

        page.wait_for_toast("Alert for Velvet armchair cancelled")
        wait_until(lambda: page.find_all("#alert-list li") == [], what="the list to empty")
        assert page.find("#alerts-empty").is_displayed()
        assert server_alerts(api) == {}
    page.find("#alerts-close").click()
    wait_until(lambda: "Notify me" in page.row_text(sku), what="the button back on the row")
    assert "Alert on" not in page.row_text(sku)
    assert page.console_errors() == []


def test_staff_restock_in_another_page_fires_the_shoppers_alert_which_can_be_armed_again(
    open_page, server, staff_api, staff_user, new_shopper
):
    sku = create_product(staff_api, name="Arc lamp", stock=0)
    shopper_page = open_page(server)
    shopper_page.sign_in(new_shopper.username, new_shopper.password).open_live()
    title = shopper_page.driver.title
    arm_from_row(shopper_page, sku)
    staff_page = open_page(server).sign_in(staff_user.username, staff_user.password).open_live()

    restock_from_row(staff_page, sku, 12)

    toast = wait_until(
        lambda: shopper_page.find_all(".toast-alert"), timeout=ALERT_WAIT, what="the alert toast"
    )[0]
    assert "Arc lamp is back in stock" in toast.text
    assert "12 available now" in toast.text
    assert shopper_page.driver.title == f"(1) {title}"
    assert shopper_page.find("#alerts-count").text == "1"
    shopper_page.wait_for_stock(sku, 12)
    shopper_page.screenshot("alert-toast")

    # Dismissing the toast counts as seen; My alerts then offers to follow the product again.
    toast.find_element(By.CSS_SELECTOR, ".toast-close").click()
    wait_until(lambda: shopper_page.driver.title == title, what="the count to clear once seen")
    assert not shopper_page.find("#alerts-count").is_displayed()
    with api_client(server, new_shopper) as api:
        assert server_alerts(api) == {sku: "notified"}
        shopper_page.find("#alerts-open").click()
        item = wait_until(lambda: alert_item(shopper_page, sku), what="the notified alert")
        assert "told you" in item.text
        item.find_element(By.CSS_SELECTOR, 'button[data-action="arm"]').click()

        shopper_page.wait_for_toast("We'll tell you when Arc lamp is back")
        wait_until(
            lambda: "waiting for a restock" in alert_item(shopper_page, sku).text,
            what="the alert armed again",
        )
        assert server_alerts(api) == {sku: "armed"}
    assert shopper_page.console_errors() == []
    assert staff_page.console_errors() == []


def test_a_refused_alert_call_shows_a_readable_message(open_page, server, staff_api, new_shopper):
    sku = create_product(staff_api, name="Rattan stool", stock=0)
    page = open_page(server).sign_in(new_shopper.username, new_shopper.password).open_live()
    # Staff remove the product while the page still shows it: the server refuses the alert.
    server.store.shell(
        f"from inventory.models import Product\nProduct.objects.filter(sku={sku!r}).delete()\n"
    )

    page.row(sku).find_element(By.CSS_SELECTOR, ".notify-button").click()

    toast = page.wait_for_toast("Could not set an alert for Rattan stool")
    assert "No product has that sku" in toast, toast
    assert "{" not in toast, "the message is words, not JSON"
    wait_until(lambda: "Notify me" in page.row_text(sku), what="the button back for a later try")
    assert "Alert on" not in page.row_text(sku)
    page.screenshot("alert-refused")
    # The deleted product's history may also be asked for (and refused) by its sparkline.
    expected = [r"/alert - Failed to load resource: .* 404", r"/events\?limit=\d+ - Failed .* 404"]
    assert page.console_errors(allow=expected) == []
