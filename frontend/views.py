"""The live dashboard page and the shopper sign-up page."""

import logging

from django.conf import settings
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from frontend.forms import SignUpForm

logger = logging.getLogger(__name__)

#: How many recent stock levels each row's sparkline shows.
HISTORY_LIMIT = 24
#: Sample paths that tell whether an optional API route is served by this deployment.
_HISTORY_PROBE = "/api/products/SKU/events"
_ALERTS_PROBE = "/api/alerts/"


def route_exists(path: str) -> bool:
    """Whether ``path`` is served by a named route; lets the page skip calls that could only 404.

    The API answers unknown paths under its prefix through an unnamed catch-all, so a match
    without a name means "no such endpoint".
    """
    try:
        match = resolve(path)
    except Resolver404:
        return False
    return bool(match.url_name)


def dashboard_config(request: HttpRequest) -> dict:
    """What the page's script needs from the server, put into the page with json_script."""
    user = request.user
    signed_in = user.is_authenticated
    return {
        "user": user.get_username() if signed_in else None,
        "canChangeStock": signed_in and user.has_perm("inventory.change_product"),
        "lowStock": settings.STOCKWATCH_LOW_STOCK,
        "historyLimit": HISTORY_LIMIT,
        "apiRoot": "/api/",
        "socketPath": "/ws/stock/",
        "csrfToken": get_token(request),
        "loginUrl": reverse("login"),
        "features": {
            "history": route_exists(_HISTORY_PROBE),
            "alerts": route_exists(_ALERTS_PROBE),
        },
    }


def dashboard(request: HttpRequest) -> HttpResponse:
    """Serve the dashboard; the page observes stock over the WebSocket."""
    config = dashboard_config(request)
    return render(
        request,
        "frontend/dashboard.html",
        {"dashboard_config": config, "can_change_stock": config["canChangeStock"]},
    )


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    """Create a shopper account, sign it in and go back to where the shopper came from."""
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = ""
    if request.user.is_authenticated:
        return redirect(next_url or settings.LOGIN_REDIRECT_URL)
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        logger.info("shopper %s signed up", user.get_username())
        return redirect(next_url or settings.LOGIN_REDIRECT_URL)
    return render(request, "registration/signup.html", {"form": form, "next": next_url})
