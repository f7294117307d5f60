"""Production settings: Django's deployment checks pass, the development key is refused."""

import os
import secrets
import subprocess
import sys

import httpx
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from config.settings import proxy_ssl_header
from tests.support.server import REPO_ROOT, Server, free_port


def production_environ(tmp_path, **extra: str) -> dict[str, str]:
    """The outer environment without the project's variables, plus a production setup."""
    environ = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "STOCKWATCH_"))
        and key not in ("DATABASE_URL", "REDIS_URL")
    }
    environ.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="shop.example.com",
        DJANGO_SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto",
        STOCKWATCH_DATA_DIR=str(tmp_path),
    )
    environ.update(extra)
    return environ


def manage(environ: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO_ROOT,
        env=environ,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_check_deploy_finds_nothing_to_fix_with_debug_off_and_a_real_secret(tmp_path):
    result = manage(production_environ(tmp_path), "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stdout + result.stderr
    # Only the two deliberate silences of config.settings (SSL redirect, HSTS preload).
    assert "System check identified no issues (2 silenced)." in result.stdout


def test_check_deploy_flags_the_development_key(tmp_path):
    environ = production_environ(tmp_path)
    del environ["DJANGO_SECRET_KEY"]

    result = manage(environ, "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode != 0
    assert "security.W009" in result.stderr


def test_check_deploy_flags_hsts_turned_off(tmp_path):
    environ = production_environ(tmp_path, DJANGO_SECURE_HSTS_SECONDS="0")

    result = manage(environ, "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode != 0
    assert "security.W004" in result.stderr


@pytest.mark.e2e
def test_daphne_refuses_to_start_with_the_development_key_when_debug_is_off(tmp_path):
    environ = production_environ(tmp_path)
    del environ["DJANGO_SECRET_KEY"]
    command = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(free_port())]

    result = subprocess.run(
        [*command, "config.asgi:application"],
        cwd=REPO_ROOT,
        env=environ,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/static/frontend/css/dashboard.css", "text/css"),
        ("/static/frontend/js/dashboard.js", "text/javascript"),
        ("/static/frontend/img/favicon.svg", "image/svg+xml"),
    ],
)
def test_daphne_serves_static_files_with_debug_off(server: Server, path, content_type):
    response = httpx.get(server.base_url + path, timeout=10)

    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == content_type
    assert response.content == (REPO_ROOT / "frontend" / path.removeprefix("/")).read_bytes()


@pytest.mark.e2e
def test_a_missing_static_file_is_a_plain_404(server: Server):
    response = httpx.get(server.base_url + "/static/frontend/css/nothing.css", timeout=10)

    assert response.status_code == 404


@pytest.mark.django_db
def test_an_https_answer_carries_hsts_for_a_year_with_subdomains(settings):
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_PROXY_SSL_HEADER = proxy_ssl_header("X-Forwarded-Proto")

    response = Client().get("/api/products/", headers={"X-Forwarded-Proto": "https"})

    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


@pytest.mark.django_db
def test_a_plain_http_answer_carries_no_hsts(settings):
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SECURE_PROXY_SSL_HEADER = proxy_ssl_header("X-Forwarded-Proto")

    response = Client().get("/api/products/")

    assert "Strict-Transport-Security" not in response


def test_the_proxy_header_setting_names_the_wsgi_header_and_https():
    assert proxy_ssl_header("X-Forwarded-Proto") == ("HTTP_X_FORWARDED_PROTO", "https")
    assert proxy_ssl_header("") is None
    assert proxy_ssl_header(None) is None


@pytest.mark.parametrize("name", ["X-Forwarded-Proto: https", "X Forwarded", "Ä"])
def test_a_proxy_header_that_is_no_header_name_fails_loudly(name):
    with pytest.raises(ImproperlyConfigured):
        proxy_ssl_header(name)
