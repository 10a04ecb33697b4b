"""Celery tasks: small units that take ids and call the code that does the work (STYLE §5)."""

from __future__ import annotations

from celery import shared_task

from workflow import automation, outbox


@shared_task(ignore_result=True)
def deliver_email(email_id: int) -> bool:
    return outbox.deliver_one(email_id)


@shared_task(ignore_result=True)
def deliver_outbox() -> int:
    return outbox.deliver_due()


@shared_task(ignore_result=True)
def sweep_awaiting() -> dict:
    return automation.sweep().as_dict()
