"""ASGI entry point: HTTP through Django, WebSockets through the stock consumer."""

import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from django.conf import settings  # noqa: E402

from config.settings import require_production_secret  # noqa: E402

require_production_secret(debug=settings.DEBUG, secret_key=settings.SECRET_KEY)

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from realtime.middleware import websocket_stack  # noqa: E402
from realtime.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": websocket_stack(URLRouter(websocket_urlpatterns)),
    }
)

# A server holding thousands of sockets keeps millions of long-lived objects, and with
# the default thresholds the cyclic collector walks them all every few seconds, pausing
# every socket (0.5-1.9 s measured at 5,000 connections). Collect less often, and leave
# what start-up built out of every collection. The price: memory settles higher (about
# 2x after many connect cycles), as cyclic garbage waits for the rarer full collections.
gc.freeze()
gc.set_threshold(*settings.STOCKWATCH_GC_THRESHOLDS)
