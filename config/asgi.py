"""ASGI entry point: HTTP through Django, WebSockets through the stock consumer."""

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
