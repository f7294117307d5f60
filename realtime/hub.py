"""The per-process hub: one channel-layer subscriber that fans stock frames out to sockets.

Why the path looks like this: in the tutorial design every socket joins the product's
group, so each change costs one channel-layer message, one dispatch through Django's
sync thread and one ``json.dumps`` per socket (and ``InMemoryChannelLayer`` scans every
channel on each receive, making a broadcast O(N²)). Here each process has one hub with
one channel. It joins the groups its local sockets need, receives each change once per
group, puts each product's changes in seq order (filling a gap from the event log, and
dropping what it already has), and hands the frame, serialised once by the writer, to
every local socket directly: no query, no thread hop, no serialisation per frame.

Per product the hub keeps the last seq it handed out, starting from the seq it read
after joining the group; it hands out each later seq exactly once, in order. A socket
that subscribes holds the frames handed out while its snapshot is read, then keeps
those above the snapshot's seq, so nothing between snapshot and live is lost or doubled.
"""

import asyncio
import contextlib
import logging
import sys
import time
import weakref
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings

from alerts.selectors import alerts_fired_since
from inventory import selectors
from inventory.signals import StockChange
from realtime import groups
from realtime.alert_bridge import alert_messages
from realtime.metrics import EVENTS_DELIVERED, FANOUT_SECONDS
from realtime.presence import PresencePublisher, local_counts
from realtime.protocol import stock_frame

logger = logging.getLogger(__name__)

#: Seconds between passes that leave unused groups and refresh the others' membership.
MAINTENANCE_SECONDS = 30
#: How far back each read of the event log looks again, for rows that committed late.
TAIL_OVERLAP = timedelta(seconds=2)


class Observer(Protocol):
    """What the hub needs of a local connection."""

    hold_all: bool
    held_skus: set[str]
    held: list[tuple[str, int, str]]
    floors: dict[str, int]

    async def send_text(self, text: str) -> None: ...

    async def close_for_shutdown(self) -> None: ...

    def buffered(self) -> int: ...


@dataclass(slots=True)
class Track:
    """The hub's ordering state for one product."""

    #: The last seq handed to the outbox; None until the seq after joining is known.
    last: int | None = None
    #: The last seq handed to the sockets.
    flushed: int = -1
    #: Changes that arrived ahead of a gap (or before ``last`` was known), by seq.
    pending: dict[int, "Frame"] = field(default_factory=dict)
    filling: bool = False


@dataclass(frozen=True, slots=True)
class Frame:
    sku: str
    seq: int
    text: str
    at: float


class Hub:
    """Fans the stock changes of this process's groups out to its local connections."""

    def __init__(self) -> None:
        self.layer = get_channel_layer()
        self.channel_name: str | None = None
        self.by_sku: dict[str, set[Observer]] = {}
        self.everyone: set[Observer] = set()
        self.by_user: dict[int, set[Observer]] = {}
        #: Every open local connection, subscribed or not.
        self.connections: set[Observer] = set()
        self.tracks: dict[str, Track] = {}
        #: True once the all-products group is joined and every product's seq was read.
        self.tracking_all = False
        self._joins: dict[str, asyncio.Future] = {}
        #: Why each group was joined: ("all", None), ("product", sku) or ("alerts", None).
        self._purposes: dict[str, tuple[str, str | int | None]] = {}
        self._membership = asyncio.Lock()
        self._outbox: deque[Frame] = deque()
        #: Restocks whose alerts were handed out, with when: the log tail skips them.
        self._alerts_delivered: dict[tuple[str, int], float] = {}
        self._flusher: asyncio.Task | None = None
        self._tasks: set[asyncio.Task] = set()
        self._started: asyncio.Task | None = None
        self.presence = PresencePublisher()

    # -- lifecycle ---------------------------------------------------------------------

    async def start(self) -> None:
        """Get a channel and start listening; safe to call from every connection."""
        if self._started is None:
            self._started = asyncio.ensure_future(self._start())
        await asyncio.shield(self._started)

    async def _start(self) -> None:
        self.channel_name = await self.layer.new_channel(prefix="stockwatch.hub.")
        self._purposes[groups.ALERTS] = ("alerts", None)
        self._joins[groups.ALERTS] = asyncio.ensure_future(
            self._join(groups.ALERTS, None, track=False)
        )
        await asyncio.shield(self._joins[groups.ALERTS])
        self._spawn(self._receive_loop())
        self._spawn(self._maintenance_loop())
        self._spawn(self._presence_loop())
        if settings.STOCKWATCH_LOG_TAIL_INTERVAL > 0:
            self._spawn(self._tail_loop(settings.STOCKWATCH_LOG_TAIL_INTERVAL))
        self._close_on_server_shutdown()

    def _close_on_server_shutdown(self) -> None:
        """Under daphne, close every socket with a frame when the server stops (SIGTERM).

        Without it clients see the TCP connection vanish and may wait for a timeout;
        with a close frame they reconnect (to another process) at once.
        """
        if "twisted.internet.reactor" not in sys.modules:
            return  # Not under daphne; importing the reactor would install one.
        from twisted.internet import defer, reactor

        if reactor.running:
            reactor.addSystemEventTrigger(
                "before",
                "shutdown",
                lambda: defer.Deferred.fromFuture(asyncio.ensure_future(self.close_all())),
            )

    async def close_all(self, *, flush_seconds: float = 1.0) -> None:
        """Close every local connection, then give the close frames time to be written."""
        with contextlib.suppress(Exception):
            await self.presence.withdraw()
        with contextlib.suppress(Exception):
            async with self._membership:
                for group in list(self._joins):
                    await self.layer.group_discard(group, self.channel_name)
        connections = list(self.connections)
        for connection in connections:
            with contextlib.suppress(Exception):
                await connection.close_for_shutdown()
        deadline = time.monotonic() + flush_seconds
        while time.monotonic() < deadline and any(c.buffered() for c in connections):
            await asyncio.sleep(0.02)

    async def stop(self) -> None:
        """Cancel the hub's tasks (for tests and shutdown)."""
        tasks = list(self._tasks) + ([self._flusher] if self._flusher else [])
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    def _spawn(self, coro) -> asyncio.Task:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # -- what local connections call ---------------------------------------------------

    async def watch(self, skus: Iterable[str] | None) -> None:
        """Return once the hub hears and orders every change of ``skus`` (all when None)."""
        await self.start()
        if skus is None or self.tracking_all or groups.ALL_PRODUCTS in self._joins:
            wanted = {groups.ALL_PRODUCTS: None}
        else:
            wanted = {groups.product_group(sku): sku for sku in skus}
        for group, sku in wanted.items():
            if group not in self._joins:
                self._purposes[group] = ("product", sku) if sku is not None else ("all", None)
                self._joins[group] = asyncio.ensure_future(self._join(group, sku))
        await asyncio.gather(*(asyncio.shield(self._joins[group]) for group in wanted))

    def add(self, observer: Observer, *, skus: Iterable[str] | None) -> None:
        """Deliver the changes of ``skus`` (all when None) to ``observer`` from now on."""
        if skus is None:
            self.everyone.add(observer)
            return
        for sku in skus:
            self.by_sku.setdefault(sku, set()).add(observer)

    def remove(self, observer: Observer, *, skus: Iterable[str] | None) -> None:
        """Stop delivering ``skus`` (the all-products feed when None) to ``observer``."""
        if skus is None:
            self.everyone.discard(observer)
            return
        for sku in skus:
            observers = self.by_sku.get(sku)
            if observers is not None:
                observers.discard(observer)
                if not observers:
                    del self.by_sku[sku]

    def flushed_seq(self, sku: str) -> int:
        """The last seq of ``sku`` handed to sockets (-1 when none)."""
        track = self.tracks.get(sku)
        return -1 if track is None else track.flushed

    def add_user(self, observer: Observer, *, user_id: int) -> None:
        """Deliver ``user_id``'s personal alerts to ``observer``."""
        self.by_user.setdefault(user_id, set()).add(observer)

    def remove_user(self, observer: Observer, *, user_id: int) -> None:
        observers = self.by_user.get(user_id)
        if observers is not None:
            observers.discard(observer)
            if not observers:
                del self.by_user[user_id]

    # -- joining and leaving groups ----------------------------------------------------

    async def _join(self, group: str, sku: str | None, *, track: bool = True) -> None:
        try:
            await self._join_and_read(group, sku, track=track)
        except BaseException:
            self._joins.pop(group, None)  # Let the next subscriber try again.
            self._purposes.pop(group, None)
            raise

    async def _join_and_read(self, group: str, sku: str | None, *, track: bool) -> None:
        if track and sku is not None:
            self.tracks.setdefault(sku, Track())
        async with self._membership:
            await self.layer.group_add(group, self.channel_name)
        if not track:
            return
        # Joined before reading, so every change after the read reaches the hub.
        seqs = await database_sync_to_async(selectors.product_seqs)(
            skus=None if sku is None else [sku]
        )
        if sku is None:
            for name, seq in seqs.items():
                self._start_track(self.tracks.setdefault(name, Track()), name, seq)
            self.tracking_all = True
            # Products that got a track only from pending frames were created after the read.
            for name, state in self.tracks.items():
                if state.last is None:
                    self._start_track(state, name, -1)
        else:
            self._start_track(self.tracks[sku], sku, seqs.get(sku, -1))

    def _start_track(self, track: Track, sku: str, seq: int) -> None:
        if track.last is not None:
            return  # Already ordered from an earlier join: never move it back or forward.
        track.last = seq
        track.flushed = max(track.flushed, seq)
        self._advance(track, sku)

    async def _maintenance_loop(self) -> None:
        # Refreshed three times per expiry, a live membership never lapses; a dead
        # process's lapses within one expiry.
        refresh_every = settings.GROUP_EXPIRY / 3
        last_refresh = time.monotonic()
        while True:
            await asyncio.sleep(min(MAINTENANCE_SECONDS, refresh_every))
            try:
                await self._leave_unused_groups()
                if time.monotonic() - last_refresh >= refresh_every:
                    await self._refresh_groups()
                    last_refresh = time.monotonic()
            except Exception:
                logger.exception("hub maintenance failed; retrying")

    async def _presence_loop(self) -> None:
        while True:
            try:
                await self.presence.publish(local_counts([self]))
            except Exception:
                logger.warning("publishing presence failed; retrying", exc_info=True)
            await asyncio.sleep(settings.STOCKWATCH_PRESENCE_SECONDS)

    async def _leave_unused_groups(self) -> None:
        unused = []
        for group, join in list(self._joins.items()):
            purpose, key = self._purposes[group]
            if not join.done() or purpose == "all":
                continue  # The all-products group is kept: the dashboard comes back.
            if purpose == "alerts":
                continue  # Every hub stays in it.
            else:
                in_use = key in self.by_sku and not self.tracking_all
                if not in_use and not self.tracking_all:
                    self.tracks.pop(key, None)
            if not in_use:
                del self._joins[group]
                del self._purposes[group]
                unused.append(group)
        async with self._membership:
            for group in unused:
                await self.layer.group_discard(group, self.channel_name)

    async def _refresh_groups(self) -> None:
        """Re-add every membership, so it outlives the layer's group expiry only while we do."""
        async with self._membership:
            for group, join in list(self._joins.items()):
                if join.done():
                    await self.layer.group_add(group, self.channel_name)

    # -- receiving and ordering --------------------------------------------------------

    async def _receive_loop(self) -> None:
        backoff = 0.1
        lost = False
        while True:
            try:
                if lost:
                    await self._recover()
                    lost = False
                    logger.info("channel layer reachable again; memberships restored")
                message = await self.layer.receive(self.channel_name)
                backoff = 0.1
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning(
                    "channel layer unreachable; retrying in %.1fs", backoff, exc_info=True
                )
                lost = True
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5)
                continue
            kind = message.get("type")
            if kind == "stock.event":
                self.receive_frame(
                    Frame(message["sku"], message["seq"], message["frame"], message.get("at", 0))
                )
            elif kind == "alerts.fired":
                await self._deliver_alerts(message)

    async def _recover(self) -> None:
        """After the layer was unreachable: rejoin the groups, then hand out from the log
        what was committed meanwhile (its announcements were lost with the layer)."""
        await self._refresh_groups()
        skus = (
            None if self.tracking_all else [s for s, t in self.tracks.items() if t.last is not None]
        )
        seqs = await database_sync_to_async(selectors.product_seqs)(skus=skus)
        for sku, seq in seqs.items():
            track = self.tracks.get(sku)
            if track is None and self.tracking_all:
                track = self.tracks[sku] = Track(last=-1)
            if track is None or track.last is None or seq <= track.last:
                continue
            changes = await database_sync_to_async(selectors.stock_changes_after)(
                sku=sku, after=track.last, upto=seq
            )
            for change in changes:
                self.receive_frame(frame_from_change(change))

    def receive_frame(self, frame: Frame) -> None:
        """Take one change from any source; duplicates and stale ones are dropped."""
        track = self.tracks.get(frame.sku)
        if track is None:
            if not self.tracking_all:
                return  # A group we have just left.
            track = self.tracks[frame.sku] = Track(last=-1)
        if track.last is None or frame.seq > track.last + 1:
            track.pending.setdefault(frame.seq, frame)
            if track.last is not None:
                self._fill_gap(track, frame.sku)
            return
        if frame.seq == track.last + 1:
            self._emit(track, frame)
            self._advance(track, frame.sku)

    def _advance(self, track: Track, sku: str) -> None:
        """Emit pending frames that have become next in line."""
        for seq in [seq for seq in track.pending if seq <= track.last]:
            del track.pending[seq]
        while track.last + 1 in track.pending:
            self._emit(track, track.pending.pop(track.last + 1))
        if track.pending:
            self._fill_gap(track, sku)

    def _fill_gap(self, track: Track, sku: str) -> None:
        if not track.filling:
            track.filling = True
            self._spawn(self._fill(track, sku))

    async def _fill(self, track: Track, sku: str) -> None:
        """Read the missing seqs from the log: they committed before the frame that is here."""
        try:
            while track.pending and min(track.pending) > track.last + 1:
                upto = min(track.pending) - 1
                changes = await database_sync_to_async(selectors.stock_changes_after)(
                    sku=sku, after=track.last, upto=upto
                )
                for change in changes:
                    if change.seq == track.last + 1:
                        self._emit(track, frame_from_change(change))
                if track.last < upto:
                    # Only a pruned log lacks seqs below one that arrived; don't stall on them.
                    logger.warning("log lacks %s seq %d..%d; skipping", sku, track.last + 1, upto)
                    track.last = upto
                self._advance(track, sku)
        except Exception:
            logger.exception("filling a gap of %s failed", sku)
        finally:
            track.filling = False

    def _emit(self, track: Track, frame: Frame) -> None:
        track.last = frame.seq
        self._outbox.append(frame)
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.ensure_future(self._flush())

    # -- delivering --------------------------------------------------------------------

    async def _flush(self) -> None:
        """Hand frames to sockets in the order they were emitted; the only deliverer."""
        outbox = self._outbox
        while outbox:
            frame = outbox.popleft()
            sku, seq = frame.sku, frame.seq
            observers = list(self.everyone)
            local = self.by_sku.get(sku)
            if local:
                observers.extend(o for o in local if o not in self.everyone)
            delivered = 0
            for observer in observers:
                if observer.hold_all or sku in observer.held_skus:
                    observer.held.append((sku, seq, frame.text))
                    continue
                floors = observer.floors
                if floors:
                    floor = floors.get(sku)
                    if floor is not None:
                        if seq <= floor:
                            continue
                        del floors[sku]
                try:
                    await observer.send_text(frame.text)
                except Exception:
                    logger.exception("sending to a connection failed")
                    continue
                delivered += 1
            track = self.tracks.get(sku)
            if track is not None:
                track.flushed = max(track.flushed, seq)
            if delivered:
                EVENTS_DELIVERED.inc(delivered)
                if frame.at:
                    FANOUT_SECONDS.observe(max(0.0, time.time() - frame.at))

    async def _deliver_alerts(self, message: dict) -> None:
        """Hand one restock's alert frame to every local connection of the users named."""
        restock = (message["sku"], message["seq"])
        if restock in self._alerts_delivered:
            return  # Heard from the layer and from the log.
        self._alerts_delivered[restock] = time.monotonic()
        if len(self._alerts_delivered) > 1024:
            self._forget_delivered_alerts()
        local = self.by_user
        for user_id in local.keys() & set(message["user_ids"]):
            for observer in list(local.get(user_id, ())):
                await observer.send_text(message["frame"])

    # -- changes made by processes that share no channel layer -------------------------

    async def _tail_loop(self, interval: float) -> None:
        """Read the log for changes and alerts this process did not hear of through the layer."""
        since = datetime.now(UTC) - TAIL_OVERLAP
        while True:
            await asyncio.sleep(interval)
            started = datetime.now(UTC)
            await self._tail_changes(since)
            await self._tail_alerts(since)
            since = started - TAIL_OVERLAP - timedelta(seconds=interval)

    async def _tail_changes(self, since: datetime) -> None:
        if not self.tracks:
            return
        try:
            skus = None if self.tracking_all else list(self.tracks)
            changes = await database_sync_to_async(selectors.stock_changes_since)(
                after=since, skus=skus
            )
        except Exception:
            logger.exception("reading the event log failed; retrying")
            return
        for change in changes:
            track = self.tracks.get(change.sku)
            if track is not None and track.last is not None and change.seq <= track.last:
                continue  # Heard already: skip serialising it.
            self.receive_frame(frame_from_change(change))

    async def _tail_alerts(self, since: datetime) -> None:
        if not self.by_user:
            return
        try:
            fired = await database_sync_to_async(alerts_fired_since)(after=since)
        except Exception:
            logger.exception("reading fired alerts failed; retrying")
            return
        for message in alert_messages(fired):
            await self._deliver_alerts(message)
        self._forget_delivered_alerts()

    def _forget_delivered_alerts(self) -> None:
        """Keep only what the log tail may still read again."""
        horizon = time.monotonic() - 10 * TAIL_OVERLAP.total_seconds()
        for restock, when in list(self._alerts_delivered.items()):
            if when < horizon:
                del self._alerts_delivered[restock]


def frame_from_change(change: StockChange) -> Frame:
    return Frame(change.sku, change.seq, stock_frame(change), change.at.timestamp())


_hubs: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Hub]" = weakref.WeakKeyDictionary()


def all_hubs() -> list[Hub]:
    """Every hub of this process (one per event loop; one in a server)."""
    return list(_hubs.values())


def get_hub() -> Hub:
    """The hub of the running event loop (one per server process)."""
    loop = asyncio.get_running_loop()
    hub = _hubs.get(loop)
    if hub is None:
        hub = _hubs[loop] = Hub()
    return hub
