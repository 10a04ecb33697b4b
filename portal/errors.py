"""The page for an error nobody handled: 503 while the database is unreachable, 500 for anything else.

Django calls `server_error` from inside the exception handler, whichever layer raised (a view, a middleware
loading the session or the person), so the error in hand tells a database outage from a bug. During an outage
(PostgreSQL restarting, a failover) people get a short page that says so and when to try again, never a
traceback; the next request after PostgreSQL is back opens a new connection by itself (CONN_HEALTH_CHECKS).
Both pages are standalone templates: they must render when nothing else can.
"""

from __future__ import annotations

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template import loader

RETRY_AFTER_SECONDS = 30


def server_error(request: HttpRequest) -> HttpResponse:
    error = sys.exc_info()[1]
    if isinstance(error, OperationalError | InterfaceError):
        response = HttpResponse(loader.render_to_string("503.html", request=None), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return HttpResponse(loader.render_to_string("500.html", request=None), status=500)
