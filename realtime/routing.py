"""WebSocket routes."""

from django.urls import path

from realtime.consumers import StockConsumer

websocket_urlpatterns = [
    path("ws/stock/", StockConsumer.as_asgi()),
]
