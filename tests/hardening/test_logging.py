"""Log lines: one JSON object per record outside debug, and never a token or a password."""

import io
import json
import logging
import logging.config
import time

import httpx
import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import env_choice
from config.logging import REDACTED, logging_config, redact
from tests.support.server import Server

TOKEN = "sw_Zq3xV9pL2mN8bR4tY6uW0eA1sD5fG7hJ9kL2zX4cV6b"


@pytest.fixture
def log_lines():
    """A logger wired as the server's is; returns (logger, a function giving its lines)."""
    stream = io.StringIO()

    def configure(log_format: str = "json"):
        config = logging_config(log_format=log_format, level="DEBUG")
        config["handlers"]["console"]["stream"] = stream
        config["root"] = {"handlers": [], "level": "WARNING"}
        config["loggers"] = {"stockwatch.test": {"handlers": ["console"], "level": "DEBUG"}}
        logging.config.dictConfig(config)
        return logging.getLogger("stockwatch.test"), lambda: stream.getvalue().splitlines()

    yield configure
    logger = logging.getLogger("stockwatch.test")
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()


def test_a_record_is_one_line_of_json_with_time_level_logger_and_message(log_lines):
    logger, lines = log_lines()

    logger.warning("stock of %s is %d", "LAMP-1", 3, extra={"sku": "LAMP-1"})

    [line] = lines()
    entry = json.loads(line)
    assert entry["level"] == "WARNING"
    assert entry["logger"] == "stockwatch.test"
    assert entry["message"] == "stock of LAMP-1 is 3"
    assert entry["sku"] == "LAMP-1"
    assert entry["time"].endswith("+00:00")


def test_a_traceback_stays_inside_the_one_line(log_lines):
    logger, lines = log_lines()

    try:
        raise ValueError("boom\nsecond line")
    except ValueError:
        logger.exception("it failed")

    [line] = lines()
    entry = json.loads(line)
    assert entry["message"] == "it failed"
    assert "ValueError: boom" in entry["exception"]
    assert "Traceback" in entry["exception"]


def test_the_plain_format_is_text(log_lines):
    logger, lines = log_lines("plain")

    logger.info("hello")

    [line] = lines()
    assert line.endswith("INFO stockwatch.test hello")


@pytest.mark.parametrize("log_format", ["json", "plain"])
def test_tokens_passwords_and_authorization_headers_never_reach_the_log(log_lines, log_format):
    logger, lines = log_lines(log_format)

    logger.info("issued %s to alice", TOKEN)
    logger.info("headers %s", {"Authorization": f"Bearer {TOKEN}", "Accept": "*/*"})
    logger.info("login with password=hunter2&next=/")
    logger.info('body {"username": "bob", "password": "correct horse"}')
    logger.warning("upgrade", extra={"header": "authorization: Basic Ym9iOnNlY3JldA=="})
    try:
        raise RuntimeError(f"token {TOKEN} refused")
    except RuntimeError:
        logger.exception("failed")

    text = "\n".join(lines())
    for secret in (TOKEN, "hunter2", "correct", "horse", "Ym9iOnNlY3JldA=="):
        assert secret not in text
    assert text.count(REDACTED) >= 5  # the extra header shows in the JSON lines only
    assert "alice" in text and "bob" in text and "Accept" in text


@pytest.mark.parametrize(
    ("text", "cleaned"),
    [
        (f"token {TOKEN}.", f"token sw_{REDACTED}."),
        ("Authorization: Bearer abc.def", f"Authorization: Bearer {REDACTED}"),
        ("{'HTTP_AUTHORIZATION': 'Bearer x1'}", f"{{'HTTP_AUTHORIZATION': 'Bearer {REDACTED}'}}"),
        ('"password": "p w"', f'"password": "{REDACTED}"'),
        ("b'password': b'x'", f"b'password': b'{REDACTED}'"),
        ("password=s3cret&x=1", f"password={REDACTED}&x=1"),
        ("sold out: LAMP-1", "sold out: LAMP-1"),
    ],
)
def test_redact_replaces_only_the_secret(text, cleaned):
    assert redact(text) == cleaned


def test_an_unknown_log_format_fails_loudly():
    with pytest.raises(ImproperlyConfigured):
        env_choice({"STOCKWATCH_LOG_FORMAT": "xml"}, "STOCKWATCH_LOG_FORMAT", "json", {"json"})
    assert env_choice({"F": " JSON "}, "F", "plain", {"json", "plain"}) == "json"
    assert env_choice({}, "F", "plain", {"json", "plain"}) == "plain"


@pytest.mark.e2e
def test_a_server_with_debug_off_logs_json_lines_without_the_token_it_was_sent(server: Server):
    start = len(server.log_text())
    # A product named like a token, with that token sent along: Django logs the 404 path.
    response = httpx.get(
        f"{server.base_url}/api/products/{TOKEN}/",
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=10,
    )
    assert response.status_code == 401

    response = httpx.get(f"{server.base_url}/api/products/{TOKEN}/", timeout=10)
    assert response.status_code == 404

    deadline = time.monotonic() + 5
    while "Not Found" not in server.log_text()[start:] and time.monotonic() < deadline:
        time.sleep(0.05)
    logged = [line for line in server.log_text()[start:].splitlines() if line.strip()]
    entries = [json.loads(line) for line in logged]
    assert any(entry["logger"] == "django.request" for entry in entries)
    assert TOKEN not in server.log_text()
