"""The WebSocket consumer of ``/ws/stock/``: protocol version 1 for one connection."""

import json
import logging
import time

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from inventory import selectors
from inventory.models import sku_is_valid
from inventory.serializers import product_data, stock_change_data
from realtime.backlog import send_buffer_probe
from realtime.hub import get_hub
from realtime.metrics import CONNECTIONS_CLOSED, CONNECTIONS_OPEN, FRAMES_DROPPED, SUBSCRIPTIONS
from realtime.presence import watching
from realtime.protocol import PROTOCOL_VERSION, dumps, error_message
from realtime.ratelimit import TokenBucket

logger = logging.getLogger(__name__)

CLOSE_SHUTDOWN = 4001
CLOSE_RATE_LIMITED = 4008
CLOSE_TOO_LARGE = 4009
CLOSE_BACKLOG = 4013

ALL = "*"


class ProtocolError(Exception):
    """A client message the protocol refuses; answered with an ``error`` frame."""

    def __init__(self, code: str, message: str, message_id: object = None) -> None:
        super().__init__(message)
        self.code = code
        self.message_id = message_id


class BadMessage(ProtocolError):
    """Valid JSON of the wrong shape."""

    def __init__(self, message: str) -> None:
        super().__init__("bad_message", message)


class StockConsumer(AsyncWebsocketConsumer):
    """One client's subscriptions; stock frames reach it from the process's hub."""

    # No channel per connection: the hub is this process's only channel-layer listener.
    channel_layer_alias = None

    async def dispatch(self, message: dict) -> None:
        # Channels first closes stale database connections through Django's one sync
        # thread on every message; our queries go through database_sync_to_async, which
        # does that around each of them, so the extra trip would only queue every
        # connect and every client message behind that thread.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def connect(self) -> None:
        self.hub = get_hub()
        await self.hub.start()
        self.skus: set[str] = set()
        self.all = False
        # What the hub looks at on delivery (see realtime.hub.Observer).
        self.hold_all = False
        self.held_skus: set[str] = set()
        self.held: list[tuple[str, int, str]] = []
        self.floors: dict[str, int] = {}
        self._out: list[str] = []
        self._draining = False
        self.closing = False
        self.buffered = send_buffer_probe(self.base_send)
        self.bucket = TokenBucket(
            rate=settings.STOCKWATCH_MESSAGE_RATE, burst=settings.STOCKWATCH_MESSAGE_BURST
        )
        self.limited_since: float | None = None
        user = self.scope.get("user")
        self.user = user if user is not None and user.is_authenticated else None
        await self.accept()
        CONNECTIONS_OPEN.inc()
        self.counted = True
        self.hub.connections.add(self)
        if self.user is not None:
            self.hub.add_user(self, user_id=self.user.pk)
        await self.send_message(
            {
                "type": "welcome",
                "protocol": PROTOCOL_VERSION,
                "user": self.user.get_username() if self.user is not None else None,
                "heartbeat": settings.STOCKWATCH_HEARTBEAT,
            }
        )

    async def __call__(self, scope, receive, send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            # Also when the server cancels the application before its disconnect was
            # handled (daphne does after --application-close-timeout): leave no trace.
            self._forget()

    async def disconnect(self, code: int) -> None:
        if getattr(self, "counted", False) and not self.closing:
            CONNECTIONS_CLOSED.labels(reason="client").inc()
        self._forget()

    def _forget(self) -> None:
        """Leave the hub and the open-connection count; safe to call more than once."""
        self._detach()
        if getattr(self, "counted", False):
            self.counted = False
            CONNECTIONS_OPEN.dec()

    def _detach(self) -> None:
        """Leave the hub, so nothing more is sent to this connection."""
        hub = getattr(self, "hub", None)
        if hub is None or not hasattr(self, "skus"):
            return  # Ended before it joined anything.
        hub.connections.discard(self)
        hub.remove(self, skus=self.skus)
        hub.remove(self, skus=None)
        if self.user is not None:
            hub.remove_user(self, user_id=self.user.pk)
        SUBSCRIPTIONS.dec(len(self.skus) + self.all)
        self.skus, self.all = set(), False

    # -- sending -----------------------------------------------------------------------

    async def send_message(self, message: dict) -> None:
        await self.send_texts([dumps(message)])

    async def send_text(self, text: str) -> None:
        await self.send_texts([text])

    async def send_texts(self, texts: list[str]) -> None:
        """Send in order, whoever calls; a connection that stopped reading is dropped."""
        if self.closing:
            return
        if self.buffered() > settings.STOCKWATCH_MAX_BACKLOG_BYTES:
            FRAMES_DROPPED.labels(reason="backlog").inc(len(texts))
            await self._close_for("backlog", CLOSE_BACKLOG)
            return
        self._out.extend(texts)
        if self._draining:
            return  # The drain below, suspended in an earlier call, sends these in turn.
        self._draining = True
        try:
            while self._out:
                batch, self._out = self._out, []
                for text in batch:
                    await self.base_send({"type": "websocket.send", "text": text})
        finally:
            self._draining = False

    async def close_for_shutdown(self) -> None:
        await self._close_for("shutdown", CLOSE_SHUTDOWN)

    async def _close_for(self, reason: str, code: int) -> None:
        if self.closing:
            return
        self.closing = True
        self._detach()
        CONNECTIONS_CLOSED.labels(reason=reason).inc()
        await self.close(code=code)

    # -- receiving ---------------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.closing:
            return
        if _too_large(text_data, bytes_data, settings.STOCKWATCH_MAX_MESSAGE_BYTES):
            await self._close_for("too_large", CLOSE_TOO_LARGE)
            return
        if not await self._admit():
            return
        message_id = None
        try:
            message, message_id = _decode(text_data)
            handler = self.handlers.get(message["type"])
            if handler is None:
                await self.send_message(
                    error_message(
                        "unknown_type",
                        f"Unknown message type {message['type'][:64]!r}.",
                        message_id=message_id,
                    )
                )
                return
            await handler(self, message, message_id)
        except ProtocolError as error:
            if error.message_id is not None:
                message_id = error.message_id
            await self.send_message(error_message(error.code, str(error), message_id=message_id))

    async def _admit(self) -> bool:
        """Apply the per-connection message rate; close a client that keeps on sending."""
        now = time.monotonic()
        if self.bucket.take(now):
            self.limited_since = None
            return True
        if self.limited_since is None:
            self.limited_since = now
        elif now - self.limited_since > settings.STOCKWATCH_RATE_LIMIT_GRACE:
            await self._close_for("rate_limited", CLOSE_RATE_LIMITED)
            return False
        await self.send_message(
            error_message("rate_limited", "Too many messages: slow down or be disconnected.")
        )
        return False

    # -- messages ----------------------------------------------------------------------

    async def _ping(self, message: dict, message_id: object) -> None:
        await self.send_message(_with_id({"type": "pong"}, message_id))

    async def _subscribe(self, message: dict, message_id: object) -> None:
        skus = _parse_skus(message.get("skus"))
        since = _parse_since(message.get("since"))
        if skus is not None:
            existing = await database_sync_to_async(selectors.product_skus_existing)(skus=skus)
            unknown = [sku for sku in skus if sku not in existing]
            if unknown:
                await self.send_message(
                    error_message(
                        "unknown_product",
                        "No product with sku " + ", ".join(unknown[:20]) + ".",
                        message_id=message_id,
                        skus=unknown,
                    )
                )
                return
            new = set(skus) - self.skus
        else:
            new = set()
        total = len(self.skus) + len(new) + (self.all or skus is None)
        if total > settings.STOCKWATCH_MAX_SUBSCRIPTIONS:
            await self.send_message(
                error_message(
                    "too_many_subscriptions",
                    f"At most {settings.STOCKWATCH_MAX_SUBSCRIPTIONS} skus per connection.",
                    message_id=message_id,
                )
            )
            return
        await self.hub.watch(skus)
        if self.closing:
            return
        # Hold what the hub hands out while the snapshot is read (see realtime.hub).
        if skus is None:
            self.hold_all = True
            SUBSCRIPTIONS.inc(not self.all)
            self.all = True
            self.hub.add(self, skus=None)
        else:
            self.held_skus.update(skus)
            SUBSCRIPTIONS.inc(len(new))
            self.skus.update(new)
            self.hub.add(self, skus=new)
        snapshot: list = []
        try:
            snapshot, missed, watchers = await database_sync_to_async(_read_snapshot)(
                skus=skus, since=since
            )
        finally:
            frames = self._release(skus, snapshot)
        reply: dict = {"type": "subscribed"}
        if message_id is not None:
            reply["id"] = message_id
        reply["skus"] = ALL if skus is None else skus
        reply["snapshot"] = [
            product_data(product) | {"watching": watchers.get(product.sku, 0)}
            for product in snapshot
        ]
        if since is not None:
            reply["missed"] = missed or []
            reply["recovered"] = missed is not None
        await self.send_texts([dumps(reply), *frames])

    def _release(self, skus: list[str] | None, snapshot: list) -> list[str]:
        """Stop holding; return the held frames newer than the snapshot, in order.

        Where the hub has not yet handed out the snapshot's seq, a floor drops what it
        hands out up to it: the snapshot already shows those changes.
        """
        if skus is None:
            self.hold_all = False
        else:
            self.held_skus.difference_update(skus)
        held, self.held = self.held, []
        seqs = {product.sku: product.seq for product in snapshot}
        frames = [text for sku, seq, text in held if seq > seqs.get(sku, -1)]
        for sku, seq in seqs.items():
            if self.hub.flushed_seq(sku) < seq and self.floors.get(sku, -1) < seq:
                self.floors[sku] = seq
        return frames

    async def _unsubscribe(self, message: dict, message_id: object) -> None:
        skus = _parse_skus(message.get("skus"))
        if skus is None:
            SUBSCRIPTIONS.dec(len(self.skus) + self.all)
            self.hub.remove(self, skus=None)
            self.hub.remove(self, skus=self.skus)
            self.skus, self.all = set(), False
        else:
            gone = self.skus.intersection(skus)
            self.hub.remove(self, skus=gone)
            self.skus -= gone
            SUBSCRIPTIONS.dec(len(gone))
        await self.send_message(
            _with_id({"type": "unsubscribed", "skus": ALL if skus is None else skus}, message_id)
        )

    handlers = {"ping": _ping, "subscribe": _subscribe, "unsubscribe": _unsubscribe}


def _too_large(text: str | None, data: bytes | None, limit: int) -> bool:
    if data is not None:
        return len(data) > limit
    if text is None or len(text) * 4 <= limit:
        return False  # No UTF-8 character takes more than 4 bytes.
    return len(text) > limit or len(text.encode()) > limit


def _decode(text: str | None) -> tuple[dict, object]:
    """The message object and its id, or ProtocolError."""
    if text is None:
        raise ProtocolError("bad_json", "Send JSON in text frames.")
    try:
        message = json.loads(text)
    except (ValueError, RecursionError):
        raise ProtocolError("bad_json", "The frame is not valid JSON.") from None
    if not isinstance(message, dict):
        raise ProtocolError("bad_message", "Send one JSON object per frame.")
    message_id = message.get("id")
    if message_id is not None and (
        isinstance(message_id, bool)
        or not isinstance(message_id, str | int)
        or (isinstance(message_id, str) and len(message_id) > 128)
        or (isinstance(message_id, int) and abs(message_id) >= 2**63)
    ):
        raise ProtocolError("bad_message", "id must be a string (up to 128) or an integer.")
    if not isinstance(message.get("type"), str):
        raise ProtocolError("bad_message", "type must be a string.", message_id)
    return message, message_id


def _with_id(frame: dict, message_id: object) -> dict:
    if message_id is None:
        return frame
    return {"type": frame["type"], "id": message_id, **frame}


def _parse_skus(value: object) -> list[str] | None:
    """A list of valid skus without repeats (None for ``"*"``), or BadMessage."""
    if value == ALL:
        return None
    if not isinstance(value, list) or not value:
        raise BadMessage('skus must be "*" or a non-empty list of skus.')
    if len(value) > settings.STOCKWATCH_MAX_SUBSCRIPTIONS:
        raise BadMessage(f"At most {settings.STOCKWATCH_MAX_SUBSCRIPTIONS} skus per message.")
    skus: dict[str, None] = {}
    for sku in value:
        if not sku_is_valid(sku):
            raise BadMessage("Each sku is 1-64 characters from A-Z a-z 0-9 . _ - .")
        skus[sku] = None
    return list(skus)


def _parse_since(value: object) -> dict[str, int] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or len(value) > max(
        settings.STOCKWATCH_MAX_SUBSCRIPTIONS, 10_000
    ):
        raise BadMessage("since must be an object of sku to seq.")
    for sku, seq in value.items():
        if not sku_is_valid(sku) or isinstance(seq, bool) or not isinstance(seq, int) or seq < 0:
            raise BadMessage("since maps each sku to a seq, an integer of at least 0.")
    return value


def _read_snapshot(*, skus: list[str] | None, since: dict[str, int] | None):
    """The products' state, how many watch each, and the frames missed after ``since``.

    The missed frames are None when the log no longer holds them all.
    """
    snapshot = selectors.product_snapshot(skus=skus)
    watchers = watching(skus=[product.sku for product in snapshot])
    return snapshot, _missed(snapshot, skus=skus, since=since), watchers


def _missed(snapshot: list, *, skus: list[str] | None, since: dict[str, int] | None):
    if since is None:
        return None
    current = {product.sku: product.seq for product in snapshot}
    missed: list[dict] = []
    for sku, after in since.items():
        if skus is not None and sku not in current:
            continue  # Not part of this subscribe.
        upto = current.get(sku)
        if upto is None or after > upto:
            return None
        changes = selectors.stock_changes_between(sku=sku, after=after, upto=upto)
        if changes is None:
            return None
        missed.extend(stock_change_data(change) for change in changes)
    return missed
