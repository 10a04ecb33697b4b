"""The sweep over requests Awaiting your reply: reminders, then auto-solve (SPEC §7).

`sweep()` picks the requests whose `next_automation_at` has come and hands each to `process_one_awaiting()`,
which calls the workflow actions; they lock the row and re-check everything, so running the sweep twice, or
in two workers at once, never reminds or solves twice. One request's bad data is logged and the sweep goes on.
Beat runs it every few minutes (portal/celery.py); `manage.py sweep_awaiting` runs it once.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from tickets.models import Ticket
from workflow import actions
from workflow.models import PriorityPolicy, Status

logger = logging.getLogger(__name__)


@dataclass
class SweepResult:
    reminded: int = 0
    solved: int = 0
    failed: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


def sweep(*, now: datetime | None = None, limit: int = 1000) -> SweepResult:
    now = now or timezone.now()
    result = SweepResult()
    due = (
        Ticket.objects.filter(status=Status.AWAITING_REPLY, next_automation_at__lte=now)
        .order_by("next_automation_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    for ticket_id in list(due):
        try:
            outcome = process_one_awaiting(ticket_id, now=now)
        except Exception:
            result.failed += 1
            logger.exception("Sweep: request #%s could not be processed; the sweep goes on.", ticket_id)
            continue
        if outcome == "reminded":
            result.reminded += 1
        elif outcome == "solved":
            result.solved += 1
    if result.reminded or result.solved or result.failed:
        logger.info("Sweep at %s: %s", now.isoformat(), result)
    return result


def process_one_awaiting(ticket_id: int, *, now: datetime) -> str | None:
    """Send the next reminder, or solve the request, whichever is due. Returns what it did, or None."""
    ticket = Ticket.objects.filter(pk=ticket_id).first()
    if ticket is None or ticket.status != Status.AWAITING_REPLY:
        return None
    policy = PriorityPolicy.objects.filter(priority=ticket.priority).first()
    if policy is None:
        raise actions.ActionRefused(_("No priority policy for %(priority)s.") % {"priority": ticket.priority})
    if ticket.reminders_sent < policy.reminders:
        return "reminded" if actions.send_reminder(ticket=ticket, now=now) else None
    return "solved" if actions.auto_solve(ticket=ticket, now=now) else None
