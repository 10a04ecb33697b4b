"""What the outage tests need: the machine's own PostgreSQL and Redis, stopped and started for real; the portal
served by gunicorn on the production settings, as another process; a small browser-less HTTP client.

These tests stop services that everything else on the machine uses, so they run apart from the rest of the
suite (`pytest -m outage`, the second half of `make test`), and every stop is paired with a start that runs
whatever happens. They need the services on 127.0.0.1 and the right to stop them (root, `pg_ctlcluster`):
elsewhere they are skipped, loudly, and in CI (`CI=true`) that is a failure instead.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection, connections

from workflow.tests._celery_support import (
    REDIS_HOST,
    REDIS_PORT,
    REDIS_TEST_URL,
    database_url,
    redis_reachable,
    stop_process,
)

SERVICE_SECONDS = 30
REDIS_START = [
    *("redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1", "--port", str(REDIS_PORT)),
    *("--save", "", "--appendonly", "no", "--dir", "/var/lib/redis", "--logfile", "/var/log/redis/ci.log"),
]


def _wait(condition, *, seconds: float = SERVICE_SECONDS, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} within {seconds}s")
        time.sleep(0.1)


def _cluster() -> list[str]:
    """`<version> main` of the machine's PostgreSQL cluster, as `pg_ctlcluster` wants it."""
    versions = sorted(os.listdir("/etc/postgresql")) if os.path.isdir("/etc/postgresql") else []
    return [versions[0], "main"] if versions else []


def require_services_we_may_stop() -> None:
    """Skip unless this run may stop and start the machine's PostgreSQL and Redis; in CI, fail instead."""
    reasons = []
    if connection.vendor != "postgresql" or connection.settings_dict["HOST"] not in ("127.0.0.1", "localhost"):
        reasons.append(f"the test database is {connection.vendor} at {connection.settings_dict['HOST']!r}")
    if os.geteuid() != 0 or not shutil.which("pg_ctlcluster") or not _cluster():
        reasons.append("this user cannot stop PostgreSQL with pg_ctlcluster")
    if not shutil.which("redis-server") or not redis_reachable():
        reasons.append(f"no Redis at {REDIS_HOST}:{REDIS_PORT} that this machine can restart")
    if not reasons:
        return
    message = "the outage tests need PostgreSQL and Redis on 127.0.0.1 that they may stop: " + "; ".join(reasons)
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(f"NOT RUN: {message} (CI runs them)")


def postgres_ready() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=0.5):
            pass
    except OSError:
        return False
    return subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1"], check=False).returncode == 0  # noqa: S607


def stop_postgres() -> None:
    # "fast": what a crash or a failover looks like to clients, every session cut off mid-transaction.
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", *_cluster(), "stop", "-m", "fast"], check=True)  # noqa: S607
    _wait(lambda: not postgres_ready(), what="PostgreSQL did not stop")


def start_postgres() -> None:
    if not postgres_ready():
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", *_cluster(), "start"], check=True)  # noqa: S607
    _wait(postgres_ready, what="PostgreSQL did not come back")
    connections.close_all()  # this process's connections died with the server; the next query opens a new one


def stop_redis() -> None:
    try:
        with socket.create_connection((REDIS_HOST, REDIS_PORT), timeout=2) as sock:
            sock.sendall(b"SHUTDOWN NOSAVE\r\n")
            sock.recv(64)  # the server closes the connection as it goes
    except OSError:
        pass
    _wait(lambda: not redis_reachable(), what="Redis did not stop")


def start_redis() -> None:
    if not redis_reachable():
        Path("/var/lib/redis").mkdir(parents=True, exist_ok=True)
        Path("/var/log/redis").mkdir(parents=True, exist_ok=True)
        subprocess.run(REDIS_START, check=True)  # noqa: S603
    _wait(redis_reachable, what="Redis did not come back")


@contextmanager
def stopped(stop, start) -> Iterator[None]:
    stop()
    try:
        yield
    finally:
        start()


def set_password(user, password: str) -> None:
    """A password the production settings can check (the test settings hash with MD5, which they do not know);
    few iterations, so that signing in stays quick."""
    user.password = PBKDF2PasswordHasher().encode(password, PBKDF2PasswordHasher().salt(), iterations=1000)
    user.save(update_fields=["password"])


class Portal:
    """`gunicorn portal.wsgi` with portal/gunicorn.conf.py on the production settings (DEBUG off, Redis as cache
    and broker), against this run's test database; plain HTTP on loopback, as behind a TLS proxy."""

    def __init__(self, folder: Path, *, workers: int = 3) -> None:
        self.folder = folder
        self.workers = workers
        self.log_path = folder / "gunicorn.log"
        self.mail_dir = folder / "mail"
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def environment(self) -> dict[str, str]:
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "portal.settings.base",
            "DEBUG": "0",
            "HTTPS": "0",
            "MFA_REQUIRED_FOR_STAFF": "0",  # the agent here signs in with a password only
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECRET_KEY": settings.SECRET_KEY,
            "DATABASE_URL": database_url(),
            "REDIS_URL": REDIS_TEST_URL,
            "EMAIL_URL": f"filemail://{self.mail_dir}",
            "MEDIA_ROOT": str(self.folder / "media"),
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            "WEB_CONCURRENCY": str(self.workers),
            "LOG_FORMAT": "text",
        }

    def start(self) -> None:
        gunicorn = Path(sys.executable).with_name("gunicorn")
        command = [str(gunicorn), "portal.wsgi:application", "-c", "portal/gunicorn.conf.py"]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own environment's gunicorn, fixed arguments
                command, cwd=settings.BASE_DIR, env=self.environment(), stdout=log, stderr=subprocess.STDOUT
            )
        _wait(self._answers, what=f"gunicorn did not answer on {self.url}:\n{self.log()}")
        _wait(lambda: len(self.worker_pids()) == self.workers, what="gunicorn did not start its workers")

    def _answers(self) -> bool:
        assert self.process.poll() is None, f"gunicorn exited with {self.process.returncode}:\n{self.log()}"
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def worker_pids(self) -> set[int]:
        found = subprocess.run(  # noqa: S603
            ["ps", "-o", "pid=", "--ppid", str(self.process.pid)],  # noqa: S607
            capture_output=True,
            text=True,
            check=False,
        )
        return {int(pid) for pid in found.stdout.split()}

    def stop(self) -> None:
        stop_process(self.process, grace=40)  # longer than gunicorn's graceful_timeout

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else "(no gunicorn log)"


@contextmanager
def serving(folder: Path, **options) -> Iterator[Portal]:
    connection.close()  # committed data only; nothing of this process holds a connection the server waits on
    portal = Portal(folder, **options)
    try:
        portal.start()
        yield portal
    finally:
        portal.stop()
        print(f"--- gunicorn log ({portal.log_path}) ---\n{portal.log()}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Answer:
    status: int
    location: str
    text: str
    seconds: float


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect is an answer to look at, not to follow


HIDDEN_FIELD = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


class Browser:
    """One person's cookies against the served portal; redirects are returned, not followed."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirects)

    def get(self, path: str) -> Answer:
        return self._send(urllib.request.Request(self.base_url + path))

    def post(self, path: str, fields: dict[str, str], *, token_from: str | None = None) -> Answer:
        """POST `fields` with the CSRF token of the page at `token_from` (default: `path`'s own page); if that page
        did not render a form (e.g. 503), that page is the answer."""
        page, hidden = self.form(token_from or path)
        if hidden is None:
            return page
        token = {"csrfmiddlewaretoken": hidden["csrfmiddlewaretoken"]}
        return self.send_form(path, {**token, **fields}, referer=self.base_url + path)

    def form(self, path: str) -> tuple[Answer, dict[str, str] | None]:
        """The page at `path` and the hidden fields of its form (the CSRF token, the reply form's token), if it
        rendered one."""
        page = self.get(path)
        hidden = dict(HIDDEN_FIELD.findall(page.text)) if page.status == 200 else {}
        return page, (hidden if "csrfmiddlewaretoken" in hidden else None)

    def send_form(self, path: str, fields: dict[str, str], *, referer: str) -> Answer:
        body = urllib.parse.urlencode(fields).encode()
        return self._send(urllib.request.Request(self.base_url + path, data=body, headers={"Referer": referer}))

    def sign_in(self, email: str, password: str) -> Answer:
        return self.post("/accounts/login/", {"login": email, "password": password})

    def _send(self, request: urllib.request.Request) -> Answer:
        started = time.monotonic()
        try:
            with self.opener.open(request, timeout=30) as response:
                status, headers, body = response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            status, headers, body = error.code, error.headers, error.read()
        return Answer(status, headers.get("Location", ""), body.decode(errors="replace"), time.monotonic() - started)
