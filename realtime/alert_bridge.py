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
    send = async_to_sync(layer.group_send)
    for message in alert_messages(fired):
        send(groups.ALERTS, message)


def alert_messages(fired: list[FiredAlert]) -> list[dict]:
    """One channel-layer message per restock: the users to tell and the frame, serialised once."""
    restocks: dict[tuple, list[int]] = {}
    for alert in fired:
        key = (alert.sku, alert.seq, alert.name, alert.stock, alert.at)
        restocks.setdefault(key, []).append(alert.user_id)
    return [
        {
            "type": "alerts.fired",
            "sku": sku,
            "seq": seq,
            "user_ids": user_ids,
            "frame": dumps(alert_message(sku=sku, name=name, stock=stock, at=at)),
        }
        for (sku, seq, name, stock, at), user_ids in restocks.items()
    ]


def connect() -> None:
    alerts_fired.connect(publish_alerts, dispatch_uid="realtime.publish_alerts")
