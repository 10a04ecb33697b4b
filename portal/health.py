"""`/healthz`, for load balancers: can this web process serve pages?

It asks the database for one row and, when REDIS_URL is set, Redis for a PING. Without REDIS_URL tasks run inline
and nothing needs Redis, so its absence is healthy. The answer names each check and says only "ok",
"unavailable" or "not configured": never an error's text, which carries host names and ports.

The page needs no session, no sign-in and no CSRF token (it takes only GET and HEAD), sets no cookie, and reads
nothing the middleware would fetch from the database for an anonymous visitor, so it still answers (503) while the
database is down. Redis being down is "degraded" with 200: the portal works without it (portal/cache.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import redis
from django.conf import settings
from django.db import connections
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_safe
from redis.backoff import NoBackoff
from redis.retry import Retry

logger = logging.getLogger(__name__)

# Seconds Redis may take to accept the connection, and then to answer. A load balancer probes every few seconds;
# a check that waits longer than that only ties up a web worker.
REDIS_TIMEOUT = 1.0


def check_database() -> None:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_redis(url: str) -> None:
    client = redis.Redis.from_url(
        url, socket_connect_timeout=REDIS_TIMEOUT, socket_timeout=REDIS_TIMEOUT, retry=Retry(NoBackoff(), 0)
    )
    try:
        client.ping()
    finally:
        client.close()


def _outcome(name: str, check: Callable[[], None]) -> str:
    try:
        check()
    except Exception as problem:
        # The text goes to the log, for the operator; the answer only says which check failed.
        logger.warning("Health check %s failed: %s: %s", name, type(problem).__name__, problem)
        return "unavailable"
    return "ok"


@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _outcome("database", check_database)}
    if settings.REDIS_URL:
        checks["redis"] = _outcome("redis", lambda: check_redis(settings.REDIS_URL))
    else:
        checks["redis"] = "not configured"
    # Without the database nothing works: 503, take this process out. Without Redis pages, sign-in and replies go on
    # (the cache falls back to memory, emails wait in the outbox), and every web process shares the one Redis: a
    # 503 for it would make the load balancer drop them all. It says "degraded", still 200, for monitoring to act on.
    if checks["database"] == "unavailable":
        status, code = "unavailable", 503
    elif checks["redis"] == "unavailable":
        status, code = "degraded", 200
    else:
        status, code = "ok", 200
    response = JsonResponse({"status": status, "checks": checks}, status=code)
    response["Cache-Control"] = "no-store"
    return response
