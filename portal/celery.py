"""The Celery app. Settings come from Django's settings under the CELERY_ namespace; tasks are autodiscovered."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.base")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The one place the periodic work is scheduled.
app.conf.beat_schedule = {
    "sweep-awaiting-requests": {"task": "workflow.tasks.sweep_awaiting", "schedule": 300.0},
    "deliver-outbox": {"task": "workflow.tasks.deliver_outbox", "schedule": 60.0},
    "poll-mailbox": {"task": "workflow.tasks.poll_mailbox", "schedule": 60.0},
    "disconnect-idle-chats": {"task": "workflow.tasks.disconnect_idle_chats", "schedule": 30.0},
}
