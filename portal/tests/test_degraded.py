"""When a part is down (issue #11): a database outage is a friendly 503 at whatever layer it strikes, and a Redis
outage costs nothing visible: the cache falls back to the process's memory, so pages and sign-in go on working and
the sign-in limits go on counting. (The tests that stop the real services are in the outage suite.)"""

from __future__ import annotations

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.core.cache import caches
from django.db import OperationalError
from django.test import Client
from django.urls import reverse

from portal.cache import ResilientRedisCache
from portal.tests.factories import PASSWORD
from tickets.models import TicketQuerySet
from workflow.tests._celery_support import REDIS_HOST, REDIS_PORT, require_redis

MY_REQUESTS = reverse("tickets:my_requests")


def test_a_database_outage_in_a_view_is_a_503_that_says_so(cast, monkeypatch):
    client = Client(raise_request_exception=False)
    client.force_login(cast.requester)
    monkeypatch.setattr(
        TicketQuerySet, "visible_to", lambda *a, **k: (_ for _ in ()).throw(OperationalError("connection refused"))
    )

    response = client.get(MY_REQUESTS)

    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    html = response.content.decode()
    assert "Back in a moment" in html and "send it again in a minute" in html
    assert "OperationalError" not in html and "connection refused" not in html and "Traceback" not in html


def test_a_database_outage_while_loading_the_session_is_a_503_too(cast, monkeypatch):
    client = Client(raise_request_exception=False)
    client.force_login(cast.requester)
    monkeypatch.setattr(SessionStore, "load", lambda self: (_ for _ in ()).throw(OperationalError("server closed")))

    assert client.get(MY_REQUESTS).status_code == 503
    monkeypatch.undo()
    assert client.get(MY_REQUESTS).status_code == 200  # and the next request after it is back just works


def test_a_bug_is_still_the_500_page(cast, monkeypatch):
    client = Client(raise_request_exception=False)
    client.force_login(cast.requester)
    monkeypatch.setattr(TicketQuerySet, "visible_to", lambda *a, **k: (_ for _ in ()).throw(KeyError("bug")))

    response = client.get(MY_REQUESTS)

    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()


@pytest.fixture
def redis_down(settings):
    """The cache pointed at a port where nothing listens, as when Redis is stopped."""
    settings.CACHES = {"default": {"BACKEND": "portal.cache.ResilientRedisCache", "LOCATION": "redis://127.0.0.1:1/0"}}
    yield caches["default"]
    caches["default"].clear()


def test_pages_and_sign_in_work_while_redis_is_down(cast, redis_down):
    client = Client()
    response = client.post(reverse("account_login"), {"login": cast.requester.email, "password": PASSWORD})

    assert response.status_code == 302
    assert client.get(MY_REQUESTS).status_code == 200


def test_sign_in_limits_keep_counting_while_redis_is_down(cast, redis_down):
    client = Client()
    for _ in range(5):
        client.post(reverse("account_login"), {"login": cast.requester.email, "password": "wrong-password"})

    response = client.post(reverse("account_login"), {"login": cast.requester.email, "password": PASSWORD})

    assert response.status_code == 200 and "_auth_user_id" not in client.session


def test_with_redis_up_the_cache_is_redis():
    require_redis()
    cache = ResilientRedisCache(f"redis://{REDIS_HOST}:{REDIS_PORT}/9", {})
    cache.set("portal-cache-probe", "in redis", 30)
    assert cache._fallback.get("portal-cache-probe") is None
    assert cache.get("portal-cache-probe") == "in redis"
    cache.delete("portal-cache-probe")
