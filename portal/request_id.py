"""A request id on every response and on every log line written while the request is served.

The id comes from the proxy's `X-Request-ID` header when it is a plain token (so one id follows the request
through the proxy's log and the portal's), otherwise it is made here; a header a client made up could carry
anything into the logs, so nothing but letters, digits, `.`, `_` and `-`, at most 64 of them, is taken.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar, Token

from django.core.signals import request_finished
from django.http import HttpRequest, HttpResponse

HEADER = "X-Request-ID"
NONE = "-"  # on log lines written outside a request: start-up, management commands, periodic tasks
TASK_HEADER = "request_id"  # the header of a Celery task message that carries the id (portal/celery.py)
_SANE = re.compile(r"[A-Za-z0-9._-]{1,64}")

_current: ContextVar[str] = ContextVar("request_id", default=NONE)


def current() -> str:
    return _current.get()


def adopt(value: str) -> Token:
    """Log as request `value` (a task queued while it was served) until `release`; a malformed id is not taken."""
    return _current.set(value if _SANE.fullmatch(str(value)) else NONE)


def release(token: Token) -> None:
    _current.reset(token)


def _from(request: HttpRequest) -> str:
    offered = request.headers.get(HEADER, "")
    return offered if _SANE.fullmatch(offered) else uuid.uuid4().hex


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.id = _from(request)
        # Not reset on the way out: Django logs an error response ("Service Unavailable: /healthz") after the last
        # middleware has returned, and that line needs the id too. It is forgotten when the response is closed.
        _current.set(request.id)
        response = self.get_response(request)
        response[HEADER] = request.id
        return response


def _forget(**kwargs) -> None:
    _current.set(NONE)


request_finished.connect(_forget, dispatch_uid="portal.request_id.forget")


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record the handler writes (a handler's filter sees records from every logger)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current()
        return True
