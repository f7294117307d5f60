"""The observer that carries committed stock changes to the channel layer's groups."""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from inventory.signals import StockChange, stock_changed
from realtime import groups
from realtime.metrics import EVENTS_PUBLISHED
from realtime.protocol import stock_frame

logger = logging.getLogger(__name__)


def publish_stock_change(*, change: StockChange, **kwargs: object) -> None:
    """Send one message per group: the product's and the all-products group.

    The frame is serialised here, once; every process's hub hands the same text to
    each of its local sockets.
    """
    layer = get_channel_layer()
    if layer is None:
        return
    message = {
        "type": "stock.event",
        "sku": change.sku,
        "seq": change.seq,
        "at": change.at.timestamp(),
        "frame": stock_frame(change),
    }
    send = async_to_sync(layer.group_send)
    send(groups.product_group(change.sku), message)
    send(groups.ALL_PRODUCTS, message)
    EVENTS_PUBLISHED.inc()


def connect() -> None:
    stock_changed.connect(publish_stock_change, dispatch_uid="realtime.publish_stock_change")
