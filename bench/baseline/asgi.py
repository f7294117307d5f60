"""ASGI entry point of the baseline: the store's HTTP API, the tutorial's WebSocket side.

daphne bench.baseline.asgi:application    (from the checkout, with the store's settings)
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.urls import path  # noqa: E402

import bench.baseline.receivers  # noqa: E402, F401  (connects the post_save receiver)
from bench.baseline.consumers import StockConsumer  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter([path("ws/stock/", StockConsumer.as_asgi())]))
        ),
    }
)
