"""Liveness of what the server depends on (``/healthz``) and its Prometheus metrics."""

import asyncio
import logging
import uuid

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

logger = logging.getLogger(__name__)

#: Seconds a dependency may take to answer before it counts as down.
CHECK_TIMEOUT = 2.0


def _database_check() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


async def database_status() -> str:
    try:
        await asyncio.wait_for(sync_to_async(_database_check)(), CHECK_TIMEOUT)
    except Exception as exc:
        return _failure("database", exc)
    return "ok"


async def _channel_layer_check() -> None:
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer is configured")
    if hasattr(layer, "connection") and hasattr(layer, "ring_size"):
        # channels_redis: ask every Redis server of the ring, through the layer's own pools.
        for index in range(layer.ring_size):
            await layer.connection(index).ping()
        return
    # Any other layer proves itself with a round trip through a fresh channel.
    channel = await layer.new_channel()
    token = uuid.uuid4().hex
    await layer.send(channel, {"type": "health.check", "token": token})
    message = await layer.receive(channel)
    if message.get("token") != token:
        raise RuntimeError("the channel layer returned another message")


async def channel_layer_status() -> str:
    try:
        await asyncio.wait_for(_channel_layer_check(), CHECK_TIMEOUT)
    except Exception as exc:
        return _failure("channel layer", exc)
    return "ok"


def _failure(part: str, exc: BaseException) -> str:
    reason = str(exc) or type(exc).__name__
    if isinstance(exc, TimeoutError):
        reason = f"no answer within {CHECK_TIMEOUT:g} s"
    logger.warning("health check: %s is down: %s", part, reason)
    return f"error: {reason}"


@require_GET
async def healthz(request: HttpRequest) -> HttpResponse:
    """200 when the database and the channel layer answer, else 503 naming the failing part."""
    database, channel_layer = await asyncio.gather(database_status(), channel_layer_status())
    healthy = database == "ok" and channel_layer == "ok"
    body = {
        "status": "ok" if healthy else "error",
        "database": database,
        "channel_layer": channel_layer,
    }
    return JsonResponse(body, status=200 if healthy else 503)


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus text exposition of the default registry, where every app's metrics live."""
    return HttpResponse(generate_latest(), content_type=CONTENT_TYPE_LATEST)
