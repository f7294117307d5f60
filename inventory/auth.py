"""Who is calling the API, and whether they may write: a bearer token or the browser session."""

import hashlib
import logging

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.http import HttpRequest
from django_ratelimit.core import get_usage
from ninja.utils import check_csrf

from inventory.errors import ApiError
from inventory.tokens import bearer_token, token_user

logger = logging.getLogger(__name__)

#: What changing stock or creating products takes.
STOCK_WRITE_PERMISSION = "inventory.change_product"
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}


def request_credential(request: HttpRequest) -> tuple[AbstractBaseUser | AnonymousUser, str]:
    """The caller and a key naming their credential; a bad token is refused wherever it is.

    A bearer token wins over the session and needs no CSRF token (a browser never sends it
    by itself); a signed-in session must prove with the CSRF token that it means an unsafe
    request.
    """
    header = request.headers.get("Authorization")
    if header is not None:
        raw = bearer_token(header)
        if raw is None:
            raise ApiError(401, "the Authorization header must be 'Bearer TOKEN'")
        user = token_user(raw=raw)
        if user is None:
            raise ApiError(401, "unknown or revoked token")
        request.user = user
        return user, "token:" + hashlib.sha256(raw.encode()).hexdigest()
    user = request.user
    if user.is_authenticated and request.method not in _SAFE_METHODS:
        if check_csrf(request) is not None:
            raise ApiError(403, "CSRF verification failed: send the X-CSRFToken header")
    return user, f"user:{user.pk}"


def _write_rate(group: str, request: HttpRequest) -> str:
    # Read per request so that a changed setting takes effect at once.
    return settings.STOCKWATCH_API_WRITE_RATE


def _credential_key(group: str, request: HttpRequest) -> str:
    return request.api_credential


class Anyone:
    """Auth for reads: anonymous callers are welcome, a bad token is not."""

    def __call__(self, request: HttpRequest) -> AbstractBaseUser | AnonymousUser:
        user, request.api_credential = request_credential(request)
        return user


class Writer:
    """Auth for writes: a signed-in caller with ``permission``, within the write rate."""

    def __init__(self, *, permission: str | None, group: str) -> None:
        self.permission = permission
        #: Writers sharing a group share one budget per credential.
        self.group = group

    def __call__(self, request: HttpRequest) -> AbstractBaseUser:
        user, request.api_credential = request_credential(request)
        if not user.is_authenticated:
            raise ApiError(401, "sign in or send 'Authorization: Bearer TOKEN'")
        if self.permission is not None and not user.has_perm(self.permission):
            raise ApiError(403, f"this needs the {self.permission} permission")
        usage = get_usage(
            request, group=self.group, key=_credential_key, rate=_write_rate, increment=True
        )
        if usage is not None and usage["should_limit"]:
            retry = max(usage["time_left"], 1)
            logger.info("API writes rate limited for %s", request.api_credential[:16])
            raise ApiError(
                429, f"too many writes; retry in {retry} s", headers={"Retry-After": str(retry)}
            )
        return user


anyone = Anyone()
stock_writer = Writer(permission=STOCK_WRITE_PERMISSION, group="api.stock-write")
