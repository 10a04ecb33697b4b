"""Celery tasks: small units that take ids and call the code that does the work (STYLE §5)."""

from __future__ import annotations

from celery import shared_task

from workflow import automation, chat, mailbox, outbox


@shared_task(ignore_result=True)
def deliver_emails(email_ids: list[int]) -> int:
    return sum(outbox.deliver_one(email_id) for email_id in email_ids)


@shared_task(ignore_result=True)
def deliver_outbox() -> int:
    return outbox.deliver_due()


@shared_task(ignore_result=True)
def sweep_awaiting() -> dict:
    return automation.sweep().as_dict()


@shared_task(ignore_result=True)
def poll_mailbox() -> dict:
    """Does nothing unless IMAP_URL is set."""
    result = mailbox.poll()
    return {"handled": result.handled, "left_unread": result.left_unread}


@shared_task(ignore_result=True)
def disconnect_idle_chats() -> int:
    return chat.disconnect_idle()
