"""The WebSocket handshake's gatekeepers: connections per address, Origin, authentication."""

from collections import Counter

from channels.auth import AuthMiddleware
from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from channels.security.websocket import OriginValidator, WebsocketDenier
from channels.sessions import CookieMiddleware, SessionMiddleware
from django.conf import settings
from django.contrib.auth.models import AnonymousUser

from inventory.tokens import bearer_token, token_user
from realtime.metrics import CONNECTIONS_CLOSED

#: Close code of a connection refused because its address holds too many already.
CLOSE_TOO_MANY_CONNECTIONS = 4029

_deny = WebsocketDenier.as_asgi()


class ConnectionLimit:
    """Close a WebSocket at once (4029) when its address holds too many in this process.

    The count of an address goes down when its connection's application returns, however
    that happens: closed by either side, dropped, crashed or cancelled by the server.
    The address is the peer's, or the one daphne takes from a proxy's headers when
    started with ``--proxy-headers``.
    """

    def __init__(self, inner) -> None:
        self.inner = inner
        #: Open connections by address; an address leaves when its count reaches zero.
        self.open: Counter[str | None] = Counter()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "websocket":
            return await self.inner(scope, receive, send)
        # Read per connection so that a changed setting takes effect at once.
        limit = settings.STOCKWATCH_MAX_CONNECTIONS_PER_ADDRESS
        address = (scope.get("client") or (None,))[0]
        if limit and self.open[address] >= limit:
            return await _refuse(receive, send)
        self.open[address] += 1
        try:
            return await self.inner(scope, receive, send)
        finally:
            self.open[address] -= 1
            if self.open[address] <= 0:
                del self.open[address]


async def _refuse(receive, send) -> None:
    # Accepted and then closed, rather than refused with 403, so that clients see a close
    # code they can tell from a refused credential, and reconnect later.
    if (await receive())["type"] != "websocket.connect":
        return
    await send({"type": "websocket.accept"})
    await send({"type": "websocket.close", "code": CLOSE_TOO_MANY_CONNECTIONS})
    CONNECTIONS_CLOSED.labels(reason="too_many_connections").inc()


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
            raw = bearer_token(header.decode("latin-1"))
            user = None
            if raw is not None:
                user = await database_sync_to_async(token_user)(raw=raw)
            if user is None:
                return await _deny(scope, receive, send)
            scope = dict(scope, user=user)
        return await super().__call__(scope, receive, send)


class SessionUserMiddleware(AuthMiddleware):
    """Channels' session authentication, without a database round trip when there is
    no session: most watchers are anonymous, and each trip queues behind one thread."""

    async def resolve_scope(self, scope) -> None:
        if scope["session"].session_key is None:
            scope["user"]._wrapped = AnonymousUser()
            return
        await super().resolve_scope(scope)


def websocket_stack(inner):
    """Wrap the WebSocket routes: connections per address, Origin, session, bearer token."""
    # The limit comes first, so that a flood of handshakes costs no token lookups.
    return ConnectionLimit(
        BrowserOriginValidator(
            CookieMiddleware(
                SessionMiddleware(SessionUserMiddleware(BearerTokenMiddleware(inner)))
            ),
            settings.ALLOWED_HOSTS,
        )
    )
