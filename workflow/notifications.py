"""Who is told what by email, and how those emails look and thread (SPEC §10, email out).

`notify()` writes outbox rows inside the caller's transaction and asks for delivery after commit;
`render()` builds the message when it is delivered. Every message of a request threads under one root
Message-ID and carries a reply address tied to the request by an unguessable token, which email-in checks.
"""

from __future__ import annotations

import logging
import uuid
import zoneinfo

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.models import User
from tickets.models import Reply, Ticket
from workflow.models import OutboundEmail

logger = logging.getLogger(__name__)

Kind = OutboundEmail.Kind

# Translators: email subjects; keep "[#%(id)s]" as it is, email-in and people's filters rely on it.
SUBJECTS = {
    Kind.REPLY: _("Re: [#%(id)s] %(subject)s"),
    Kind.AWAITING: _("[#%(id)s] Awaiting your reply: %(subject)s"),
    Kind.SOLVED: _("[#%(id)s] Solved: %(subject)s"),
    Kind.REMINDER: _("[#%(id)s] Reminder, awaiting your reply: %(subject)s"),
    Kind.AUTO_SOLVED: _("[#%(id)s] Solved for lack of reply: %(subject)s"),
}
AUTOMATIC = {Kind.REMINDER, Kind.AUTO_SOLVED}


def notify(ticket: Ticket, kind: str, *, actor: User | None = None, reply: Reply | None = None) -> list[int]:
    """Queue one email per person following the request (requester and CCs) who may still see it, except the
    person who caused it. Call inside the transaction that makes the change."""
    rows = [
        OutboundEmail(ticket=ticket, recipient=person, kind=kind, reply=reply, message_id=_new_message_id(ticket))
        for person in recipients(ticket, exclude=actor)
    ]
    created = OutboundEmail.objects.bulk_create(rows)
    ids = [row.pk for row in created]
    if ids:
        transaction.on_commit(lambda: _request_delivery(ids))
    return ids


def recipients(ticket: Ticket, *, exclude: User | None = None) -> list[User]:
    followers = [ticket.requester, *ticket.ccs.all()]
    chosen: list[User] = []
    for person in followers:
        if exclude is not None and person.pk == exclude.pk:
            continue
        if person in chosen or not person.is_active:
            continue
        if not person.email:
            logger.warning("Request #%s: %s has no email address; not notified.", ticket.pk, person.pk)
            continue
        if not Ticket.objects.sees(person, ticket.pk):
            continue  # e.g. a CC who has since moved to another organisation
        chosen.append(person)
    return chosen


def _request_delivery(ids: list[int]) -> None:
    """Hand the new rows to a worker, in one message for the whole change, so that an unreachable broker
    costs one connection timeout, not one per recipient. If the broker is down this only logs: the periodic
    delivery sweep sends whatever is still waiting, and the change itself is already saved."""
    from workflow.tasks import deliver_emails

    try:
        deliver_emails.delay(ids)
    except Exception:
        logger.warning("Could not queue emails %s now; the outbox sweep will send them.", ids, exc_info=True)


# --- Addresses and threading ------------------------------------------------------------------------------


def _token(ticket_id: int) -> str:
    return salted_hmac("workflow.reply-address", str(ticket_id), algorithm="sha256").hexdigest()[:24]


def reply_address(ticket: Ticket) -> str:
    """reply+<id>.<token>@<domain>: lower-case hex, so mail systems that fold case keep it valid."""
    return f"reply+{ticket.pk}.{_token(ticket.pk)}@{settings.REPLY_DOMAIN}"


def ticket_id_from_reply_address(address: str) -> int | None:
    """The request a reply address belongs to, or None when the address is not one of ours or is forged."""
    local, _, domain = address.strip().strip("<>").lower().rpartition("@")
    if domain != settings.REPLY_DOMAIN.lower() or not local.startswith("reply+"):
        return None
    number, _, token = local.removeprefix("reply+").partition(".")
    if not number.isdigit() or not constant_time_compare(token, _token(int(number))):
        return None
    return int(number)


def thread_root(ticket: Ticket) -> str:
    return f"<request-{ticket.pk}@{settings.REPLY_DOMAIN}>"


def _new_message_id(ticket: Ticket) -> str:
    return f"<{uuid.uuid4().hex}.request-{ticket.pk}@{settings.REPLY_DOMAIN}>"


# --- Rendering --------------------------------------------------------------------------------------------


def auto_solve_note(reminders: int) -> str:
    """The public note left on a request solved for lack of reply, in the active language."""
    return ngettext(
        "We have not heard back since we asked for your reply, despite %(count)s reminder, so this request is "
        "now solved. If you still need help, just reply: the request reopens.",
        "We have not heard back since we asked for your reply, despite %(count)s reminders, so this request is "
        "now solved. If you still need help, just reply: the request reopens.",
        reminders,
    ) % {"count": reminders}


def person_zone(person: User) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(person.time_zone or settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def render(email: OutboundEmail) -> EmailMultiAlternatives:
    """The message in the recipient's own language and time zone, whichever process (web or worker) sends it."""
    recipient = email.recipient
    with translation.override(recipient.language or settings.LANGUAGE_CODE), timezone.override(person_zone(recipient)):
        return _render(email)


def _render(email: OutboundEmail) -> EmailMultiAlternatives:
    ticket = email.ticket
    context = {
        "email": email,
        "ticket": ticket,
        "recipient": email.recipient,
        "reply": email.reply,
        "url": settings.SITE_URL + reverse("tickets:detail", args=[ticket.pk]),
        "kind": email.kind,
        "auto_solved_note": auto_solve_note(ticket.reminders_sent) if email.kind == Kind.AUTO_SOLVED else "",
    }
    message = EmailMultiAlternatives(
        subject=str(SUBJECTS[email.kind]) % {"id": ticket.pk, "subject": ticket.subject},
        body=render_to_string("workflow/email/notification.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email.recipient.email],
        reply_to=[reply_address(ticket)],
        headers={
            "Message-ID": email.message_id,
            "In-Reply-To": thread_root(ticket),
            "References": thread_root(ticket),
            **({"Auto-Submitted": "auto-generated"} if email.kind in AUTOMATIC else {}),
        },
    )
    message.attach_alternative(render_to_string("workflow/email/notification.html", context), "text/html")
    return message
