"""The dashboard view hands the page what it needs; sign-up, sign-in and sign-out work."""

import json
import re

import pytest
from django.contrib.auth.models import Permission, User

from frontend.views import route_exists

pytestmark = pytest.mark.django_db


def page_config(response) -> dict:
    match = re.search(
        r'<script id="dashboard-config" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    assert match, "the page carries its configuration as a json_script"
    return json.loads(match.group(1))


def test_dashboard_passes_the_low_stock_threshold_from_settings(client, settings):
    settings.STOCKWATCH_LOW_STOCK = 7

    config = page_config(client.get("/"))

    assert config["lowStock"] == 7
    assert config["user"] is None
    assert config["canChangeStock"] is False


def test_staff_with_change_product_get_the_stock_controls_flag(client):
    user = User.objects.create_user("keeper", password="pw-keeper-12345", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="change_product"))
    client.force_login(user)

    response = client.get("/")

    assert page_config(response)["canChangeStock"] is True
    assert b'href="/admin/"' in response.content


def test_a_signed_in_shopper_gets_no_stock_controls(client):
    client.force_login(User.objects.create_user("shopper", password="pw-shopper-12345"))

    config = page_config(client.get("/"))

    assert config["user"] == "shopper"
    assert config["canChangeStock"] is False


def test_page_carries_a_csrf_token_that_matches_its_cookie(client):
    response = client.get("/")

    assert page_config(response)["csrfToken"]
    assert "csrftoken" in response.cookies


def test_route_exists_tells_served_endpoints_from_the_api_catch_all():
    assert route_exists("/api/products/ANY-SKU/events") is True
    assert route_exists("/api/no-such-endpoint/") is False
    assert route_exists("/nowhere/at/all") is False


def test_sign_up_creates_the_account_signs_it_in_and_goes_to_the_dashboard(client):
    response = client.post(
        "/accounts/signup/",
        {
            "username": "newshopper",
            "email": "",
            "password1": "a-long-enough-Passw0rd",
            "password2": "a-long-enough-Passw0rd",
        },
    )

    assert response.status_code == 302 and response["Location"] == "/"
    assert page_config(client.get("/"))["user"] == "newshopper"


def test_sign_up_ignores_a_next_address_on_another_host(client):
    response = client.post(
        "/accounts/signup/?next=https://elsewhere.example/",
        {
            "username": "careful",
            "password1": "a-long-enough-Passw0rd",
            "password2": "a-long-enough-Passw0rd",
            "next": "https://elsewhere.example/",
        },
    )

    assert response["Location"] == "/"


def test_sign_up_refuses_a_taken_username(client):
    User.objects.create_user("taken", password="pw-taken-12345")

    response = client.post(
        "/accounts/signup/",
        {
            "username": "taken",
            "password1": "a-long-enough-Passw0rd",
            "password2": "a-long-enough-Passw0rd",
        },
    )

    assert response.status_code == 200
    assert b"already exists" in response.content
    assert User.objects.filter(username="taken").count() == 1


def test_sign_in_page_uses_the_dashboard_look(client):
    response = client.get("/accounts/login/")

    assert response.status_code == 200
    assert b"frontend/css/dashboard.css" in response.content
    assert b'name="username"' in response.content


def test_sign_out_is_a_post_and_ends_the_session(client):
    client.force_login(User.objects.create_user("leaving", password="pw-leaving-12345"))

    assert client.get("/accounts/logout/").status_code == 405
    response = client.post("/accounts/logout/")

    assert response.status_code == 302
    assert page_config(client.get("/"))["user"] is None
