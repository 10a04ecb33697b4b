"""The gate to one request, and to its files. Views never look a request up any other way."""

from __future__ import annotations

from django.http import Http404

from tickets.models import Attachment, Chat, Ticket

# Ids are positive 64-bit integers; anything else cannot name a request and must not reach the database
# (SQLite and PostgreSQL both raise on out-of-range integers instead of finding nothing).
_MAX_ID = 2**63 - 1


def parse_id(value: object) -> int | None:
    """The id that `value` names, or None when it cannot name a row (not a number, zero, negative, too big)."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= _MAX_ID else None


def _as_id(value: int | str) -> int:
    number = parse_id(value)
    if number is None:
        raise Http404("No such request.")
    return number


def get_ticket_for(user, pk: int | str) -> Ticket:
    """The request `pk` with its requester and organisation (and assignee, for agents) if `user` may see it;
    otherwise 404, the same answer as for an id that does not exist."""
    people = ("requester", "organisation", "assignee") if user.is_staff else ("requester", "organisation")
    try:
        ticket = Ticket.objects.select_related(*people).get(pk=_as_id(pk))
    except Ticket.DoesNotExist:
        raise Http404("No such request.") from None
    if not ticket.shown_to(user):
        raise Http404("No such request.")
    return ticket


def get_attachment_for(user, pk: int | str) -> Attachment:
    """A file the person may download: on a request they may see, and on a reply they may read."""
    queryset = Attachment.objects.filter(reply__ticket__in=Ticket.objects.gate_for(user))
    if not user.is_staff:
        queryset = queryset.filter(reply__is_public=True)
    try:
        return queryset.get(pk=_as_id(pk))
    except Attachment.DoesNotExist:
        raise Http404("No such file.") from None


def get_chat_for(user, pk: int | str) -> Chat:
    """A chat of a request the person may see; otherwise 404."""
    queryset = Chat.objects.filter(ticket__in=Ticket.objects.gate_for(user)).select_related(
        "ticket", "customer", "agent"
    )
    try:
        return queryset.get(pk=_as_id(pk))
    except Chat.DoesNotExist:
        raise Http404("No such chat.") from None
