"""gunicorn's own lines (start-up, workers, signals) come out in the portal's log format, once each (issue #11)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings

from portal.tests.test_settings import READ_BY_SETTINGS


def _gunicorn_lines(tmp_path: Path, log_format: str) -> list[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    environment = {key: value for key, value in os.environ.items() if key not in READ_BY_SETTINGS}
    environment.update(
        DJANGO_SETTINGS_MODULE="portal.settings.base",
        DEBUG="1",
        LOG_FORMAT=log_format,
        GUNICORN_BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="1",
    )
    log_path = tmp_path / "gunicorn.log"
    gunicorn = Path(sys.executable).with_name("gunicorn")
    with log_path.open("wb") as log:
        server = subprocess.Popen(  # noqa: S603 - our own environment's gunicorn, fixed arguments
            [str(gunicorn), "portal.wsgi:application", "-c", "portal/gunicorn.conf.py"],
            cwd=settings.BASE_DIR,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 20
        while "Booting worker" not in log_path.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        server.terminate()
        server.wait(timeout=40)
    lines = [line for line in log_path.read_text().splitlines() if line.strip()]
    assert any("Booting worker" in line for line in lines), lines
    return lines


def test_gunicorn_writes_its_lines_as_the_portals_json_once_each(tmp_path):
    lines = _gunicorn_lines(tmp_path, "json")

    records = [json.loads(line) for line in lines]  # every line is one JSON object
    assert {record["logger"] for record in records} == {"gunicorn.error"}
    assert {"time", "level", "message", "request_id"} <= set(records[0])
    messages = [record["message"] for record in records]
    assert len(messages) == len(set(messages)), "a line was written twice"
    assert any(message.startswith("Listening at: http://127.0.0.1:") for message in messages)


def test_gunicorn_writes_plain_lines_with_log_format_text(tmp_path):
    lines = _gunicorn_lines(tmp_path, "text")

    assert all(" INFO gunicorn.error [-] " in line for line in lines), lines
