"""A Redis cache that a Redis outage does not turn into errors.

The cache holds nothing the portal cannot lose: sessions live in the database, and what the cache counts (allauth's
sign-in and password-reset rate limits) is kept in each process's memory while Redis is away, so sign-in goes on
working and the limits go on counting, per process, until Redis is back. Every outage is logged, once a minute at
most per process.
"""

from __future__ import annotations

import logging
import time

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, ConnectionError, TimeoutError)
WARN_EVERY = 60.0  # seconds


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params) -> None:
        options = params.setdefault("OPTIONS", {})
        # A Redis that is down answers at once; one that hangs must not hold a page for longer than this.
        options.setdefault("socket_connect_timeout", 0.5)
        options.setdefault("socket_timeout", 0.5)
        super().__init__(server, params)
        self._fallback = LocMemCache(f"resilient-{id(self)}", {"TIMEOUT": params.get("TIMEOUT", 300)})
        self._warned_at = 0.0

    def _either(self, name: str, *args, **kwargs):
        try:
            return getattr(super(), name)(*args, **kwargs)
        except UNAVAILABLE as error:
            now = time.monotonic()
            if now - self._warned_at >= WARN_EVERY:
                self._warned_at = now
                logger.warning("Redis cache unavailable (%s); using this process's memory until it is back.", error)
            return getattr(self._fallback, name)(*args, **kwargs)


def _falling_back(name: str):
    def operation(self, *args, **kwargs):
        return self._either(name, *args, **kwargs)

    operation.__name__ = name
    return operation


# Every operation of Django's cache API, each trying Redis first.
OPERATIONS = ("add", "get", "set", "touch", "delete", "get_many", "has_key", "incr", "set_many", "delete_many", "clear")
for _name in OPERATIONS:
    setattr(ResilientRedisCache, _name, _falling_back(_name))
