"""WebSocket observers: the consumer, the per-process hub and the bridge from signals."""

from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    name = "realtime"

    def ready(self) -> None:
        from realtime import alert_bridge, bridge

        bridge.connect()
        alert_bridge.connect()
