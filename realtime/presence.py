"""How many connections watch each product right now, over every server process.

Each hub counts its own connections. With Redis, every process writes its counts to a
hash of its own every few seconds with a short expiry, and readers add up the hashes
that are still there: a process that dies (even by SIGKILL) drops out of the totals
within three of its write intervals. Without Redis there is one server process, so its own
hubs are the whole truth.
"""

import logging
import time
import uuid
from collections import Counter
from collections.abc import Iterable

import redis
import redis.asyncio
from django.conf import settings

logger = logging.getLogger(__name__)


def presence_ttl() -> int:
    """Seconds a process's counts outlive its last write."""
    return max(1, round(3 * settings.STOCKWATCH_PRESENCE_SECONDS))


#: Key of the all-products feed in the counts.
ALL = "*"


def presence_key(process: str) -> str:
    return f"{settings.KEY_PREFIX}:presence:{process}"


def local_counts(hubs: Iterable) -> Counter:
    """Connections per sku watching explicitly (not through "*"), and the "*" count."""
    counts: Counter = Counter()
    for hub in hubs:
        # Only C-level operations on the hub's sets: the admin reads them from another thread.
        everyone = set(hub.everyone)
        counts[ALL] += len(everyone)
        for sku, observers in list(hub.by_sku.items()):
            explicit = len(observers - everyone) if everyone else len(observers)
            if explicit:
                counts[sku] += explicit
    return +counts


#: Names this process's hash in Redis.
PROCESS = uuid.uuid4().hex


class PresencePublisher:
    """Writes one process's counts to Redis (a no-op without Redis)."""

    def __init__(self) -> None:
        self.process = PROCESS
        self.client = (
            redis.asyncio.Redis.from_url(settings.REDIS_URL) if settings.REDIS_URL else None
        )

    async def publish(self, counts: Counter) -> None:
        if self.client is None:
            return
        key = presence_key(self.process)
        async with self.client.pipeline(transaction=True) as pipe:
            pipe.delete(key)
            if counts:
                pipe.hset(key, mapping=dict(counts))
                pipe.expire(key, presence_ttl())
            await pipe.execute()

    async def withdraw(self) -> None:
        if self.client is not None:
            await self.client.delete(presence_key(self.process))


def watching(*, skus: Iterable[str]) -> dict[str, int]:
    """Connections watching each of ``skus``; one subscribed to "*" watches them all."""
    counts = _totals()
    everyone = counts.get(ALL, 0)
    return {sku: counts.get(sku, 0) + everyone for sku in skus}


_cached: tuple[float, Counter] = (0.0, Counter())
#: Seconds a read of Redis's totals is reused (one admin page asks for many rows).
CACHE_SECONDS = 2.0


def _totals() -> Counter:
    """This process's counts as they are now, plus what the other processes last wrote."""
    from realtime.hub import all_hubs

    totals = local_counts(all_hubs())
    if settings.REDIS_URL:
        global _cached
        now = time.monotonic()
        if now - _cached[0] >= CACHE_SECONDS:
            _cached = (now, _other_processes())
        totals.update(_cached[1])
    return totals


def _other_processes() -> Counter:
    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2)
    own = presence_key(PROCESS).encode()
    totals: Counter = Counter()
    try:
        for key in client.scan_iter(match=presence_key("*"), count=500):
            if key == own:
                continue
            for sku, count in client.hgetall(key).items():
                totals[sku.decode()] += int(count)
    except redis.RedisError:
        logger.warning("presence counts unavailable: Redis did not answer")
    finally:
        client.close()
    return totals
