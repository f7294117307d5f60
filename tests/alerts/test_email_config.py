"""Where the worker's email goes, read from the environment: console, EMAIL_URL or EMAIL_*."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import email_config

SMTP = "django.core.mail.backends.smtp.EmailBackend"


def test_without_settings_emails_go_to_the_console():
    config = email_config({})

    assert config["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"


def test_an_smtp_url_names_host_port_and_decoded_credentials():
    config = email_config({"EMAIL_URL": "smtp://mailer%40shop:p%3Ass@mail.example:2525"})

    assert config == {
        "EMAIL_BACKEND": SMTP,
        "EMAIL_HOST": "mail.example",
        "EMAIL_PORT": 2525,
        "EMAIL_HOST_USER": "mailer@shop",
        "EMAIL_HOST_PASSWORD": "p:ss",
        "EMAIL_USE_TLS": False,
        "EMAIL_USE_SSL": False,
        "EMAIL_TIMEOUT": 30,
    }


@pytest.mark.parametrize(
    ("url", "port", "tls", "ssl"),
    [
        ("smtp://mail.example", 25, False, False),
        ("smtp+tls://mail.example", 587, True, False),
        ("smtps://mail.example", 465, False, True),
    ],
)
def test_the_scheme_picks_the_transport_security_and_default_port(url, port, tls, ssl):
    config = email_config({"EMAIL_URL": url, "EMAIL_TIMEOUT": "5"})

    assert (config["EMAIL_PORT"], config["EMAIL_USE_TLS"], config["EMAIL_USE_SSL"]) == (
        port,
        tls,
        ssl,
    )
    assert config["EMAIL_TIMEOUT"] == 5


def test_djangos_own_names_turn_smtp_on_with_a_host():
    config = email_config(
        {"EMAIL_HOST": "relay", "EMAIL_PORT": "587", "EMAIL_USE_TLS": "1", "EMAIL_HOST_USER": "u"}
    )

    assert (config["EMAIL_BACKEND"], config["EMAIL_HOST"], config["EMAIL_PORT"]) == (
        SMTP,
        "relay",
        587,
    )
    assert (config["EMAIL_USE_TLS"], config["EMAIL_HOST_USER"]) == (True, "u")


def test_an_explicit_backend_wins():
    backend = "django.core.mail.backends.filebased.EmailBackend"

    assert email_config({"EMAIL_BACKEND": backend})["EMAIL_BACKEND"] == backend


@pytest.mark.parametrize(
    "environ",
    [
        {"EMAIL_URL": "http://mail.example"},
        {"EMAIL_URL": "smtp://mail.example:port"},
        {"EMAIL_URL": "smtp://:25"},
        {"EMAIL_HOST": "relay", "EMAIL_USE_TLS": "1", "EMAIL_USE_SSL": "1"},
        {"EMAIL_PORT": "twenty-five"},
    ],
)
def test_a_mistake_fails_loudly_at_start(environ):
    with pytest.raises(ImproperlyConfigured):
        email_config(environ)
