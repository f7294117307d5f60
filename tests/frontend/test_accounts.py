"""Shoppers sign up, sign in and out on pages that match the dashboard, and ask to be notified."""

import secrets
from urllib.parse import parse_qs, urlsplit

import pytest
from selenium.webdriver.common.by import By

from tests.frontend.browser import wait_until
from tests.frontend.conftest import create_product

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def test_shopper_signs_up_lands_signed_in_and_signs_out(open_page, server):
    page = open_page(server).open("/accounts/signup/")
    page.screenshot("sign-up")
    username = f"newbie-{secrets.token_hex(3)}"
    password = secrets.token_urlsafe(14)

    page.find("#id_username").send_keys(username)
    page.find("#id_password1").send_keys(password)
    page.find("#id_password2").send_keys(password)
    page.find("form.stack-form button[type=submit]").click()

    wait_until(lambda: page.find_all(".account-name"), what="the signed-in header")
    assert page.find(".account-name").text == username
    page.wait_for_status("Live")
    assert page.config()["user"] == username

    page.find("form.inline-form button[type=submit]").click()
    wait_until(lambda: page.find_all('a[href="/accounts/login/"]'), what="the signed-out header")
    assert page.config()["user"] is None
    assert page.console_errors() == []


def test_sign_up_with_mismatched_passwords_says_what_is_wrong(open_page, server):
    page = open_page(server).open("/accounts/signup/")
    page.find("#id_username").send_keys(f"typo-{secrets.token_hex(3)}")
    page.find("#id_password1").send_keys("a-long-enough-Passw0rd")
    page.find("#id_password2").send_keys("a-different-Passw0rd")
    page.find("form.stack-form button[type=submit]").click()

    error = wait_until(lambda: page.find_all(".field-error"), what="a field error")[0]
    assert "didn’t match" in error.text or "didn't match" in error.text
    assert page.find_all(".account-name") == []


def test_wrong_password_on_sign_in_shows_a_readable_error(open_page, server, shopper):
    page = open_page(server).open("/accounts/login/")
    page.screenshot("sign-in")
    page.find("#id_username").send_keys(shopper.username)
    page.find("#id_password").send_keys("not-the-password")
    page.find("form.stack-form button[type=submit]").click()

    alert = wait_until(lambda: page.find_all('.form-error[role="alert"]'), what="the error")[0]
    assert "correct username and password" in alert.text


def test_anonymous_notify_me_on_a_sold_out_row_leads_to_sign_in(open_page, server, staff_api):
    sku = create_product(staff_api, name="Rattan chair", stock=0)
    page = open_page(server).open_live()

    link = page.row(sku).find_element(By.LINK_TEXT, "Notify me")
    link.click()

    wait_until(lambda: "/accounts/login/" in page.driver.current_url, what="the sign-in page")
    assert parse_qs(urlsplit(page.driver.current_url).query) == {"next": ["/"]}
