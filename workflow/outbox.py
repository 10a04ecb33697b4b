"""Delivering the outbox: each email once, retried with growing waits, never lost.

`deliver_one()` claims one row under a row lock (`SKIP LOCKED` on PostgreSQL, so two workers never send the
same email), sends it, and records the outcome in the same transaction. `deliver_due()` is the periodic sweep
that sends whatever a worker never got to: the broker was down, the worker was down, or SMTP refused.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from tickets.models import Ticket
from workflow.models import OutboundEmail
from workflow.notifications import render

logger = logging.getLogger(__name__)

MAX_WAIT = timedelta(hours=6)


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, 8 … minutes after each failed attempt, at most six hours."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_WAIT)


def _pending():
    return OutboundEmail.objects.filter(sent_at__isnull=True, given_up_at__isnull=True)


def deliver_one(email_id: int, *, now: datetime | None = None) -> bool:
    """Send one waiting email if it is due and nobody else is sending it. True when it was sent."""
    now = now or timezone.now()
    with transaction.atomic():
        claim = _pending().filter(pk=email_id, next_attempt_at__lte=now)
        if connection.features.has_select_for_update_skip_locked:
            claim = claim.select_for_update(skip_locked=True, of=("self",))
        email = claim.select_related("ticket", "recipient", "reply").first()
        if email is None:
            return False
        if not Ticket.objects.sees(email.recipient, email.ticket_id):
            _give_up(email, now, "The recipient can no longer see the request.")
            return False
        try:
            render(email).send()
        except Exception as error:  # SMTP refusal, network, a template error: all retried later
            _failed(email, now, error)
            return False
        email.sent_at = now
        email.attempts += 1
        email.save(update_fields=["sent_at", "attempts"])
        return True


def deliver_due(*, now: datetime | None = None, limit: int = 500) -> int:
    """Send every email that is due. Returns how many were sent."""
    now = now or timezone.now()
    due = list(
        _pending()
        .filter(next_attempt_at__lte=now)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(deliver_one(email_id, now=now) for email_id in due)


def _failed(email: OutboundEmail, now: datetime, error: Exception) -> None:
    email.attempts += 1
    email.last_error = f"{type(error).__name__}: {error}"[:2000]
    email.next_attempt_at = now + backoff(email.attempts)
    fields = ["attempts", "last_error", "next_attempt_at"]
    if email.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
        email.given_up_at = now
        fields.append("given_up_at")
        logger.error("Gave up on email %s after %s attempts: %s", email.pk, email.attempts, email.last_error)
    else:
        logger.warning(
            "Email %s failed (attempt %s), retrying at %s: %s",
            email.pk,
            email.attempts,
            email.next_attempt_at,
            email.last_error,
        )
    email.save(update_fields=fields)


def _give_up(email: OutboundEmail, now: datetime, reason: str) -> None:
    email.given_up_at = now
    email.last_error = reason
    email.save(update_fields=["given_up_at", "last_error"])
    logger.info("Email %s not sent: %s", email.pk, reason)
