"""The WebSocket handshake's gatekeepers: the Origin check and authentication."""

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from channels.security.websocket import OriginValidator, WebsocketDenier
from django.conf import settings

from inventory.tokens import token_user

_deny = WebsocketDenier.as_asgi()


class BrowserOriginValidator(OriginValidator):
    """Refuse a foreign ``Origin``; let a handshake without one (a program) through.

    Channels' ``AllowedHostsOriginValidator`` refuses a missing Origin too, which would
    shut out every non-browser client; browsers always send one, so cross-site pages
    are still refused.
    """

    def valid_origin(self, parsed_origin) -> bool:
        if parsed_origin is None:
            return True
        return self.validate_origin(parsed_origin)


class BearerTokenMiddleware(BaseMiddleware):
    """Authenticate ``Authorization: Bearer TOKEN``; refuse an unknown or revoked token."""

    async def __call__(self, scope, receive, send):
        header = dict(scope.get("headers", ())).get(b"authorization")
        if header is not None:
            scheme, _, raw = header.decode("latin-1").partition(" ")
            user = None
            if scheme.lower() == "bearer" and raw.strip():
                user = await database_sync_to_async(token_user)(raw=raw.strip())
            if user is None:
                return await _deny(scope, receive, send)
            scope = dict(scope, user=user)
        return await super().__call__(scope, receive, send)


def websocket_stack(inner):
    """Wrap the WebSocket routes: Origin first, then session cookie, then bearer token."""
    return BrowserOriginValidator(
        AuthMiddlewareStack(BearerTokenMiddleware(inner)), settings.ALLOWED_HOSTS
    )
