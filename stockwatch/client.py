"""An asyncio client of ``/ws/stock/``: subscribe, then iterate over typed events.

One background task owns the connection. It reads every frame in order, turns
``stock`` frames into events (dropping any seq already seen), answers requests by
their ``id``, and after a drop reconnects with backoff and resubscribes with
``since``, so that what was missed comes first and nothing comes twice.

Liveness uses the WebSocket protocol's own ping frames (``websockets``' keepalive),
not the protocol's application ``ping``: the library sends one every
``ping_interval`` seconds and drops a connection that does not answer within
``ping_timeout``, which then reconnects like any other drop.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI

from stockwatch.backoff import backoff_delay
from stockwatch.errors import (
    AuthenticationFailed,
    ConnectionFailed,
    ProtocolError,
    StockwatchError,
    UnknownProduct,
)
from stockwatch.events import Alert, Event, Product, RecoveryGap, StockUpdate
from stockwatch.ordering import SeqTracker

logger = logging.getLogger(__name__)

ALL = "*"
#: Requests stay below the server's 64 KiB message limit (it closes with 4009 above it).
MAX_REQUEST_BYTES = 60_000
#: Snapshots of a whole store can be large; the server's frames are trusted.
MAX_FRAME_BYTES = 256 * 2**20


class _Disconnected(Exception):
    """The connection ended before a request was answered."""


@dataclass(slots=True)
class _Request:
    future: asyncio.Future
    message: dict[str, Any]
    #: Sent by the client itself to restore its subscriptions after a reconnect.
    restore: bool = False
    #: Sent without the ``since`` it needed: whatever it answers is a recovery gap.
    lost: bool = False


class StockClient:
    """A connection to a stockwatch server that survives drops.

    ``async with StockClient(url, token=...) as client:`` connects (raising
    ``AuthenticationFailed`` or ``ConnectionFailed``), ``subscribe`` returns the
    snapshot, and ``events()`` yields ``StockUpdate``, ``Alert`` and ``RecoveryGap``.
    Events wait in a queue of ``max_queue``; while it is full the client stops
    reading, the server drops the connection, and the client recovers with ``since``.
    """

    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        open_timeout: float = 10,
        reply_timeout: float = 10,
        ping_interval: float | None = 20,
        ping_timeout: float | None = 20,
        reconnect_base: float = 0.5,
        reconnect_cap: float = 30,
        max_queue: int = 10_000,
    ) -> None:
        self.url = url
        self.token = token
        self.open_timeout = open_timeout
        self.reply_timeout = reply_timeout
        self.ping_interval = ping_interval
        self.ping_timeout = ping_timeout
        self.reconnect_base = reconnect_base
        self.reconnect_cap = reconnect_cap
        #: From the latest ``welcome``: the signed-in user's name (None when anonymous).
        self.user: str | None = None
        #: From the latest ``welcome``: the server's ping interval in seconds.
        self.heartbeat: int | None = None
        #: From the latest ``welcome``: the protocol version.
        self.protocol: int | None = None
        #: How many times the client has reconnected after a drop.
        self.reconnects = 0
        self._tracker = SeqTracker()
        self._skus: dict[str, None] = {}  # an ordered set
        self._all = False
        self._events: asyncio.Queue[Event] = asyncio.Queue(max_queue)
        self._pending: dict[int, _Request] = {}
        self._ids = itertools.count(1)
        self._connection: ClientConnection | None = None
        self._connected = asyncio.Event()
        self._runner: asyncio.Task | None = None
        self._failure: StockwatchError | None = None
        self._attempt = 0
        self._closed = False

    # -- lifetime ----------------------------------------------------------------------

    async def __aenter__(self) -> StockClient:
        await self.connect()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def connect(self) -> None:
        """Open the first connection; later drops are reconnected in the background."""
        if self._runner is not None:
            raise StockwatchError("the client is already connected")
        connection = await self._open()
        self._connection = connection
        self._runner = asyncio.create_task(self._run(connection), name=f"stockwatch {self.url}")

    async def close(self) -> None:
        """Close the connection; ``events()`` then ends after what is already queued."""
        self._closed = True
        connection = self._connection
        if self._runner is not None and not self._runner.done():
            self._runner.cancel()
            await asyncio.wait([self._runner])
        if connection is not None:
            # A runner cancelled before it started never closed its first connection.
            await connection.close()

    # -- requests ----------------------------------------------------------------------

    async def subscribe(self, skus: Iterable[str] | str) -> tuple[Product, ...]:
        """Watch these products (``"*"``: every product); returns their snapshot.

        Raises ``UnknownProduct`` when any sku does not exist (nothing is subscribed then).
        """
        if skus == ALL:
            return await self.subscribe_all()
        wanted = [skus] if isinstance(skus, str) else list(dict.fromkeys(skus))
        if not wanted:
            raise ValueError("subscribe needs at least one sku")
        snapshot: list[Product] = []
        # No ``since``: on a live connection nothing of these products can have been missed.
        for message in _subscribe_messages(wanted, {}):
            reply = await self._call(message)
            snapshot.extend(Product.from_data(data) for data in reply["snapshot"])
            self._skus.update(dict.fromkeys(message["skus"]))
        return tuple(snapshot)

    async def subscribe_all(self) -> tuple[Product, ...]:
        """Watch every product, also those created later; returns the whole snapshot."""
        reply = await self._call({"type": "subscribe", "skus": ALL})
        self._all = True
        return tuple(Product.from_data(data) for data in reply["snapshot"])

    async def unsubscribe(self, skus: Iterable[str] | str) -> None:
        """Stop watching these products (``"*"``: stop watching all of them)."""
        if skus == ALL:
            await self._call({"type": "unsubscribe", "skus": ALL})
            self._all = False
            self._skus.clear()
            self._tracker.forget(None)
            return
        gone = [skus] if isinstance(skus, str) else list(dict.fromkeys(skus))
        await self._call({"type": "unsubscribe", "skus": gone})
        for sku in gone:
            self._skus.pop(sku, None)
        if not self._all:
            self._tracker.forget(gone)

    async def ping(self) -> float:
        """Send the protocol's ``ping``; returns the seconds until its ``pong``."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        await self._call({"type": "ping"})
        return loop.time() - started

    # -- events ------------------------------------------------------------------------

    async def events(self) -> AsyncIterator[Event]:
        """Every event, in seq order per product, each once; ends when the client closes.

        Raises the error that stopped the client for good: ``AuthenticationFailed``
        when a reconnect is refused, ``UnknownProduct`` when a resubscribe is.
        """
        if self._runner is None:
            raise StockwatchError("connect the client first (async with StockClient(...))")
        runner = self._runner
        while True:
            if not self._events.empty():
                yield self._events.get_nowait()
                continue
            if runner.done():
                if self._failure is not None:
                    raise self._failure
                return
            getter = asyncio.ensure_future(self._events.get())
            try:
                await asyncio.wait([getter, runner], return_when=asyncio.FIRST_COMPLETED)
            finally:
                if not getter.done():
                    getter.cancel()
            if getter.done() and not getter.cancelled():
                yield getter.result()

    # -- connection --------------------------------------------------------------------

    async def _open(self) -> ClientConnection:
        """Connect and read the welcome; AuthenticationFailed or ConnectionFailed."""
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        try:
            connection = await connect(
                self.url,
                additional_headers=headers,
                open_timeout=self.open_timeout,
                ping_interval=self.ping_interval,
                ping_timeout=self.ping_timeout,
                max_size=MAX_FRAME_BYTES,
                max_queue=64,
            )
        except InvalidStatus as error:
            status = error.response.status_code
            if status in (401, 403):
                hint = ": the token is unknown or revoked" if self.token else ""
                raise AuthenticationFailed(
                    f"{self.url} refused the handshake (HTTP {status}){hint}"
                ) from None
            raise ConnectionFailed(f"{self.url} answered HTTP {status}") from None
        except InvalidURI as error:
            raise ConnectionFailed(str(error)) from None
        except (OSError, TimeoutError, InvalidHandshake) as error:
            raise ConnectionFailed(f"cannot connect to {self.url}: {error or 'timeout'}") from None
        try:
            async with asyncio.timeout(self.open_timeout):
                welcome = json.loads(await connection.recv())
        except (ConnectionClosed, TimeoutError, ValueError) as error:
            await connection.close()
            raise ConnectionFailed(f"{self.url} sent no welcome: {error or 'timeout'}") from None
        if not isinstance(welcome, dict) or welcome.get("type") != "welcome":
            await connection.close()
            raise ConnectionFailed(f"{self.url} did not start with a welcome: {welcome!r:.200}")
        self.user = welcome.get("user")
        self.heartbeat = welcome.get("heartbeat")
        self.protocol = welcome.get("protocol")
        return connection

    async def _run(self, connection: ClientConnection) -> None:
        """Serve connections until closed or stopped by an error that retrying cannot fix."""
        restore = False
        try:
            while True:
                reason = await self._serve(connection, restore=restore)
                restore = True
                connection = await self._reconnect(reason)
        except StockwatchError as error:
            self._failure = error
        finally:
            self._connected.clear()

    async def _serve(self, connection: ClientConnection, *, restore: bool) -> str:
        """Read one connection until it ends; returns why it ended."""
        self._connection = connection
        reader = asyncio.create_task(self._read(connection))
        try:
            try:
                if restore:
                    await self._restore()
            except _Disconnected:
                pass
            except TimeoutError:
                logger.warning("the server did not answer the resubscribe in time")
            else:
                self._attempt = 0
                self._connected.set()
                await asyncio.wait([reader])
        finally:
            self._connected.clear()
            self._connection = None
            reader.cancel()
            await asyncio.wait([reader])
            await connection.close()
            self._fail_pending()
        if connection.close_code is None:
            return "connection lost"
        reason = f": {connection.close_reason}" if connection.close_reason else ""
        return f"connection closed with code {connection.close_code}{reason}"

    async def _reconnect(self, reason: str) -> ClientConnection:
        while True:
            delay = backoff_delay(self._attempt, base=self.reconnect_base, cap=self.reconnect_cap)
            self._attempt += 1
            logger.warning("%s; reconnecting in %.1f s", reason, delay)
            await asyncio.sleep(delay)
            try:
                connection = await self._open()
            except ConnectionFailed as error:
                reason = str(error)
                continue
            self.reconnects += 1
            logger.info("reconnected to %s", self.url)
            return connection

    async def _restore(self) -> None:
        """Resubscribe after a reconnect, with ``since`` from the last seq seen."""
        if self._all:
            message: dict[str, Any] = {"type": "subscribe", "skus": ALL}
            message["since"] = self._tracker.since()
            lost = _size(message) > MAX_REQUEST_BYTES
            if lost:
                del message["since"]
            _checked(await self._request(message, restore=True, lost=lost))
        skus = list(self._skus)
        if skus:
            # Under "*" these products' missed events came with it; the sku list is
            # restored only so that it outlives an unsubscribe of "*".
            since = {} if self._all else self._tracker.since(skus)
            for message in _subscribe_messages(skus, since):
                _checked(await self._request(message, restore=True))

    # -- frames ------------------------------------------------------------------------

    async def _read(self, connection: ClientConnection) -> None:
        try:
            async for text in connection:
                try:
                    frame = json.loads(text)
                    await self._dispatch(frame)
                except (ValueError, KeyError, TypeError, AttributeError) as error:
                    logger.warning("ignoring a malformed frame (%s): %.200r", error, text)
        except ConnectionClosed:
            pass
        finally:
            self._fail_pending()

    async def _dispatch(self, frame: dict[str, Any]) -> None:
        kind = frame.get("type")
        if kind == "stock":
            await self._on_stock(frame)
            return
        if kind == "alert":
            await self._events.put(Alert.from_frame(frame))
            return
        request = self._pending.get(frame.get("id"))  # type: ignore[arg-type]
        if request is not None:
            if kind == "subscribed":
                await self._on_subscribed(frame, request)
            if not request.future.done():
                request.future.set_result(frame)
        elif kind == "error":
            logger.warning("the server reported %s: %s", frame.get("code"), frame.get("message"))
        else:
            logger.debug("ignoring a %r frame", kind)

    async def _on_stock(self, frame: dict[str, Any]) -> None:
        update = StockUpdate.from_frame(frame)
        last = self._tracker.last(update.sku)
        if not self._tracker.accept(update.sku, update.seq):
            logger.debug("dropping %s seq %d: already seen", update.sku, update.seq)
            return
        if last is not None and update.seq > last + 1:
            logger.warning("%s jumped from seq %d to %d", update.sku, last, update.seq)
        await self._events.put(update)

    async def _on_subscribed(self, frame: dict[str, Any], request: _Request) -> None:
        """Hand over what was missed, then take the snapshot as the point to go on from."""
        snapshot = tuple(Product.from_data(data) for data in frame["snapshot"])
        since = request.message.get("since")
        if request.lost or (since is not None and frame.get("recovered") is False):
            # Forget first: a product missing from a replaced store starts again at seq 0.
            skus = request.message["skus"]
            self._tracker.forget(None if skus == ALL else skus)
            for product in snapshot:
                self._tracker.reset(product.sku, product.seq)
            await self._events.put(RecoveryGap(snapshot))
            return
        for data in frame.get("missed") or ():
            await self._on_stock(data)
        appeared = tuple(p for p in snapshot if p.sku not in self._tracker)
        for product in snapshot:
            self._tracker.advance(product.sku, product.seq)
        if request.restore and appeared:
            # Created while the client was away: their events before the snapshot are gone.
            await self._events.put(RecoveryGap(appeared))

    # -- plumbing ----------------------------------------------------------------------

    async def _call(self, message: dict[str, Any]) -> dict[str, Any]:
        """Send a request once connected (again after a drop); its checked reply."""
        while True:
            await self._wait_connected()
            try:
                reply = await self._request(message)
            except _Disconnected:
                continue
            return _checked(reply)

    async def _request(
        self, message: dict[str, Any], *, restore: bool = False, lost: bool = False
    ) -> dict[str, Any]:
        connection = self._connection
        if connection is None:
            raise _Disconnected
        message_id = next(self._ids)
        message = {"type": message["type"], "id": message_id, **message}
        future = asyncio.get_running_loop().create_future()
        self._pending[message_id] = _Request(future, message, restore=restore, lost=lost)
        try:
            try:
                await connection.send(json.dumps(message, separators=(",", ":")))
            except ConnectionClosed:
                raise _Disconnected from None
            async with asyncio.timeout(self.reply_timeout):
                return await future
        finally:
            self._pending.pop(message_id, None)

    async def _wait_connected(self) -> None:
        if self._runner is None:
            raise StockwatchError("connect the client first (async with StockClient(...))")
        while not self._connected.is_set():
            if self._runner.done():
                raise self._failure or StockwatchError("the client is closed")
            waiter = asyncio.ensure_future(self._connected.wait())
            try:
                await asyncio.wait([waiter, self._runner], return_when=asyncio.FIRST_COMPLETED)
            finally:
                waiter.cancel()

    def _fail_pending(self) -> None:
        for request in self._pending.values():
            if not request.future.done():
                request.future.set_exception(_Disconnected())


def _checked(reply: dict[str, Any]) -> dict[str, Any]:
    """The reply, or the error it reports raised."""
    if reply.get("type") != "error":
        return reply
    code = str(reply.get("code"))
    message = str(reply.get("message", ""))
    if code == "unknown_product":
        raise UnknownProduct(reply.get("skus") or [], message)
    raise ProtocolError(code, message)


def _size(message: dict[str, Any]) -> int:
    return len(json.dumps(message, separators=(",", ":")).encode())


def _subscribe_messages(skus: list[str], since: dict[str, int]) -> Iterator[dict[str, Any]]:
    """Subscribes for ``skus``, split so that each stays below ``MAX_REQUEST_BYTES``."""
    batch: list[str] = []
    size = 0
    for sku in skus:
        cost = len(sku) + 3 + (len(sku) + 24 if sku in since else 0)
        if batch and size + cost > MAX_REQUEST_BYTES - 100:
            yield _subscribe_message(batch, since)
            batch, size = [], 0
        batch.append(sku)
        size += cost
    if batch:
        yield _subscribe_message(batch, since)


def _subscribe_message(skus: list[str], since: dict[str, int]) -> dict[str, Any]:
    message: dict[str, Any] = {"type": "subscribe", "skus": skus}
    if resume := {sku: since[sku] for sku in skus if sku in since}:
        message["since"] = resume
    return message
