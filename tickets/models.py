"""Support requests, their replies and attachments, and the append-only event log.

Nothing here changes a request's status or priority: `workflow.actions` does, and every view reaches
requests through `Ticket.objects.visible_to()` (lists), its one-request forms `gate_for()` / `sees()`, or
`Ticket.shown_to()` for a request read by its id (through `tickets.access` in the views).
"""

from __future__ import annotations

import uuid
from pathlib import PurePath

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Exists, Q
from django.db.models.lookups import In
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation, OrganisationAccess, holds_organisation_access
from tickets.files import shows_inline
from workflow.models import Priority, Status


class Channel(models.TextChoices):
    WEB = "web", _("Web")
    EMAIL = "email", _("Email")
    CHAT = "chat", _("Chat")


class TicketQuerySet(models.QuerySet["Ticket"]):
    def visible_to(self, user, *, organisation_access: bool | None = None) -> TicketQuerySet:
        """The one visibility rule (SPEC §2). Every list, search, count and download starts here.

        `organisation_access` is `holds_organisation_access(user)` when the caller has just read it for the same
        request (My requests needs it for its filters too); otherwise it is read here."""
        if (early := self._before_the_rule(user)) is not None:
            return early
        if organisation_access is None:
            organisation_access = holds_organisation_access(user)
        if organisation_access:
            return self.filter(organisation_id=user.organisation_id)
        return self.filter(organisation_id=user.organisation_id).filter(_own_or_copied(user))

    def gate_for(self, user) -> TicketQuerySet:
        """The same rule in one query, for looking up something of one request (tickets.access: a file, a chat;
        `sees`): the grant is tested by the query itself, not asked for first. Lists use `visible_to`: their plan
        must know the grant beforehand, to walk the organisation's index in the list's order. A request's own page
        reads the request by its id and asks `Ticket.shown_to`."""
        if (early := self._before_the_rule(user)) is not None:
            return early
        grant = OrganisationAccess.objects.held_by(user)
        return self.filter(organisation_id=user.organisation_id).filter(Q(Exists(grant)) | _own_or_copied(user))

    def sees(self, user, ticket_id: int) -> bool:
        """Whether `user` may see request `ticket_id`: the gate's one query."""
        return self.gate_for(user).filter(pk=ticket_id).exists()

    def _before_the_rule(self, user) -> TicketQuerySet | None:
        settled = _settled_without_the_rule(user)
        if settled is None:
            return None
        return self if settled else self.none()


def _settled_without_the_rule(user) -> bool | None:
    """True for someone who sees every request (agents), False for someone who sees none (signed out, deactivated,
    in no organisation), None when the rule decides, request by request."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_staff:
        return True
    if user.organisation_id is None:
        return False
    # A customer only ever sees their current organisation's requests: someone who moves to another
    # organisation keeps nothing of the old one, whatever CCs or grants still name them.
    return None


def _own_or_copied(user) -> Q:
    # Their own requests and those they are CC'd on. The CC'd ids are one array, read first from the CCs' index, so
    # that PostgreSQL finds both kinds of row in one pass over two indexes (requester, primary key) and sorts only
    # those. Written with `id IN (CCs)`, it would read every request of the organisation to test the OR; with the
    # ids as a union of two subqueries, it would look each one up twice.
    copied = Ticket.ccs.through.objects.filter(user_id=user.pk).values("ticket_id")
    return Q(requester_id=user.pk) | Q(InArray(models.F("pk"), copied))


class InArray(In):
    """`column IN (subquery)`, written for PostgreSQL as `column = ANY(ARRAY(subquery))`: the subquery runs once,
    before the rest, and its array can be looked up in an index inside an OR, which an `IN` subquery cannot."""

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY(ARRAY{rhs})", (*lhs_params, *rhs_params)


class Ticket(models.Model):
    """A support request. Its primary key is the public, sequential request id."""

    subject = models.CharField(_("subject"), max_length=150)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="requested_tickets",
        verbose_name=_("requester"),
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="tickets", verbose_name=_("organisation")
    )
    ccs = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="cc_tickets", verbose_name=_("ccs"))
    priority = models.CharField(_("priority"), max_length=2, choices=Priority.choices, default=Priority.S3)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.OPEN)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.WEB)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    last_activity_at = models.DateTimeField(_("last activity"), default=timezone.now)
    priority_changed_at = models.DateTimeField(_("priority changed at"), null=True, blank=True)
    solved_at = models.DateTimeField(_("solved at"), null=True, blank=True)
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_sources",
        verbose_name=_("merged into"),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_tickets",
        limit_choices_to={"is_staff": True},
        verbose_name=_("assignee"),
    )
    first_response_due_at = models.DateTimeField(_("first response due at"), null=True, blank=True)
    first_responded_at = models.DateTimeField(_("first responded at"), null=True, blank=True)
    # Bumped by every action; agents' forms carry it so that a change made meanwhile is never overwritten.
    version = models.PositiveIntegerField(_("version"), default=1)
    # The reminder cycle while the request is Awaiting your reply (workflow.automation). next_automation_at
    # is when the sweep should look again; the sweep re-checks the policy itself before acting.
    awaiting_since = models.DateTimeField(_("awaiting since"), null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(_("reminders sent"), default=0)
    last_reminder_at = models.DateTimeField(_("last reminder at"), null=True, blank=True)
    next_automation_at = models.DateTimeField(_("next automation at"), null=True, blank=True)
    # The new-request form's own token (tickets.forms.SubmittedOnceForm): the same form sent twice opens one request.
    submission = models.CharField(_("submission"), max_length=32, blank=True, default="", db_default="", editable=False)
    # Drawn anew, in the same transaction, by every change to the conversation (a message, a file, a chat): part of
    # the key of the conversation kept in the cache (tickets.thread), which alone writes it. Random rather than
    # counted, so that a database restored from a backup never meets a conversation written after the backup.
    thread_version = models.BigIntegerField(_("thread version"), default=0, db_default=0, editable=False)

    objects = TicketQuerySet.as_manager()

    class Meta:
        ordering = ["-last_activity_at", "-pk"]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            # My requests: one organisation's (or one requester's) requests, by either sort, optionally by status.
            # Each ends on the id, as the sorts do, so that a page is read straight off the index in order.
            models.Index(fields=["organisation", "-last_activity_at", "-id"], name="ticket_org_activity"),
            models.Index(fields=["organisation", "-created_at", "-id"], name="ticket_org_created"),
            models.Index(
                fields=["organisation", "status", "-last_activity_at", "-id"], name="ticket_org_status_activity"
            ),
            models.Index(fields=["requester", "-last_activity_at", "-id"], name="ticket_requester_activity"),
            models.Index(fields=["requester", "-created_at", "-id"], name="ticket_requester_created"),
            # The agents' queue and the admin list across organisations.
            models.Index(fields=["-last_activity_at", "-id"], name="ticket_activity"),
            models.Index(fields=["status", "priority", "-last_activity_at"], name="ticket_status_priority"),
            # The queue by priority, in its default order (first response due, soonest first).
            models.Index(fields=["priority", "first_response_due_at", "-id"], name="ticket_priority_due"),
            models.Index(fields=["first_response_due_at"], name="ticket_first_response_due"),
            models.Index(fields=["assignee", "status"], name="ticket_assignee_status"),
            models.Index(
                fields=["next_automation_at"],
                name="ticket_automation_due",
                condition=models.Q(status="awaiting_reply"),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["requester", "submission"], condition=~Q(submission=""), name="ticket_submitted_once"
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"

    def save(self, *args, **kwargs) -> None:
        # A request read before a message was added must not write its older thread_version back.
        if not self._state.adding and kwargs.get("update_fields") is None:
            fields = self._meta.concrete_fields
            kwargs["update_fields"] = [f.name for f in fields if not f.primary_key and f.name != "thread_version"]
        super().save(*args, **kwargs)

    @property
    def is_solved(self) -> bool:
        return self.status == Status.SOLVED

    def shown_to(self, user) -> bool:
        """The rule of `visible_to`, for this request already read: whether `user` may see it. Only someone who is
        not its requester is asked about, in one small query each: their grant, then whether they are a CC.

        Reading the request by its id and deciding here costs a request page half what the same test written
        into the request's query does (`gate_for`): Django spends more composing that query than PostgreSQL
        spends running it. tickets/tests/test_gate.py holds this, the gate and the lists to the same answers for
        everyone."""
        settled = _settled_without_the_rule(user)
        if settled is not None:
            return settled
        if user.organisation_id != self.organisation_id:
            return False
        if self.requester_id == user.pk or OrganisationAccess.objects.held_by(user).exists():
            return True
        return Ticket.ccs.through.objects.filter(ticket_id=self.pk, user_id=user.pk).exists()

    @property
    def first_response_breached(self) -> bool:
        """Support answered late, or has not answered and the due time has passed."""
        if self.first_response_due_at is None:
            return False
        answered_or_now = self.first_responded_at or timezone.now()
        return answered_or_now > self.first_response_due_at


class TicketDocument(models.Model):
    """What search reads on PostgreSQL: one row per request holding the words (and CJK grams) of its subject,
    public replies and chat messages in `public`, and of its internal notes in `internal`.

    The database keeps it: triggers from migration 0012 write it whenever a request, reply, chat or chat message
    is added or changed, so no code path can forget it. A list can then walk its sort index and test each request
    with one lookup, which is what keeps a search for a common word fast. On SQLite nothing fills it and search
    reads the texts themselves (tickets.search).
    """

    ticket = models.OneToOneField(
        Ticket, on_delete=models.CASCADE, primary_key=True, related_name="document", verbose_name=_("ticket")
    )
    public = SearchVectorField(_("public text"), null=True)
    internal = SearchVectorField(_("internal notes"), null=True)

    class Meta:
        verbose_name = _("search document")
        verbose_name_plural = _("search documents")

    def __str__(self) -> str:
        return f"search document of #{self.ticket_id}"


class Reply(models.Model):
    """A message in a request's thread: a public reply, or an internal note only agents see."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="replies", verbose_name=_("ticket"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replies",
        verbose_name=_("author"),
        help_text=_("Empty for a note written by automation (e.g. auto-solve)."),
    )
    body = models.TextField(_("message"), help_text=_("Markdown"))
    is_public = models.BooleanField(_("is public"), default=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.WEB)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # The reply form's own token, made when the form is shown: the same form sent twice (a double click, or sent
    # again after an error page while the first one had in fact been saved) adds the reply once.
    submission = models.CharField(_("submission"), max_length=32, blank=True, default="", db_default="", editable=False)

    class Meta:
        verbose_name = _("reply")
        verbose_name_plural = _("replies")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="reply_ticket_created")]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "author", "submission"],
                condition=~Q(submission=""),
                name="reply_submitted_once",
            )
        ]

    def __str__(self) -> str:
        if self.is_public:
            return _("reply on #%(ticket)s by %(author)s") % {"ticket": self.ticket_id, "author": self.author}
        return _("internal note on #%(ticket)s by %(author)s") % {"ticket": self.ticket_id, "author": self.author}


def attachment_path(instance: Attachment, filename: str) -> str:
    # The stored name is random: nothing a person uploads decides where it lands or what it is called on disk.
    suffix = PurePath(filename).suffix.lower()[:10]
    return f"attachments/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix if suffix.isascii() else ''}"


class Attachment(models.Model):
    reply = models.ForeignKey(Reply, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("reply"))
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=200)
    name = models.CharField(_("name"), max_length=255, help_text=_("The file name as uploaded, shown to people."))
    size = models.PositiveBigIntegerField(_("size"))
    content_type = models.CharField(_("content type"), max_length=100, default="application/octet-stream")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.name

    @property
    def shows_inline(self) -> bool:
        """A raster image by its bytes (tickets.files); the download view checks the stored bytes again."""
        return shows_inline(self.content_type)


class EventKind(models.TextChoices):
    CREATED = "created", _("Created")
    STATUS = "status", _("Status changed")
    PRIORITY = "priority", _("Priority changed")
    CC = "cc", _("CCs changed")
    ASSIGNEE = "assignee", _("Assignee changed")
    MERGE = "merge", _("Merged")
    MERGED_IN = "merged_in", _("Requests merged in")
    ACCESS = "access", _("Organisation access decision")
    REMINDER = "reminder", _("Reminder sent")
    SUBJECT = "subject", _("Subject changed")


class TicketEventQuerySet(models.QuerySet["TicketEvent"]):
    def update(self, **kwargs) -> int:
        raise ValueError("Ticket events are append-only; record a new event instead.")


class TicketEvent(models.Model):
    """One change to a request: who (or which automation) did what, when, from what, to what, and why.

    Rows are only ever appended; the admin shows them read-only.
    """

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events", verbose_name=_("ticket"))
    kind = models.CharField(_("kind"), max_length=20, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    automation = models.CharField(
        _("automation"), max_length=50, blank=True, help_text=_("Set when no person made the change.")
    )
    from_value = models.CharField(_("from value"), max_length=100, blank=True)
    to_value = models.CharField(_("to value"), max_length=100, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = TicketEventQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
        indexes = [models.Index(fields=["ticket", "created_at"], name="event_ticket_created")]

    def __str__(self) -> str:
        return f"#{self.ticket_id} {self.get_kind_display()}: {self.from_label or '—'} → {self.to_label or '—'}"

    def save(self, *args, **kwargs) -> None:
        # The log is evidence of who changed what: rows are written once and never rewritten.
        if not self._state.adding:
            raise ValueError("Ticket events are append-only; record a new event instead.")
        super().save(*args, **kwargs)

    @property
    def from_label(self) -> str:
        return self._label(self.from_value)

    @property
    def to_label(self) -> str:
        return self._label(self.to_value)

    def _label(self, value: str) -> str:
        """Status and priority values as people read them; other values as stored."""
        choices = {EventKind.CREATED: Status, EventKind.STATUS: Status, EventKind.PRIORITY: Priority}.get(self.kind)
        if choices is not None and value in choices.values:
            return str(choices(value).label)
        return value


class Chat(models.Model):
    """A live conversation between a customer and an agent about one request (SPEC §9).

    Every message is stored as it is sent; the request's thread shows the chat as one block. A chat is part of
    its request, so it follows the request's visibility.
    """

    class State(models.TextChoices):
        WAITING = "waiting", _("Waiting for an agent")
        ACTIVE = "active", _("In progress")
        ENDED = "ended", _("Ended")
        DISCONNECTED = "disconnected", _("Disconnected")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="chats", verbose_name=_("ticket"))
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("customer")
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("agent"),
    )
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.WAITING)
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    taken_at = models.DateTimeField(_("taken at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    customer_seen_at = models.DateTimeField(_("customer seen at"), default=timezone.now)

    class Meta:
        ordering = ["started_at", "pk"]
        verbose_name = _("chat")
        verbose_name_plural = _("chats")
        indexes = [models.Index(fields=["state", "started_at"], name="chat_state_started")]

    def __str__(self) -> str:
        return f"chat {self.pk} on #{self.ticket_id} ({self.state})"

    @property
    def is_open(self) -> bool:
        return self.state in {self.State.WAITING, self.State.ACTIVE}


class ChatMessage(models.Model):
    chat = models.ForeignKey(Chat, on_delete=models.CASCADE, related_name="messages", verbose_name=_("chat"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("author")
    )
    body = models.TextField(_("body"), max_length=4000)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("chat message")
        verbose_name_plural = _("chat messages")
        indexes = [models.Index(fields=["chat", "id"], name="chatmessage_chat_id")]

    def __str__(self) -> str:
        return f"message {self.pk} in chat {self.chat_id}"
