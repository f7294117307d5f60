"""URL routes of the HTTP side."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("inventory.urls")),
    path("", include("frontend.urls")),
]
