"""The observer that carries fired back-in-stock alerts to each user's group."""

import asyncio
import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from alerts.signals import FiredAlert, alerts_fired
from realtime import groups
from realtime.protocol import alert_message, dumps

logger = logging.getLogger(__name__)

#: Channel-layer sends in flight at once.
SEND_WINDOW = 200


def publish_alerts(*, fired: list[FiredAlert], **kwargs: object) -> None:
    """Send one message per user to their group, where every process's hub hears it.

    The hub hands the frame to each of the user's local connections, subscribed to the
    product or not. One restock's alerts share one frame, serialised once.
    """
    layer = get_channel_layer()
    if layer is None or not fired:
        return
    async_to_sync(_send_all)(layer, fired)


async def _send_all(layer, fired: list[FiredAlert]) -> None:
    frames: dict[tuple, str] = {}
    messages = []
    for alert in fired:
        key = (alert.sku, alert.name, alert.stock, alert.at)
        frame = frames.get(key)
        if frame is None:
            frame = frames[key] = dumps(
                alert_message(sku=alert.sku, name=alert.name, stock=alert.stock, at=alert.at)
            )
        messages.append(
            (
                groups.user_group(alert.user_id),
                {"type": "user.alert", "user_id": alert.user_id, "frame": frame},
            )
        )
    # Each send to Redis is a few round trips; a window of them in flight keeps a large
    # restock from holding the request that made it for seconds.
    for start in range(0, len(messages), SEND_WINDOW):
        window = messages[start : start + SEND_WINDOW]
        results = await asyncio.gather(
            *(layer.group_send(group, message) for group, message in window),
            return_exceptions=True,
        )
        for (group, _), result in zip(window, results, strict=True):
            if isinstance(result, Exception):
                logger.error("sending an alert to %s failed", group, exc_info=result)


def connect() -> None:
    alerts_fired.connect(publish_alerts, dispatch_uid="realtime.publish_alerts")
