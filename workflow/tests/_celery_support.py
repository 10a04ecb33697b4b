"""Shared by the Celery integration tests: the Redis they may use, pointing this process's Celery app at a broker,
and a real worker process running against the test database.

Only Redis database 9 on 127.0.0.1 is ever used (other people's runs use the other databases), and it is
flushed before and after each use. Nothing here reaches beyond 127.0.0.1.
"""

from __future__ import annotations

import email
import email.policy
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import kombu.pools
import pytest
from django.conf import settings
from django.db import connection

REDIS_HOST, REDIS_PORT, REDIS_DB = "127.0.0.1", 6379, 9
REDIS_TEST_URL = f"redis://{REDIS_HOST}:{REDIS_PORT}/{REDIS_DB}"
# Nothing listens on port 1: a broker that is down, refusing connections at once.
UNREACHABLE_BROKER_URL = "redis://127.0.0.1:1/0"

WORKER_READY_SECONDS = 30


def _redis_command(*words: str, db: int | None = None, timeout: float = 1.0) -> bytes:
    """Send commands in Redis's inline protocol and return the raw answer (no client library, no pooling)."""
    commands = ([f"SELECT {db}"] if db is not None else []) + [" ".join(words)]
    with socket.create_connection((REDIS_HOST, REDIS_PORT), timeout=timeout) as sock:
        sock.sendall("".join(f"{command}\r\n" for command in commands).encode())
        answer = b""
        expected = len(commands)
        while answer.count(b"\r\n") < expected:
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
    return answer


def redis_reachable() -> bool:
    try:
        return _redis_command("PING").startswith(b"+PONG")
    except OSError:
        return False


def flush_test_redis() -> None:
    answer = _redis_command("FLUSHDB", db=REDIS_DB)
    assert answer.endswith(b"+OK\r\n"), f"could not flush Redis db {REDIS_DB}: {answer!r}"


def require_redis() -> None:
    """Skip, loudly, when no Redis is available; fail when REDIS_URL says there is one but it does not answer
    (CI sets REDIS_URL, so there these tests must run, never be skipped away)."""
    if redis_reachable():
        return
    if os.environ.get("REDIS_URL"):
        pytest.fail(
            f"REDIS_URL={os.environ['REDIS_URL']!r} is set but Redis does not answer PING at "
            f"{REDIS_HOST}:{REDIS_PORT}; this integration test needs it."
        )
    pytest.skip(
        f"NOT RUN: needs Redis at {REDIS_HOST}:{REDIS_PORT} (none answered PING and REDIS_URL is unset); "
        "CI runs it with REDIS_URL set"
    )


def require_postgres_and_redis() -> None:
    if connection.vendor != "postgresql":
        pytest.skip(
            "NOT RUN: a real Celery worker is another process and needs the test database on PostgreSQL "
            f"(this run uses {connection.vendor}); CI runs it with DATABASE_URL=postgres://..."
        )
    require_redis()


@contextmanager
def celery_broker(url: str) -> Iterator[object]:
    """Make this process's Celery app publish to `url` for real (eager off), then put everything back.

    The app caches its broker connection pool and producer pool; they are dropped on the way in and out so
    that `deliver_emails.delay()` really connects to `url`, exactly as a web process configured with it would."""
    from portal.celery import app

    saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager")}

    def drop_pools() -> None:
        kombu.pools.reset()  # closes every pooled connection and forgets the pools, keyed by broker URL
        app._pool = None
        if "amqp" in app.__dict__:
            app.amqp._producer_pool = None

    drop_pools()
    app.conf.broker_url = url
    app.conf.task_always_eager = False
    try:
        yield app
    finally:
        drop_pools()
        app.conf.broker_url = saved["broker_url"]
        app.conf.task_always_eager = saved["task_always_eager"]


def database_url() -> str:
    """The URL of the database this test runs on (the test database), for another process."""
    config = connection.settings_dict
    user = quote(config["USER"] or "", safe="")
    password = f":{quote(config['PASSWORD'], safe='')}" if config["PASSWORD"] else ""
    host = quote(config["HOST"] or "127.0.0.1", safe="")
    port = config["PORT"] or 5432
    return f"postgres://{user}{password}@{host}:{port}/{quote(config['NAME'], safe='')}"


def stop_process(process: subprocess.Popen | None, *, grace: float) -> None:
    """TERM, and KILL if it has not exited after `grace` seconds."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


def wait_for(condition: Callable[[], object], *, seconds: float, interval: float = 0.1) -> object:
    """Poll `condition` until it returns something truthy; return that, or the last falsy value at the deadline."""
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


class Worker:
    """A real `celery -A portal worker` process on Redis db 9, the test database, and a file email backend."""

    def __init__(self, folder: Path) -> None:
        self.mail_dir = folder / "mail"
        self.log_path = folder / "worker.log"
        self.name = f"portal-test-{uuid.uuid4().hex[:8]}@{socket.gethostname()}"
        self.process: subprocess.Popen | None = None

    def environment(self) -> dict[str, str]:
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "portal.settings.base",
            "DATABASE_URL": database_url(),
            "REDIS_URL": REDIS_TEST_URL,
            "EMAIL_URL": f"filemail://{self.mail_dir}",
            "SECRET_KEY": settings.SECRET_KEY,  # the same reply-address tokens as this process
        }

    def start(self, app) -> None:
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "portal",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-Q",
            "celery",
            "--loglevel=INFO",
            f"--hostname={self.name}",
        ]
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter, fixed arguments
            command, cwd=settings.BASE_DIR, env=self.environment(), stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        answered = wait_for(lambda: self._answers_ping(app), seconds=WORKER_READY_SECONDS, interval=0.2)
        assert answered, f"the Celery worker did not answer ping within {WORKER_READY_SECONDS}s:\n{self.log()}"

    def _answers_ping(self, app) -> bool:
        assert self.process.poll() is None, f"the Celery worker exited with {self.process.returncode}:\n{self.log()}"
        replies = app.control.ping(destination=[self.name], timeout=0.5)
        return any(self.name in reply for reply in replies)

    def stop(self) -> None:
        stop_process(self.process, grace=15)

    def log(self) -> str:
        """The worker's output, its JSON log lines (portal/logs.py) read back as `LEVEL logger message`."""
        if not self.log_path.exists():
            return "(no worker log)"
        lines = []
        for line in self.log_path.read_text(errors="replace").splitlines():
            try:
                record = json.loads(line)
                lines.append(f"{record['level']} {record['logger']} {record['message']}")
                if record.get("exception"):
                    lines.append(record["exception"])
            except (ValueError, KeyError, TypeError):
                lines.append(line)  # what is not a log record (a banner, a crash) stays as written
        return "\n".join(lines)

    def messages(self) -> list[email.message.EmailMessage]:
        """Every message the worker's file backend wrote, parsed."""
        if not self.mail_dir.exists():
            return []
        found = []
        for path in sorted(self.mail_dir.iterdir()):
            for chunk in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
                if chunk.strip():
                    found.append(email.message_from_bytes(chunk.lstrip(b"\n"), policy=email.policy.default))
        return found


@contextmanager
def running_worker(folder: Path) -> Iterator[tuple[Worker, object]]:
    """Start a worker and point this process's Celery app at the same Redis db; stop and clean up after.

    The worker's log is printed at the end: pytest shows it when the test failed."""
    flush_test_redis()
    worker = Worker(folder)
    try:
        with celery_broker(REDIS_TEST_URL) as app:
            worker.start(app)
            yield worker, app
    finally:
        worker.stop()
        print(f"--- Celery worker log ({worker.log_path}) ---\n{worker.log()}")
        flush_test_redis()
