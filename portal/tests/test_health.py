"""`/healthz` (portal/health.py): what a load balancer reads, and what it must never read (error text, hosts,
passwords), with the database and Redis up, failing, refusing connections and not answering."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import environ
import pytest
from django.db import OperationalError
from django.db.utils import ConnectionHandler
from django.test import Client

from portal import health
from workflow.tests._celery_support import REDIS_TEST_URL, require_redis

URL = "/healthz"
# Nothing listens on port 1: a service that is down, refusing connections at once.
DATABASE_DOWN_URL = "postgres://portal:db-pass-w0rd@127.0.0.1:1/portal_prod"
REDIS_DOWN_URL = "redis://:redis-pass-w0rd@127.0.0.1:1/0"


@pytest.fixture(autouse=True)
def _as_in_production(settings):
    settings.REDIS_URL = ""
    settings.MFA_REQUIRED_FOR_STAFF = True  # its middleware asks who is signed in, on every page


@pytest.fixture
def database_up(monkeypatch):
    """For the tests about Redis: the database check passes without a database."""
    monkeypatch.setattr(health, "check_database", lambda: None)


@pytest.fixture
def silent_redis() -> Iterator[str]:
    """A port that accepts connections and never answers: a Redis that hangs."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"


def test_it_answers_ok_with_the_database_up_and_no_redis_configured(client, db, django_assert_num_queries):
    with django_assert_num_queries(1):  # its own SELECT 1: no middleware reads the session or the person
        response = client.get(URL)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "redis": "not configured"}}


def test_it_answers_head_too(client, db):
    response = client.head(URL)

    assert response.status_code == 200
    assert response.content == b""


def test_it_sets_no_cookie_and_asks_for_no_sign_in(client, db):
    response = client.get(URL, headers={"Accept-Language": "ja"})

    assert response.status_code == 200
    assert not response.cookies
    assert "Set-Cookie" not in response.headers
    assert response.json()["status"] == "ok"  # not translated, not redirected to a language or the sign-in


def test_it_answers_without_the_middleware_touching_the_database(database_up):
    # No `db` fixture: any query outside the (stubbed) check would fail this request.
    response = Client(raise_request_exception=True).get(URL)

    assert response.status_code == 200
    assert response.json()["checks"]["database"] == "ok"


def test_it_answers_503_naming_the_database_when_its_query_fails(client, monkeypatch):
    def fail() -> None:
        raise OperationalError('connection to server at "db.internal" (10.0.0.7), port 5432 failed: password')

    monkeypatch.setattr(health, "check_database", fail)

    response = client.get(URL)

    assert response.status_code == 503
    assert response["Cache-Control"] == "no-store"
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": "unavailable", "redis": "not configured"},
    }
    body = response.content.decode()
    assert "db.internal" not in body and "10.0.0.7" not in body and "5432" not in body
    assert "OperationalError" not in body and "password" not in body


def test_it_answers_503_quickly_when_the_database_refuses_connections(client, monkeypatch, django_db_blocker):
    pytest.importorskip("psycopg")
    unreachable = ConnectionHandler({"default": environ.Env.db_url_config(DATABASE_DOWN_URL)})
    monkeypatch.setattr(health, "connections", unreachable)

    started = time.monotonic()
    with django_db_blocker.unblock():  # really try to connect, to a port where nothing listens
        response = client.get(URL)
    elapsed = time.monotonic() - started

    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "unavailable"
    assert elapsed < 2
    body = response.content.decode()
    assert "db-pass-w0rd" not in body and "127.0.0.1" not in body and "portal_prod" not in body


def test_it_checks_redis_when_redis_url_is_set(client, settings, database_up):
    require_redis()
    settings.REDIS_URL = REDIS_TEST_URL

    response = client.get(URL)

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}}


def test_it_says_degraded_naming_redis_when_redis_refuses_connections(client, settings, database_up):
    settings.REDIS_URL = REDIS_DOWN_URL

    started = time.monotonic()
    response = client.get(URL)
    elapsed = time.monotonic() - started

    # Pages still work without Redis, and every process shares it: the load balancer must not drop them all.
    assert response.status_code == 200
    assert response.json() == {"status": "degraded", "checks": {"database": "ok", "redis": "unavailable"}}
    assert elapsed < 2
    body = response.content.decode()
    assert "redis-pass-w0rd" not in body and "127.0.0.1" not in body and "Connection refused" not in body


def test_it_gives_up_on_a_redis_that_does_not_answer_within_its_timeout(client, settings, database_up, silent_redis):
    settings.REDIS_URL = silent_redis

    started = time.monotonic()
    response = client.get(URL)
    elapsed = time.monotonic() - started

    assert response.status_code == 200 and response.json()["status"] == "degraded"
    assert response.json()["checks"]["redis"] == "unavailable"
    assert elapsed < health.REDIS_TIMEOUT * 2 + 0.5  # connecting succeeds; the PING gets no answer


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_it_allows_only_get_and_head(method, database_up):
    response = getattr(Client(), method)(URL)  # the test client passes the CSRF check

    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"


def test_a_post_without_the_csrf_token_is_refused_before_it(database_up):
    # Like every view (portal/tests/test_url_sweep.py): the CSRF check is not switched off here either.
    assert Client(enforce_csrf_checks=True).post(URL).status_code == 403
