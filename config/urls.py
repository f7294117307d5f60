"""URL routes of the HTTP side."""

from django.contrib import admin
from django.urls import include, path

from config.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("", include("inventory.urls")),
    path("", include("frontend.urls")),
]
