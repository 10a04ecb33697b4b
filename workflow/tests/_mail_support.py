"""Raw mail for the email-in tests, and the three ways to hand it in.

The messages in `mail/` are whole RFC 5322 messages as Gmail, Outlook, Apple Mail, Thunderbird, an
autoresponder, a mail server and a printer send them, with `{{PLACEHOLDERS}}` for what changes per test (who
sends it, to which address, which request it answers, its Message-ID). `message()` fills them in.

`pipe()` runs `manage.py receive_email` in a separate process, as an MTA's pipe transport does;
`call_pipe()` runs the same command in this process (faster, for exit statuses and log lines);
`imap_server()` starts a real IMAP server (pymap) on a free loopback port.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from email.utils import formataddr
from pathlib import Path
from unittest import mock
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from workflow.notifications import reply_address, thread_root

MAIL = Path(__file__).with_name("mail")
_PLACEHOLDER = re.compile(rb"\{\{([A-Z_]+)\}\}")

# A port on which nothing listens: the database is "down".
DATABASE_DOWN_URL = "postgres://postgres@127.0.0.1:1/portal_down"


# --- Fixtures ---------------------------------------------------------------------------------------------


def fill(name: str, **values: object) -> bytes:
    """The fixture `name` with every {{KEY}} replaced by values[KEY]; a placeholder without a value is an error."""
    data = (MAIL / name).read_bytes()

    def value(match: re.Match[bytes]) -> bytes:
        key = match.group(1).decode()
        if key not in values:
            raise KeyError(f"{name} needs a value for {{{{{key}}}}}")
        return str(values[key]).encode()

    return _PLACEHOLDER.sub(value, data)


def new_message_id(domain: str = "mail.northwind.example") -> str:
    return f"<{uuid.uuid4().hex}@{domain}>"


def notification_id(ticket) -> str:
    """A Message-ID in the form the portal gives its notifications (not stored in the outbox)."""
    return f"<{uuid.uuid4().hex}.request-{ticket.pk}@{settings.REPLY_DOMAIN}>"


def address_of(person) -> str:
    return formataddr((person.full_name, person.email)) if hasattr(person, "email") else str(person)


def message(
    name: str,
    *,
    sender,
    ticket=None,
    to: str | None = None,
    message_id: str | None = None,
    in_reply_to: str | None = None,
    references: str | None = None,
    headers: dict[str, str] | None = None,
) -> bytes:
    """The fixture `name` as `sender` (a User or an address) sends it, answering `ticket`'s notification.

    By default it goes to the ticket's reply address and threads under a notification of that ticket, as a
    mail client's Reply does. `headers` are added on top (e.g. a Cc line)."""
    values: dict[str, object] = {
        "FROM": address_of(sender),
        "MESSAGE_ID": message_id or new_message_id(),
    }
    if ticket is not None:
        in_reply_to = in_reply_to or notification_id(ticket)
        values |= {
            "TO": to or reply_address(ticket),
            "TICKET": ticket.pk,
            "THREAD_ROOT": thread_root(ticket),
            "IN_REPLY_TO": in_reply_to,
            "IN_REPLY_TO_BARE": in_reply_to.strip("<>"),
            "REFERENCES": references if references is not None else f"{thread_root(ticket)} {in_reply_to}",
        }
    else:
        values["TO"] = to or settings.SUPPORT_ADDRESS
    data = fill(name, **values)
    extra = "".join(f"{key}: {value}\n" for key, value in (headers or {}).items())
    return extra.encode() + data


# --- The pipe command -------------------------------------------------------------------------------------


def shared_database_url() -> str:
    """DATABASE_URL for another process to reach the database this test runs on; skips where it cannot."""
    config = connection.settings_dict
    if connection.vendor == "postgresql":
        user = quote(config.get("USER") or "", safe="")
        password = quote(config.get("PASSWORD") or "", safe="")
        credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
        host = config.get("HOST") or "127.0.0.1"
        port = config.get("PORT") or 5432
        return f"postgres://{credentials}{host}:{port}/{quote(config['NAME'], safe='')}"
    if connection.vendor == "sqlite" and not connection.creation.is_in_memory_db(config["NAME"]):
        return f"sqlite:///{config['NAME']}"
    pytest.skip(
        "the pipe command runs in another process, which cannot see this in-memory SQLite test database; "
        "run with DATABASE_URL=postgres://... (CI does)"
    )


def pipe(raw: bytes, *, database_url: str, media_root: Path, timeout: float = 60) -> subprocess.CompletedProcess:
    """`manage.py receive_email` in its own process with the production settings module, as Postfix runs it."""
    env = {key: value for key, value in os.environ.items() if key not in {"REDIS_URL", "EMAIL_URL", "IMAP_URL"}}
    env |= {
        "DJANGO_SETTINGS_MODULE": "portal.settings.base",
        "DATABASE_URL": database_url,
        "DATABASE_CONN_MAX_AGE": "0",
        "SECRET_KEY": settings.SECRET_KEY,
        "DEFAULT_FROM_EMAIL": settings.DEFAULT_FROM_EMAIL,
        "REPLY_DOMAIN": settings.REPLY_DOMAIN,
        "SUPPORT_ADDRESS": settings.SUPPORT_ADDRESS,
        "EMAIL_URL": f"filemail://{media_root / 'sent-mail'}",  # bounces land here as files
        "MEDIA_ROOT": str(media_root),
        "LOG_LEVEL": "INFO",
        "DEBUG": "0",
        "PYTHONUNBUFFERED": "1",
    }
    return subprocess.run(
        [sys.executable, "manage.py", "receive_email"],
        input=raw,
        capture_output=True,
        cwd=settings.BASE_DIR,
        env=env,
        timeout=timeout,
        check=False,
    )


def call_pipe(raw: bytes) -> tuple[int, str]:
    """The same command in this process: (exit status, what it printed)."""
    out = io.StringIO()
    with mock.patch.object(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw))):
        try:
            call_command("receive_email", stdout=out)
        except SystemExit as exit:
            return int(exit.code), out.getvalue()
    return 0, out.getvalue()


# --- A real IMAP server -----------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def pymap_executable() -> str | None:
    return shutil.which("pymap", path=str(Path(sys.executable).parent)) or shutil.which("pymap")


@contextmanager
def imap_server(user: str, password: str, log: Path) -> Iterator[int]:
    """pymap's in-memory backend on a free 127.0.0.1 port with one user; yields the port."""
    executable = pymap_executable()
    if executable is None:
        pytest.skip(
            "!!! NO IMAP SERVER: the `pymap` executable is missing, so the IMAP poll is NOT tested against a real "
            "server. Install requirements-test.txt (it pins pymap). !!!"
        )
    port = _free_port()
    with log.open("wb") as output:
        process = subprocess.Popen(
            [executable, "--host", "127.0.0.1", "--port", str(port), "--no-service", "admin"]
            + ["dict", "--demo-user", user, "--demo-password", password],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 20
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"pymap exited with {process.returncode}: {log.read_text()}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"pymap did not listen on {port}: {log.read_text()}") from None
                time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
