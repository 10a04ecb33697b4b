"""gunicorn's configuration: `gunicorn portal.wsgi:application -c portal/gunicorn.conf.py`.

Sync workers, 2 × cores + 1 of them (gunicorn's own advice for I/O-bound Django views). The few values that
differ between machines come from the environment, like the portal's settings.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path


def _cores() -> int:
    # The cores this process may run on (a container's CPU set), not every core of the host.
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * _cores() + 1))
worker_class = "sync"
# A request that takes longer than this is a bug; the worker is killed and replaced.
timeout = 30
graceful_timeout = 30
# The TLS-terminating proxy in front logs every request; gunicorn logs only its own events and errors (start-up,
# workers booting and timing out), on standard error in the portal's format (LOG_FORMAT, portal/logs.py), so that
# one collector reads every line of the web processes.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")


def _portal_formatter() -> type:
    # portal/logs.py read on its own: importing the `portal` package would load Django and Celery into the master.
    spec = importlib.util.spec_from_file_location("portal_log_formats", Path(__file__).with_name("logs.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    text = os.environ.get("LOG_FORMAT", "json").strip().lower() == "text"
    return module.TextFormatter if text else module.JsonFormatter


logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    # gunicorn's own handlers write through its formatter "generic"; this replaces it with the portal's.
    "formatters": {"generic": {"()": _portal_formatter()}},
    # Its lines go to standard error once (by default they would also reach the root logger's handler).
    "loggers": {"gunicorn.error": {"level": loglevel.upper(), "handlers": ["error_console"], "propagate": False}},
}
# Recycle a worker after this many requests (0: never), staggered so that workers do not restart together.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "0"))
max_requests_jitter = max_requests // 10
# gunicorn 27 opens a control socket at one fixed path per user ($HOME/.gunicorn/gunicorn.ctl); two servers of one
# user would take it from each other, and nothing here uses it.
control_socket_disable = True
