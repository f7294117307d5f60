"""A Redis cache that degrades to a miss while Redis is unreachable.

The cache only speeds things up (the product list) and counts API writes; neither may
take the HTTP side down with Redis. Reads then miss, writes are skipped, and the rate
limit lets requests through (``RATELIMIT_FAIL_OPEN``) until Redis answers again.
"""

import functools
import logging

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


def _soft(default):
    def decorate(method):
        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except RedisError as error:
                logger.warning("cache unavailable (%s): %s", method.__name__, error)
                return default

        return wrapper

    return decorate


class FailSoftRedisCache(RedisCache):
    def get(self, key, default=None, version=None):
        try:
            return super().get(key, default, version)
        except RedisError as error:
            logger.warning("cache unavailable (get): %s", error)
            return default

    get_many = _soft({})(RedisCache.get_many)
    set = _soft(None)(RedisCache.set)
    add = _soft(False)(RedisCache.add)
    incr = _soft(None)(RedisCache.incr)
    delete = _soft(False)(RedisCache.delete)
    touch = _soft(False)(RedisCache.touch)
