"""The observer that carries fired back-in-stock alerts to each user's group."""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from alerts.signals import FiredAlert, alerts_fired
from realtime import groups
from realtime.protocol import alert_message, dumps

logger = logging.getLogger(__name__)


def publish_alerts(*, fired: list[FiredAlert], **kwargs: object) -> None:
    """Send one message per restock, naming the users, to the group every hub is in.

    The hub hands the frame to each local connection of those users, subscribed to the
    product or not. A restock that fires 10,000 alerts costs one channel-layer message
    and one serialised frame, not one of each per user.
    """
    layer = get_channel_layer()
    if layer is None or not fired:
        return
    users: dict[tuple, list[int]] = {}
    for alert in fired:
        users.setdefault((alert.sku, alert.name, alert.stock, alert.at), []).append(alert.user_id)
    send = async_to_sync(layer.group_send)
    for (sku, name, stock, at), user_ids in users.items():
        frame = dumps(alert_message(sku=sku, name=name, stock=stock, at=at))
        send(groups.ALERTS, {"type": "alerts.fired", "user_ids": user_ids, "frame": frame})


def connect() -> None:
    alerts_fired.connect(publish_alerts, dispatch_uid="realtime.publish_alerts")
