"""What every reader of a request's page shares, written once and kept in the cache until it changes.

The conversation is most of what a request page costs: the latest replies with their authors and files, the chats
among them, and the Markdown of each message; the names of the people copied on the request come with it.
Everyone on the same side sees the same conversation (customers the public messages, agents all of them), so it
is written once and kept:

- under the request's id, creation time and `thread_version`, which every change to a message, a file, a chat, the
  CCs or the request's history draws anew in the same transaction (the signals below, and `thread_changed` where a
  queryset update bypasses them): a page never shows a conversation older than the request it read;
- for one side, language, time zone and length (latest or whole), and for the code that writes it (a hash of it);
- with the people-version it was written under: a change to anyone's name, email, role or active state, and a new
  agent, move the people-version once committed, and what was written under another one is written again.

Agents' pages keep their panel the same way (workflow.views.agent_panel), through `kept`.
Nothing is kept longer than REQUEST_PAGE_CACHE_SECONDS; 0 keeps nothing.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache as shared_cache
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Prefetch, Subquery, prefetch_related_objects
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver
from django.template import Context, Template
from django.utils import timezone, translation
from django.utils.safestring import SafeString

from accounts.models import User
from tickets.models import Attachment, Chat, ChatMessage, Reply, Ticket, TicketEvent

PEOPLE_VERSION = "kept:people-version"
# What a person's part of a page shows (a name, a badge, an assignee to choose): a change to any other field (a
# sign-in, a language) keeps what was written.
SHOWN_OF_A_PERSON = {"full_name", "email", "is_staff", "is_active"}
# What a chat's part shows besides its messages; the customer's "last seen" changes every few seconds.
SHOWN_OF_A_CHAT = {"state", "started_at"}

_ENTRIES = Template("{% load portal %}{% thread_entries thread %}")


@dataclass(frozen=True)
class Conversation:
    html: SafeString
    hidden: int  # earlier replies left out (the page links to the whole conversation)
    ccs: tuple[str, ...]  # the names of the people copied on the request, as the page lists them


def conversation(ticket: Ticket, *, agents: bool, whole: bool) -> Conversation:
    """The conversation of `ticket` for agents (every message) or customers (the public ones), the latest
    THREAD_LATEST replies with the chats among them unless `whole`."""
    side = "agents" if agents else "customers"
    length = "whole" if whole else f"latest-{settings.THREAD_LATEST}"
    key = page_key("thread", ticket, side, length, code=THREAD_CODE)
    html, hidden, ccs = kept(key, lambda: _written(ticket, agents=agents, whole=whole))
    return Conversation(SafeString(html), hidden, ccs)


def kept(key: str, write: Callable[[], Any]) -> Any:
    """What `write()` answers, kept under `key` with the people-version it was written under."""
    if settings.REQUEST_PAGE_CACHE_SECONDS <= 0:
        return write()
    found = shared_cache.get_many([key, PEOPLE_VERSION])
    people = found.get(PEOPLE_VERSION)
    if people is None:
        shared_cache.add(PEOPLE_VERSION, time.time_ns(), None)
        people = shared_cache.get(PEOPLE_VERSION)
    if key in found and found[key][0] == people:
        return found[key][1]
    written = write()
    shared_cache.set(key, (people, written), settings.REQUEST_PAGE_CACHE_SECONDS)
    return written


def page_key(part: str, ticket: Ticket, *details: object, code: tuple[str, ...]) -> str:
    """The key of one part of `ticket`'s page: the request as it was read (its creation time too: a database
    loaded anew starts its ids and versions where an earlier one did), the viewer's language and time zone, the
    code that writes the part, and `details`."""
    zone = timezone.get_current_timezone_name()
    language = translation.get_language()
    created = ticket.created_at.timestamp()
    where = ":".join(str(detail) for detail in details)
    return f"{part}:{code_version(code)}:{ticket.pk}:{created}:{ticket.thread_version}:{language}:{zone}:{where}"


def thread_changed(*ticket_ids: int) -> None:
    """A new thread_version for these requests: what is kept of their pages is written again on the next view."""
    _changed(Ticket.objects.filter(pk__in=ticket_ids))


def _changed(tickets) -> None:
    tickets.update(thread_version=secrets.randbits(63))


# The files whose code writes the conversation, from the project's root.
THREAD_CODE = (
    "tickets/thread.py",
    "tickets/templatetags/portal.py",
    "tickets/markdown.py",
    "tickets/dates.py",
)


@cache
def code_version(paths: tuple[str, ...]) -> str:
    """A hash of the code that writes a part: a new release never reads what an older one wrote."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update((Path(settings.BASE_DIR) / path).read_bytes())
    return digest.hexdigest()[:12]


def _written(ticket: Ticket, *, agents: bool, whole: bool) -> tuple[str, int, tuple[str, ...]]:
    # Each reply says whether it has files, and the first whether the request has chats: most requests have
    # neither, and then the page asks for neither.
    replies = ticket.replies.select_related("author").annotate(
        has_files=Exists(Attachment.objects.filter(reply=OuterRef("pk"))),
        # Names this request, not the row: asked once, from the chats' index (correlated, PostgreSQL may hash
        # every chat there is instead).
        has_chats=Exists(Chat.objects.filter(ticket_id=ticket.pk)),
    )
    if not agents:
        replies = replies.filter(is_public=True)
    # A long thread opens on its latest replies (and the chats among them); the rest is one link away. Every
    # message costs the page the same to write, so a request with hundreds of them would otherwise be slow to
    # open whenever it changes.
    hidden = 0
    if not whole:
        # The latest replies and, on each, how many there are in all: one query, not a count and then a list. The
        # count names no column of the outer rows, so PostgreSQL runs it once, from the index, before the page.
        total = replies.order_by().values("ticket").annotate(total=Count("pk")).values("total")
        latest = replies.annotate(thread_total=Subquery(total)).order_by("-created_at", "-pk")
        replies = list(latest[: settings.THREAD_LATEST])[::-1]
        hidden = replies[0].thread_total - len(replies) if replies else 0
    else:
        replies = list(replies)
    with_files = [reply for reply in replies if reply.has_files]
    if with_files:
        prefetch_related_objects(
            with_files, Prefetch("attachments", queryset=Attachment.objects.order_by("pk"), to_attr="files")
        )
    for reply in replies:
        if not reply.has_files:
            reply.files = []  # (set after the prefetch, which skips any reply that has the attribute already)
    chats = []
    if not replies or replies[0].has_chats:
        chats = ticket.chats.all()
        if hidden:
            chats = chats.filter(started_at__gte=replies[0].created_at)
        chats = list(chats)
        _attach_lines(chats)
    # Oldest first: replies and chat transcripts in the order they happened.
    thread = sorted(
        [
            *(("reply", reply, reply.created_at) for reply in replies),
            *(("chat", chat, chat.started_at) for chat in chats),
        ],
        key=lambda entry: entry[2],
    )
    ccs = tuple(person.get_full_name() or person.email for person in ticket.ccs.all())
    return str(_ENTRIES.render(Context({"thread": thread}))), hidden, ccs


def _attach_lines(chats: list[Chat]) -> None:
    """Each chat's messages, oldest first, with their authors (`chat.lines`): one query for all the chats."""
    lines = {chat.pk: [] for chat in chats}
    if lines:
        for message in ChatMessage.objects.filter(chat_id__in=lines).select_related("author").order_by("pk"):
            lines[message.chat_id].append(message)
    for chat in chats:
        chat.lines = lines[chat.pk]


# --- What changes a conversation ------------------------------------------------------------------------------


@receiver([post_save, post_delete], sender=Reply, dispatch_uid="thread-reply")
def _reply_changed(sender, instance: Reply, **kwargs) -> None:
    thread_changed(instance.ticket_id)


@receiver([post_save, post_delete], sender=Attachment, dispatch_uid="thread-attachment")
def _attachment_changed(sender, instance: Attachment, **kwargs) -> None:
    _changed(Ticket.objects.filter(replies=instance.reply_id))


@receiver([post_save, post_delete], sender=ChatMessage, dispatch_uid="thread-chat-message")
def _chat_message_changed(sender, instance: ChatMessage, **kwargs) -> None:
    _changed(Ticket.objects.filter(chats=instance.chat_id))


@receiver([post_save, post_delete], sender=Chat, dispatch_uid="thread-chat")
def _chat_changed(sender, instance: Chat, update_fields=None, **kwargs) -> None:
    if update_fields is not None and not SHOWN_OF_A_CHAT & set(update_fields):
        return
    thread_changed(instance.ticket_id)


@receiver(m2m_changed, sender=Ticket.ccs.through, dispatch_uid="thread-ccs")
def _ccs_changed(sender, instance, action: str, reverse: bool, pk_set, **kwargs) -> None:
    # From either side: ticket.ccs.add(person), or person.cc_tickets.remove(ticket).
    if action in {"post_add", "post_remove"}:
        thread_changed(*(pk_set if reverse else [instance.pk]))
    elif action == "pre_clear":
        thread_changed(*(instance.cc_tickets.values_list("pk", flat=True) if reverse else [instance.pk]))


@receiver(post_save, sender=TicketEvent, dispatch_uid="thread-event")
def _event_recorded(sender, instance: TicketEvent, **kwargs) -> None:
    thread_changed(instance.ticket_id)  # the history on an agent's page


@receiver([post_save, post_delete], sender=User, dispatch_uid="thread-people")
def _person_changed(sender, instance: User, update_fields=None, created=False, **kwargs) -> None:
    if created and not instance.is_staff:
        return  # a new customer has written nothing yet; a new agent is one more assignee to choose
    if update_fields is not None and not SHOWN_OF_A_PERSON & set(update_fields):
        return
    # After the commit: a page written between the change and its commit would otherwise keep the old name under
    # the new people-version.
    transaction.on_commit(lambda: shared_cache.set(PEOPLE_VERSION, time.time_ns(), None))
