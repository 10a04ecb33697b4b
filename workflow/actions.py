"""Every change to a request is one of these actions.

Each is keyword-only and typed, runs in one transaction, locks the request row it changes, appends the
`TicketEvent`s that record it, and schedules side effects with `transaction.on_commit`. Views, forms, the
admin and background jobs call these; nothing else writes `Ticket.status` or `Ticket.priority`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from tickets.models import Attachment, Channel, EventKind, Reply, Ticket, TicketEvent
from workflow.models import Priority, Status


class ActionRefused(Exception):
    """The action cannot be done as asked; the message says why and nothing was changed."""


def open_request(
    *,
    requester: User,
    subject: str,
    body: str,
    priority: Priority | str,
    ccs: Iterable[User] = (),
    attachments: Sequence[UploadedFile] = (),
    via: Channel | str = Channel.WEB,
) -> Ticket:
    """A customer opens a request. It starts Open, with the description as its first public reply."""
    if requester.is_staff or requester.organisation_id is None:
        raise ActionRefused("Only a customer of an organisation can open a request.")
    cc_list = [person for person in ccs if person.pk != requester.pk]
    if any(person.organisation_id != requester.organisation_id for person in cc_list):
        raise ActionRefused("People from another organisation cannot be copied on a request.")
    now = timezone.now()
    with transaction.atomic():
        ticket = Ticket.objects.create(
            subject=subject,
            requester=requester,
            organisation_id=requester.organisation_id,
            priority=Priority(priority),
            status=Status.OPEN,
            channel=Channel(via),
            created_at=now,
            last_activity_at=now,
        )
        if cc_list:
            ticket.ccs.add(*cc_list)
        TicketEvent.objects.create(
            ticket=ticket, kind=EventKind.CREATED, actor=requester, to_value=Status.OPEN, created_at=now
        )
        if cc_list:
            TicketEvent.objects.create(
                ticket=ticket,
                kind=EventKind.CC,
                actor=requester,
                to_value=", ".join(person.email for person in cc_list)[:100],
                created_at=now,
            )
        _add_reply(ticket=ticket, author=requester, body=body, public=True, via=via, attachments=attachments, at=now)
    return ticket


def reply(
    *,
    ticket: Ticket,
    author: User,
    body: str,
    attachments: Sequence[UploadedFile] = (),
    via: Channel | str = Channel.WEB,
) -> Reply:
    """A public reply. When it comes from the customer's side, support owns the next step: the request is
    set Open, which on a Solved request is the reopen."""
    now = timezone.now()
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        message = _add_reply(
            ticket=locked, author=author, body=body, public=True, via=via, attachments=attachments, at=now
        )
        fields = ["last_activity_at"]
        locked.last_activity_at = now
        if not author.is_staff and locked.status != Status.OPEN:
            reason = "Reopened by a reply." if locked.status == Status.SOLVED else "The customer replied."
            fields += _set_status(ticket=locked, to=Status.OPEN, actor=author, reason=reason, at=now)
        locked.save(update_fields=fields)
    _refresh(ticket, locked)
    return message


def _add_reply(
    *,
    ticket: Ticket,
    author: User,
    body: str,
    public: bool,
    via: Channel | str,
    attachments: Sequence[UploadedFile],
    at,
) -> Reply:
    message = Reply.objects.create(
        ticket=ticket, author=author, body=body, is_public=public, channel=Channel(via), created_at=at
    )
    for upload in attachments:
        Attachment.objects.create(
            reply=message,
            file=upload,
            name=upload.name[:255],
            size=upload.size,
            content_type=(upload.content_type or "application/octet-stream")[:100],
            created_at=at,
        )
    return message


def _set_status(*, ticket: Ticket, to: Status, actor: User | None, reason: str, at, automation: str = "") -> list[str]:
    """Change the status of a locked request in memory and record it; returns the fields the caller saves."""
    previous = ticket.status
    ticket.status = to
    ticket.solved_at = at if to == Status.SOLVED else None
    TicketEvent.objects.create(
        ticket=ticket,
        kind=EventKind.STATUS,
        actor=actor,
        automation=automation,
        from_value=previous,
        to_value=to,
        reason=reason,
        created_at=at,
    )
    return ["status", "solved_at"]


def _refresh(stale: Ticket, fresh: Ticket) -> None:
    """Give the caller's instance the values the action saved, so it can render the result without a query."""
    for field in ("status", "priority", "last_activity_at", "solved_at", "priority_changed_at"):
        setattr(stale, field, getattr(fresh, field))
