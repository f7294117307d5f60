"""HTTP routes of the store: health and metrics (the JSON API is mounted by ``config.urls``)."""

from django.urls import path

from inventory.health import healthz, metrics

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics, name="metrics"),
]
