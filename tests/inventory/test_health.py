"""``/healthz`` reports whether the database and the channel layer answer; ``/metrics`` exposes."""

import socket

import pytest
from django.db import connection
from django.test import override_settings

from inventory.models import Source
from inventory.services import product_create

pytestmark = pytest.mark.django_db


def closed_port() -> int:
    """A local port on which nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_layer(url: str, prefix: str) -> dict:
    return {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [url], "prefix": prefix},
        }
    }


def test_healthz_is_ok_with_the_in_memory_layer(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "channel_layer": "ok"}


def test_healthz_is_503_when_redis_does_not_answer(client):
    url = f"redis://127.0.0.1:{closed_port()}/0"
    with override_settings(CHANNEL_LAYERS=redis_layer(url, "health-test-down")):
        response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["database"] == "ok"
    assert body["channel_layer"].startswith("error: ")


def test_healthz_is_503_when_no_channel_layer_is_configured(client):
    with override_settings(CHANNEL_LAYERS={}):
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["channel_layer"] == "error: no channel layer is configured"


def test_healthz_is_503_when_the_database_fails(client):
    with connection.execute_wrapper(_refuse_queries):
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["database"] == "error: the database refused the query"
    assert response.json()["channel_layer"] == "ok"


def _refuse_queries(execute, sql, params, many, context):
    raise ConnectionError("the database refused the query")


@pytest.mark.redis
def test_healthz_is_ok_with_a_reachable_redis(client):
    with override_settings(CHANNEL_LAYERS=redis_layer("redis://127.0.0.1:6379/0", "health-test")):
        response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["channel_layer"] == "ok"


def test_healthz_refuses_other_methods(client):
    assert client.post("/healthz").status_code == 405


def test_metrics_expose_the_store_and_websocket_metrics(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        product_create(sku="M1", name="Metered", stock=1, source=Source.COMMAND)

    response = client.get("/metrics")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert 'stockwatch_stock_events_total{event="created"}' in text
    assert "stockwatch_connections_open" in text
    assert "stockwatch_fanout_seconds_bucket" in text
