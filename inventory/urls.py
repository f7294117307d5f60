"""HTTP routes of the store: the JSON API, health and metrics."""

from django.urls import path

from inventory.api import api
from inventory.health import healthz, metrics

urlpatterns = [
    path("api/", api.urls),
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics, name="metrics"),
]
