"""Chat actions (SPEC §9): start, take over, post, end, and mark customers who went away as disconnected.

Like every action they run in one transaction under row locks and refuse with `ActionRefused`. A chat is
part of its request: starting one about a Solved (or waiting) request sets it Open through the workflow,
because support owns the next step while a chat runs.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from tickets.models import Channel, Chat, ChatMessage, Ticket
from tickets.thread import thread_changed
from workflow import actions
from workflow.actions import ActionRefused
from workflow.models import Status

MAX_MESSAGE = 4000
# A customer whose chat page has not asked for news for this long is gone.
DISCONNECT_AFTER = timedelta(seconds=90)


def start_chat(*, customer: User, first_message: str, ticket: Ticket | None = None) -> Chat:
    """Start a chat, about `ticket` or (without one) opening a new request of channel chat."""
    body = _clean(first_message)
    with transaction.atomic():
        if ticket is None:
            # The first message lives in the transcript; the description only says where the request began.
            ticket = actions.open_request(
                requester=customer,
                subject=body.splitlines()[0][:150],
                body=_("This request was started in a chat; the conversation is below."),
                priority="S3",
                via=Channel.CHAT,
            )
        else:
            if customer.is_staff:
                raise ActionRefused(_("Agents take chats; customers start them."))
            actions.actor_for(ticket, customer)  # refuses anyone who cannot see the request
            if ticket.status != Status.OPEN:
                # Support owns the next step while a chat runs; on a Solved request this is the reopen.
                actions.change_status(ticket=ticket, to=Status.OPEN, actor=customer, reason=_("A chat was started."))
        # Locking the request makes "is a chat already running?" and creating one a single step.
        Ticket.objects.select_for_update().filter(pk=ticket.pk).first()
        if Chat.objects.filter(
            ticket=ticket, customer=customer, state__in=[Chat.State.WAITING, Chat.State.ACTIVE]
        ).exists():
            raise ActionRefused(_("A chat about this request is already running."))
        chat = Chat.objects.create(ticket=ticket, customer=customer)
        ChatMessage.objects.create(chat=chat, author=customer, body=body)
    return chat


def take_chat(*, chat: Chat, agent: User, take_over: bool = False) -> Chat:
    """An agent answers a waiting chat; another agent may take over an active one, explicitly."""
    if not (agent.is_staff and agent.is_active):
        raise ActionRefused(_("Only agents take chats."))
    with transaction.atomic():
        locked = Chat.objects.select_for_update().get(pk=chat.pk)
        if not locked.is_open:
            raise ActionRefused(_("This chat has ended."))
        if locked.agent_id == agent.pk:
            raise ActionRefused(_("You already answer this chat."))
        if locked.agent_id is not None and not take_over:
            raise ActionRefused(_("Another agent answers this chat; take it over explicitly."))
        locked.agent = agent
        locked.state = Chat.State.ACTIVE
        locked.taken_at = locked.taken_at or timezone.now()
        locked.save(update_fields=["agent", "state", "taken_at"])
    return locked


def post(*, chat: Chat, author: User, body: str) -> ChatMessage:
    """A message from the chat's customer or from the agent who answers it; nobody else."""
    text = _clean(body)
    with transaction.atomic():
        locked = Chat.objects.select_for_update(of=("self",)).select_related("ticket").get(pk=chat.pk)
        if not locked.is_open:
            raise ActionRefused(_("This chat has ended. Start a new one to continue."))
        if author.pk not in {locked.customer_id, locked.agent_id}:
            raise ActionRefused(_("Only the customer and the agent answering the chat can write in it."))
        actions.actor_for(locked.ticket, author)  # someone who lost sight of the request writes nothing
        message = ChatMessage.objects.create(chat=locked, author=author, body=text)
        if author.pk == locked.customer_id:
            locked.customer_seen_at = message.created_at
            locked.save(update_fields=["customer_seen_at"])
        Ticket.objects.filter(pk=locked.ticket_id).update(last_activity_at=message.created_at)
        if author.pk == locked.agent_id:
            # An agent's answer in a chat is support's first response, as a public reply would be.
            Ticket.objects.filter(pk=locked.ticket_id, first_responded_at__isnull=True).update(
                first_responded_at=message.created_at
            )
    return message


def end_chat(*, chat: Chat, by: User) -> Chat:
    with transaction.atomic():
        locked = Chat.objects.select_for_update().get(pk=chat.pk)
        if by.pk not in {locked.customer_id, locked.agent_id} and not by.is_staff:
            raise ActionRefused(_("Only the people in the chat can end it."))
        if not locked.is_open:
            raise ActionRefused(_("This chat has already ended."))
        locked.state = Chat.State.ENDED
        locked.ended_at = timezone.now()
        locked.save(update_fields=["state", "ended_at"])
    return locked


def seen_by_customer(chat: Chat, at: datetime | None = None) -> None:
    Chat.objects.filter(pk=chat.pk, state__in=[Chat.State.WAITING, Chat.State.ACTIVE]).update(
        customer_seen_at=at or timezone.now()
    )


def disconnect_idle(*, now: datetime | None = None) -> int:
    """Mark chats whose customer has gone (no news for DISCONNECT_AFTER) as disconnected. Idempotent."""
    now = now or timezone.now()
    idle = Chat.objects.filter(
        state__in=[Chat.State.WAITING, Chat.State.ACTIVE], customer_seen_at__lt=now - DISCONNECT_AFTER
    )
    with transaction.atomic():
        found = dict(idle.select_for_update().values_list("pk", "ticket_id"))
        Chat.objects.filter(pk__in=found).update(state=Chat.State.DISCONNECTED, ended_at=now)
        thread_changed(*found.values())  # an update sends no signal: the requests' pages show the new state
    return len(found)


def _clean(body: str) -> str:
    text = (body or "").strip()
    if not text:
        raise ActionRefused(_("Write a message first."))
    if "\x00" in text:
        raise ActionRefused(_("The message contains a character that cannot be stored (NUL)."))
    if len(text) > MAX_MESSAGE:
        raise ActionRefused(_("A chat message can be at most %(count)s characters.") % {"count": MAX_MESSAGE})
    return text
