"""The Celery app. Settings come from Django's settings under the CELERY_ namespace; tasks are autodiscovered."""

from __future__ import annotations

import os
from logging.config import dictConfig

from celery import Celery
from celery.signals import setup_logging
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.base")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@setup_logging.connect
def _log_like_the_web_processes(**kwargs) -> None:
    # Workers and beat write settings.LOGGING's lines (JSON unless LOG_FORMAT=text, at LOG_LEVEL) instead of
    # Celery's own format; with a receiver here Celery leaves the root logger alone.
    dictConfig(settings.LOGGING)


# The one place the periodic work is scheduled.
app.conf.beat_schedule = {
    "sweep-awaiting-requests": {"task": "workflow.tasks.sweep_awaiting", "schedule": 300.0},
    "deliver-outbox": {"task": "workflow.tasks.deliver_outbox", "schedule": 60.0},
    "poll-mailbox": {"task": "workflow.tasks.poll_mailbox", "schedule": 60.0},
    "disconnect-idle-chats": {"task": "workflow.tasks.disconnect_idle_chats", "schedule": 30.0},
}
