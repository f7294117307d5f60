"""axe-core finds no serious or critical accessibility problem on the pages people use."""

import pytest

from tests.frontend.conftest import create_product

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def axe_violations(page, axe_source: str) -> list[dict]:
    """Run axe-core in the page; return its serious and critical violations."""
    page.driver.execute_script(axe_source)
    result = page.driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']})"
        "  .then((r) => done(r.violations), (e) => done({error: String(e)}));"
    )
    assert not isinstance(result, dict), result
    return [
        {
            "id": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "nodes": [node["target"] for node in violation["nodes"]][:5],
        }
        for violation in result
        if violation["impact"] in {"serious", "critical"}
    ]


@pytest.fixture
def varied_catalog(staff_api) -> list[str]:
    """Products in every state, so every badge and control is on the page."""
    return [
        create_product(staff_api, name="Arc floor lamp", stock=30),
        create_product(staff_api, name="Stoneware mug", stock=2),
        create_product(staff_api, name="Oak dining chair", stock=0),
    ]


def test_dashboard_for_anonymous_visitors_has_no_serious_violation(
    open_page, server, axe_source, varied_catalog
):
    page = open_page(server).open_live()
    assert axe_violations(page, axe_source) == []
    assert page.console_errors() == []


def test_dashboard_for_staff_has_no_serious_violation(
    open_page, server, axe_source, varied_catalog, staff_user
):
    page = open_page(server).sign_in(staff_user.username, staff_user.password).open_live()
    assert axe_violations(page, axe_source) == []


def test_dashboard_at_phone_width_for_a_shopper_has_no_serious_violation(
    open_page, server, axe_source, varied_catalog, shopper
):
    page = open_page(server, width=390, height=844)
    page.sign_in(shopper.username, shopper.password).open_live()
    page.screenshot("dashboard-phone-shopper")
    assert axe_violations(page, axe_source) == []
    page.find("#alerts-open").click()
    page.screenshot("my-alerts-dialog")
    assert axe_violations(page, axe_source) == []


@pytest.mark.parametrize("path", ["/accounts/login/", "/accounts/signup/"])
def test_account_pages_have_no_serious_violation(open_page, server, axe_source, path):
    page = open_page(server).open(path)
    assert axe_violations(page, axe_source) == []
