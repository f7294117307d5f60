"""Back-in-stock alerts: shoppers' signups, their firing on restock and the email outbox."""

from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "alerts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from alerts import receivers

        receivers.connect()
