"""Request ids (portal/request_id.py) and the log lines that carry them (portal/logs.py): one id per request, on
the response and on every line written while it is served; one JSON object per line."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from django.conf import settings
from django.db import OperationalError

from portal import health, request_id
from portal.logs import JsonFormatter, TextFormatter
from portal.request_id import RequestIdFilter

URL = "/healthz"  # the cheapest page: no sign-in, no template
GENERATED = re.compile(r"[0-9a-f]{32}")


class Lines(logging.Handler):
    """What the console handler would write, as a list: the same filter, the same formatter."""

    def __init__(self) -> None:
        super().__init__()
        self.addFilter(RequestIdFilter())
        self.setFormatter(JsonFormatter())
        self.lines: list[dict] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


@pytest.fixture
def lines() -> Iterator[Lines]:
    handler = Lines()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)


@pytest.fixture
def database_down(monkeypatch):
    def fail() -> None:
        raise OperationalError("connection refused")

    monkeypatch.setattr(health, "check_database", fail)


def _record(message: str = "Delivered %s email(s)", *args, exc_info=None) -> logging.LogRecord:
    return logging.LogRecord("workflow.outbox", logging.WARNING, __file__, 1, message, args, exc_info)


def test_it_gives_each_request_a_new_id(client, db):
    first = client.get(URL)["X-Request-ID"]
    second = client.get(URL)["X-Request-ID"]

    assert GENERATED.fullmatch(first) and GENERATED.fullmatch(second)
    assert first != second


def test_it_keeps_the_id_the_proxy_sent(client, db):
    response = client.get(URL, headers={"X-Request-ID": "lb-7f3a.9_B"})

    assert response["X-Request-ID"] == "lb-7f3a.9_B"


@pytest.mark.parametrize(
    "offered",
    ["", "a b", "x" * 65, "id\rInjected: yes", '"quoted"', "über", "a/b", "{json}"],
    ids=["empty", "space", "too_long", "carriage_return", "quotes", "not_ascii", "slash", "braces"],
)
def test_it_replaces_an_id_that_is_not_a_plain_token(client, db, offered):
    response = client.get(URL, headers={"X-Request-ID": offered})

    assert GENERATED.fullmatch(response["X-Request-ID"])


def test_every_line_written_during_a_request_carries_its_id(client, lines, database_down):
    response = client.get(URL, headers={"X-Request-ID": "trace-42"})

    assert response.status_code == 503
    written = {(line["logger"], line["request_id"]) for line in lines.lines}
    assert ("portal.health", "trace-42") in written  # the view's own warning
    assert ("django.request", "trace-42") in written  # "Service Unavailable", logged after the middleware returned


def test_lines_outside_a_request_say_so(client, db, lines):
    client.get(URL)
    logging.getLogger("workflow.automation").warning("Swept")

    assert lines.lines[-1]["request_id"] == "-"
    assert request_id.current() == "-"


def test_the_json_line_has_every_field():
    record = _record("Delivered %s email(s)\nto %s", 3, "ops")
    record.request_id = "abc123"

    line = JsonFormatter().format(record)

    assert "\n" not in line  # one object per line, even for a message of two
    entry = json.loads(line)
    assert entry == {
        "time": entry["time"],
        "level": "WARNING",
        "logger": "workflow.outbox",
        "message": "Delivered 3 email(s)\nto ops",
        "request_id": "abc123",
    }
    written = datetime.fromisoformat(entry["time"])
    assert written.utcoffset().total_seconds() == 0
    assert abs((datetime.now(UTC) - written).total_seconds()) < 60


def test_the_json_line_carries_the_exception():
    try:
        raise ValueError("no such mailbox")
    except ValueError:
        record = _record("IMAP poll failed", exc_info=sys.exc_info())

    entry = json.loads(JsonFormatter().format(record))

    assert entry["request_id"] == "-"  # no filter, no request: still a valid line
    assert entry["exception"].startswith("Traceback (most recent call last):")
    assert entry["exception"].endswith("ValueError: no such mailbox")


def test_the_text_line_carries_the_request_id():
    record = _record("Delivered %s email(s)", 3)
    RequestIdFilter().filter(record)

    assert TextFormatter().format(record).endswith(" WARNING workflow.outbox [-] Delivered 3 email(s)")


@pytest.mark.parametrize(("log_format", "first_character"), [("json", "{"), (None, "{"), ("text", "2")])
def test_log_format_chooses_the_lines_every_process_writes(log_format, first_character):
    environment = {key: value for key, value in os.environ.items() if key not in {"LOG_FORMAT", "LOG_LEVEL"}}
    if log_format:
        environment["LOG_FORMAT"] = log_format
    environment["DJANGO_SETTINGS_MODULE"] = "portal.settings.base"
    code = "import django, logging; django.setup(); logging.getLogger('workflow.outbox').warning('Outbox empty')"

    result = subprocess.run(
        [sys.executable, "-c", code], cwd=settings.BASE_DIR, env=environment, capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 0, result.stderr
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith(first_character), line
    if first_character == "{":
        assert json.loads(line) | {"time": "-"} == {
            "time": "-",
            "level": "WARNING",
            "logger": "workflow.outbox",
            "message": "Outbox empty",
            "request_id": "-",
        }
    else:
        assert line.endswith(" WARNING workflow.outbox [-] Outbox empty")
