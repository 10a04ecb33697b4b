"""The Celery app. Settings come from Django's settings under the CELERY_ namespace; tasks are autodiscovered."""

from __future__ import annotations

import os
from logging.config import dictConfig

from celery import Celery
from celery.signals import before_task_publish, setup_logging, task_postrun, task_prerun
from django.conf import settings

from portal import request_id

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.base")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@setup_logging.connect
def _log_like_the_web_processes(**kwargs) -> None:
    # Workers and beat write settings.LOGGING's lines (JSON unless LOG_FORMAT=text, at LOG_LEVEL) instead of
    # Celery's own format; with a receiver here Celery leaves the root logger alone.
    dictConfig(settings.LOGGING)


# A task queued while a request is served carries the request's id in its message, and the worker's log lines
# for that task carry it too: one id finds a reply's page view and the sending of its emails. (Inline tasks,
# without Redis, run inside the request and log its id anyway.)
@before_task_publish.connect
def _send_the_request_id(headers=None, **kwargs) -> None:
    if headers is not None and request_id.current() != request_id.NONE:
        headers.setdefault(request_id.TASK_HEADER, request_id.current())


@task_prerun.connect
def _take_the_request_id(task=None, **kwargs) -> None:
    carried = getattr(task.request, request_id.TASK_HEADER, None) if task is not None else None
    if carried:
        task.request.request_id_token = request_id.adopt(carried)


@task_postrun.connect
def _drop_the_request_id(task=None, **kwargs) -> None:
    token = getattr(task.request, "request_id_token", None) if task is not None else None
    if token is not None:
        request_id.release(token)


# The one place the periodic work is scheduled.
app.conf.beat_schedule = {
    "sweep-awaiting-requests": {"task": "workflow.tasks.sweep_awaiting", "schedule": 300.0},
    "deliver-outbox": {"task": "workflow.tasks.deliver_outbox", "schedule": 60.0},
    "poll-mailbox": {"task": "workflow.tasks.poll_mailbox", "schedule": 60.0},
    "disconnect-idle-chats": {"task": "workflow.tasks.disconnect_idle_chats", "schedule": 30.0},
}
