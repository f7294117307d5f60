"""The live dashboard page."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def dashboard(request: HttpRequest) -> HttpResponse:
    """Serve the dashboard; the page observes stock over the WebSocket."""
    return render(request, "frontend/dashboard.html", {})
