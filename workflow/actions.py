"""Every change to a request is one of these actions.

Each is keyword-only and typed, runs in one transaction, locks the request rows it changes, checks the status
machine (`workflow.transitions`), appends the `TicketEvent`s that record it, bumps the request's version and
saves with `update_fields`. Views, the admin and background jobs call these; nothing else writes a request's
status, priority, assignee or merge.

Agents' forms pass `expected_version`: when the request changed after the form was rendered, the action
refuses with `StaleRequest` instead of overwriting what the other person did.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from tickets.files import sniff_upload
from tickets.models import Attachment, Channel, ChatMessage, EventKind, Reply, Ticket, TicketEvent
from workflow.models import OutboundEmail, Priority, PriorityPolicy, Status
from workflow.notifications import auto_solve_note, notify
from workflow.transitions import Actor, is_allowed, needs_reason


class ActionRefused(Exception):
    """The action cannot be done as asked; the message says why and nothing was changed."""


class StaleRequest(ActionRefused):
    def __init__(self) -> None:
        super().__init__(_("This request changed since you opened it. Look at the change, then try again."))


def _require_agent(user: User, refusal: str) -> None:
    if not (user.is_staff and user.is_active):
        raise ActionRefused(refusal)


def actor_for(ticket: Ticket, user: User) -> Actor:
    """The role `user` acts in on `ticket`. Somebody who may not see the request has no role at all: actions
    check this themselves, whatever their caller (a view, email-in, a chat) already checked."""
    if user.is_staff and user.is_active:
        return Actor.AGENT
    if not Ticket.objects.sees(user, ticket.pk):
        raise ActionRefused(_("You cannot act on a request you cannot see."))
    if user.pk == ticket.requester_id:
        return Actor.REQUESTER
    return Actor.CUSTOMER


# --- Opening and replying ---------------------------------------------------------------------------------


def open_request(
    *,
    requester: User,
    subject: str,
    body: str,
    priority: Priority | str,
    ccs: Iterable[User] = (),
    attachments: Sequence[UploadedFile] = (),
    via: Channel | str = Channel.WEB,
    submission: str = "",
) -> Ticket:
    """A customer opens a request. It starts Open, with the description as its first public reply.

    `submission` is the form's token: the same form sent again answers with the request it already opened."""
    if requester.is_staff or requester.organisation_id is None:
        raise ActionRefused(_("Only a customer of an organisation can open a request."))
    cc_list = [person for person in ccs if person.pk != requester.pk]
    if any(person.organisation_id != requester.organisation_id for person in cc_list):
        raise ActionRefused(_("People from another organisation cannot be copied on a request."))
    priority = Priority(priority)
    if submission and (earlier := _opened_by(requester, submission)):
        return earlier
    now = timezone.now()
    try:
        with transaction.atomic():
            ticket = Ticket.objects.create(
                subject=subject,
                requester=requester,
                organisation_id=requester.organisation_id,
                priority=priority,
                status=Status.OPEN,
                channel=Channel(via),
                created_at=now,
                last_activity_at=now,
                first_response_due_at=_first_response_due(priority, now),
                submission=submission,
            )
            _event(ticket, EventKind.CREATED, actor=requester, to=Status.OPEN, at=now)
            if cc_list:
                ticket.ccs.add(*cc_list)
                _event(ticket, EventKind.CC, actor=requester, to=_emails(cc_list), at=now)
            _add_reply(
                ticket=ticket, author=requester, body=body, public=True, via=via, attachments=attachments, at=now
            )
    except IntegrityError:
        # Sent twice at once: the other sending inserted first (the unique index ticket_submitted_once made this
        # one wait for it to commit), so its request is the answer.
        earlier = _opened_by(requester, submission) if submission else None
        if earlier is None:
            raise
        return earlier
    return ticket


def _opened_by(requester: User, submission: str) -> Ticket | None:
    return Ticket.objects.filter(requester=requester, submission=submission).first()


def reply(
    *,
    ticket: Ticket,
    author: User,
    body: str,
    attachments: Sequence[UploadedFile] = (),
    via: Channel | str = Channel.WEB,
    expected_version: int | None = None,
    submission: str = "",
) -> Reply:
    """A public reply. From an agent, the first one is the first response. From the customer's side it hands
    the next step to support: the request is set Open, which on a Solved request is the reopen.

    `submission` is the reply form's token: a form sent again answers with the reply it already added."""
    with transaction.atomic():
        locked = _lock(ticket, expected_version)
        if earlier := _already_submitted(locked, author, submission):
            return earlier
        now = timezone.now()  # under the lock: see _lock
        actor = actor_for(locked, author)
        message = _add_reply(
            ticket=locked,
            author=author,
            body=body,
            public=True,
            via=via,
            attachments=attachments,
            at=now,
            submission=submission,
        )
        fields = ["last_activity_at"]
        locked.last_activity_at = now
        if actor == Actor.AGENT:
            notify(locked, OutboundEmail.Kind.REPLY, actor=author, reply=message)
        if actor == Actor.AGENT and locked.first_responded_at is None:
            locked.first_responded_at = now
            fields.append("first_responded_at")
        if actor != Actor.AGENT and locked.status != Status.OPEN:
            reason = _("Reopened by a reply.") if locked.status == Status.SOLVED else _("The customer replied.")
            fields += _transition(locked, Status.OPEN, actor=actor, user=author, reason=reason, at=now)
        _save(locked, fields)
    _refresh(ticket, locked)
    return message


def internal_note(
    *,
    ticket: Ticket,
    author: User,
    body: str,
    attachments: Sequence[UploadedFile] = (),
    expected_version: int | None = None,
    submission: str = "",
) -> Reply:
    """A note only agents see. It changes nothing else and never reaches a customer."""
    _require_agent(author, _("Only agents write internal notes."))
    with transaction.atomic():
        locked = _lock(ticket, expected_version)
        if earlier := _already_submitted(locked, author, submission):
            return earlier
        now = timezone.now()  # under the lock: see _lock
        message = _add_reply(
            ticket=locked,
            author=author,
            body=body,
            public=False,
            via=Channel.WEB,
            attachments=attachments,
            at=now,
            submission=submission,
        )
        _save(locked, [])
    _refresh(ticket, locked)
    return message


# --- Status, priority, assignee ---------------------------------------------------------------------------


def change_status(
    *,
    ticket: Ticket,
    to: Status | str,
    actor: User | None,
    reason: str = "",
    automation: str = "",
    expected_version: int | None = None,
) -> Ticket:
    """Move a request to another status, as the status machine allows for this actor.

    `actor=None` is the automation named by `automation` (reminders, auto-solve)."""
    to = Status(to)
    with transaction.atomic():
        locked = _lock(ticket, expected_version)
        now = timezone.now()  # under the lock: see _lock
        role = Actor.AUTOMATION if actor is None else actor_for(locked, actor)
        if role == Actor.AUTOMATION and not automation:
            raise ActionRefused("An automated change must name its automation.")
        fields = _transition(locked, to, actor=role, user=actor, reason=reason, automation=automation, at=now)
        locked.last_activity_at = now
        _save(locked, [*fields, "last_activity_at"])
    _refresh(ticket, locked)
    return ticket


def mark_solved(*, ticket: Ticket, requester: User) -> Ticket:
    """The requester says their request is solved."""
    if requester.pk != ticket.requester_id:
        raise ActionRefused(_("Only the person who opened the request can mark it solved."))
    return change_status(ticket=ticket, to=Status.SOLVED, actor=requester, reason=_("Marked solved by the requester."))


def reclassify(
    *,
    ticket: Ticket,
    to: Priority | str,
    actor: User,
    reason: str,
    expected_version: int | None = None,
) -> Ticket:
    """An agent changes the priority as the impact evolves. The reason is required and recorded; while
    support has not answered yet, the first-response due time follows the new priority's target."""
    to = Priority(to)
    _require_agent(actor, _("Only agents change the priority."))
    if not reason.strip():
        raise ActionRefused(_("Say why the priority changes."))
    with transaction.atomic():
        locked = _lock(ticket, expected_version)
        now = timezone.now()  # under the lock: see _lock
        if locked.priority == to:
            raise ActionRefused(_("The request already has this priority."))
        _event(locked, EventKind.PRIORITY, actor=actor, source=locked.priority, to=to, reason=reason, at=now)
        locked.priority = to
        locked.priority_changed_at = now
        fields = ["priority", "priority_changed_at"]
        if locked.first_responded_at is None:
            locked.first_response_due_at = _first_response_due(to, locked.created_at)
            fields.append("first_response_due_at")
        if locked.status == Status.AWAITING_REPLY:
            locked.next_automation_at = now  # the sweep re-reads the new priority's policy
            fields.append("next_automation_at")
        _save(locked, fields)
    _refresh(ticket, locked)
    return ticket


def rename(*, ticket: Ticket, subject: str, actor: User, expected_version: int | None = None) -> Ticket:
    """An agent gives the request a better subject (a chat's first message rarely makes a good one)."""
    _require_agent(actor, _("Only agents change a request's subject."))
    subject = " ".join((subject or "").split())
    if not subject or len(subject) > 150:
        raise ActionRefused(_("A subject is 1 to 150 characters."))
    with transaction.atomic():
        locked = _lock(ticket, expected_version)
        if locked.subject == subject:
            raise ActionRefused(_("The request already has this subject."))
        _event(locked, EventKind.SUBJECT, actor=actor, source=locked.subject, to=subject)
        locked.subject = subject
        _save(locked, ["subject"])
    ticket.subject = subject
    _refresh(ticket, locked)
    return ticket


def assign(*, ticket: Ticket, assignee: User | None, actor: User, expected_version: int | None = None) -> Ticket:
    """An agent gives the request to an agent (or to nobody)."""
    _require_agent(actor, _("Only agents assign requests."))
    if assignee is not None and not (assignee.is_staff and assignee.is_active):
        raise ActionRefused(_("Requests can only be assigned to active agents."))
    with transaction.atomic():
        locked = _lock(ticket, expected_version)
        if locked.assignee_id == (assignee.pk if assignee else None):
            raise ActionRefused(_("The request already has that assignee."))
        previous = locked.assignee.email if locked.assignee else ""
        _event(locked, EventKind.ASSIGNEE, actor=actor, source=previous, to=assignee.email if assignee else "")
        locked.assignee = assignee
        _save(locked, ["assignee"])
    _refresh(ticket, locked)
    return ticket


def record_access_decision(*, ticket: Ticket, actor: User, decision: str, note: str) -> None:
    """An ask for organisation-level access moved on (approved, granted, declined, withdrawn): keep it in the
    history of the support request that carries the ask."""
    with transaction.atomic():
        locked = _lock(ticket, None)
        _event(locked, EventKind.ACCESS, actor=actor, to=decision, reason=note)
        locked.last_activity_at = timezone.now()
        _save(locked, ["last_activity_at"])


# --- Automation: reminders and auto-solve ------------------------------------------------------------------

AUTO_SOLVE = "auto-solve"
REMINDERS = "reminders"


def send_reminder(*, ticket: Ticket, now: datetime) -> bool:
    """Remind the requester and CCs of a request still Awaiting your reply, if the next reminder is due.

    Runs under the row lock and re-checks everything, so a second sweep (or a second worker at the same
    moment) finds nothing to do: a reminder is never sent twice. True when a reminder was sent."""
    with transaction.atomic():
        locked = _lock(ticket, None)
        policy = _policy_for(locked)
        if locked.status != Status.AWAITING_REPLY or locked.reminders_sent >= policy.reminders:
            return False
        due = (locked.last_reminder_at or locked.awaiting_since or now) + policy.reminder_every
        if now < due:
            locked.next_automation_at = due
            _save(locked, ["next_automation_at"])
            return False
        locked.reminders_sent += 1
        locked.last_reminder_at = now
        more = locked.reminders_sent < policy.reminders
        locked.next_automation_at = now + (policy.reminder_every if more else policy.auto_solve_after)
        _event(
            locked,
            EventKind.REMINDER,
            actor=None,
            automation=REMINDERS,
            to=f"{locked.reminders_sent}/{policy.reminders}",
            at=now,
        )
        notify(locked, OutboundEmail.Kind.REMINDER)
        _save(locked, ["reminders_sent", "last_reminder_at", "next_automation_at"])
    _refresh(ticket, locked)
    return True


def auto_solve(*, ticket: Ticket, now: datetime) -> bool:
    """Solve a request that stayed Awaiting your reply after its last reminder and the policy's wait, with a
    public note saying why and that a reply reopens it. True when it was solved."""
    with transaction.atomic():
        locked = _lock(ticket, None)
        policy = _policy_for(locked)
        if locked.status != Status.AWAITING_REPLY or locked.reminders_sent < policy.reminders:
            return False
        due = (locked.last_reminder_at or locked.awaiting_since or now) + policy.auto_solve_after
        if now < due:
            locked.next_automation_at = due
            _save(locked, ["next_automation_at"])
            return False
        # The note stays on the request for everyone; it is written in the requester's language (each email
        # carries the same words in its recipient's own).
        with translation.override(locked.requester.language or translation.get_language()):
            reason = auto_solve_note(locked.reminders_sent)
        fields = _transition(
            locked,
            Status.SOLVED,
            actor=Actor.AUTOMATION,
            user=None,
            reason=reason,
            at=now,
            automation=AUTO_SOLVE,
            notify_people=False,
        )
        note = _add_reply(ticket=locked, author=None, body=reason, public=True, via=Channel.WEB, attachments=(), at=now)
        notify(locked, OutboundEmail.Kind.AUTO_SOLVED, reply=note)
        locked.last_activity_at = now
        _save(locked, [*fields, "last_activity_at"])
    _refresh(ticket, locked)
    return True


def _policy_for(ticket: Ticket) -> PriorityPolicy:
    policy = PriorityPolicy.objects.filter(priority=ticket.priority).first()
    if policy is None:
        raise ActionRefused(
            _("No priority policy for %(priority)s; request #%(id)s is left as it is.")
            % {"priority": ticket.priority, "id": ticket.pk}
        )
    return policy


# --- Merge ------------------------------------------------------------------------------------------------


def merge(
    *,
    sources: Sequence[Ticket],
    target: Ticket,
    actor: User,
    add_requesters_as_ccs: bool = False,
) -> Ticket:
    """Merge requests into `target` (SPEC §8). The merged ones stay as they are, set Solved and pointing to the
    target; the target gets a public note listing them.

    A merge shows no one a request they could not see before: a source's public text is copied into the note
    only when everyone who follows the target (requester and CCs) already followed that source. Internal
    notes are never copied. A source's requester becomes a CC of the target only when the agent asks for it.
    """
    _require_agent(actor, _("Only agents merge requests."))
    source_ids = sorted({source.pk for source in sources})
    if not source_ids:
        raise ActionRefused(_("Choose at least one request to merge."))
    if target.pk in source_ids:
        raise ActionRefused(_("A request cannot be merged into itself."))
    with transaction.atomic():
        # Lock every row involved, in id order, so that two merges over the same requests cannot deadlock.
        locked = {
            row.pk: row
            for row in Ticket.objects.select_for_update().filter(pk__in=[*source_ids, target.pk]).order_by("pk")
        }
        now = timezone.now()  # under the lock: see _lock
        if len(locked) != len(source_ids) + 1:
            raise ActionRefused(_("One of these requests no longer exists."))
        into = locked[target.pk]
        merged = [locked[pk] for pk in source_ids]
        _check_merge(merged, into)

        if add_requesters_as_ccs:
            newcomers = [row.requester for row in merged if row.requester_id != into.requester_id]
            if newcomers:
                into.ccs.add(*newcomers)
                _event(into, EventKind.CC, actor=actor, to=_emails(newcomers), reason=_("Added by a merge."), at=now)
        audience = {into.requester_id, *into.ccs.values_list("pk", flat=True)}

        for row in merged:
            fields = []
            if row.status != Status.SOLVED:
                fields = _transition(
                    row,
                    Status.SOLVED,
                    actor=Actor.MERGE,
                    user=actor,
                    reason=_("Merged into #%(id)s.") % {"id": into.pk},
                    at=now,
                )
            row.merged_into = into
            row.last_activity_at = now
            _event(row, EventKind.MERGE, actor=actor, to=f"#{into.pk}", at=now)
            _save(row, [*fields, "merged_into", "last_activity_at"])

        # A public note for the customers: in the requester's language, like the auto-solve note.
        with translation.override(into.requester.language or translation.get_language()):
            note = _merge_note(merged, audience)
        _add_reply(
            ticket=into,
            author=actor,
            body=note,
            public=True,
            via=Channel.WEB,
            attachments=(),
            at=now,
        )
        _event(into, EventKind.MERGED_IN, actor=actor, to=", ".join(f"#{row.pk}" for row in merged)[:100], at=now)
        into.last_activity_at = now
        _save(into, ["last_activity_at"])
    _refresh(target, into)
    return target


def _check_merge(merged: list[Ticket], into: Ticket) -> None:
    if into.merged_into_id is not None:
        raise ActionRefused(
            _("#%(id)s was itself merged into #%(into)s; merge into that one.")
            % {"id": into.pk, "into": into.merged_into_id}
        )
    for row in merged:
        if row.organisation_id != into.organisation_id:
            raise ActionRefused(_("#%(id)s belongs to another organisation.") % {"id": row.pk})
        if row.merged_into_id is not None:
            # Also what stops a cycle: a request that points somewhere can never be merged again.
            raise ActionRefused(
                _("#%(id)s was already merged into #%(into)s.") % {"id": row.pk, "into": row.merged_into_id}
            )


def _merge_note(merged: list[Ticket], audience: set[int]) -> str:
    parts = []
    for row in merged:
        followers = {row.requester_id, *row.ccs.values_list("pk", flat=True)}
        if not audience <= followers:
            # Not even the subject: it can say as much as the conversation.
            parts.append(
                _("**Request #%(id)s was merged into this one.** Its conversation stays on #%(id)s.") % {"id": row.pk}
            )
            continue
        parts.append(
            _("**Request #%(id)s (%(subject)s) was merged into this one.**") % {"id": row.pk, "subject": row.subject}
        )
        for message in row.replies.filter(is_public=True).select_related("author").order_by("created_at", "pk"):
            quoted = "\n".join(f"> {line}" for line in message.body.splitlines())
            parts.append(_("%(name)s wrote:") % {"name": _display_name(message.author)} + f"\n\n{quoted}")
        for line in ChatMessage.objects.filter(chat__ticket=row).select_related("author").order_by("pk"):
            # A chat that broke off and became several requests: its transcript comes along.
            author = _("%(name)s (chat):") % {"name": _display_name(line.author)}
            parts.append(f"> **{author}** {line.body}")
    return "\n\n".join(parts)


# --- Shared steps -----------------------------------------------------------------------------------------


def _lock(ticket: Ticket, expected_version: int | None) -> Ticket:
    # Actions read the clock once this returns, not before: one that waited here happens after the one it waited
    # for, and its reply, events and last activity must not carry an earlier time (threads and event logs are
    # read in time order, lists sort by last activity).
    # of=("self",): PostgreSQL cannot lock the nullable side of the outer join to the assignee.
    locked = Ticket.objects.select_for_update(of=("self",)).select_related("assignee").get(pk=ticket.pk)
    if expected_version is not None and locked.version != expected_version:
        raise StaleRequest()
    return locked


def _save(ticket: Ticket, fields: list[str]) -> None:
    ticket.version += 1  # the row is locked, so this read-modify-write cannot race
    ticket.save(update_fields=[*dict.fromkeys(fields), "version"])


def _transition(
    ticket: Ticket,
    to: Status,
    *,
    actor: Actor,
    user: User | None,
    reason: str,
    at: datetime,
    automation: str = "",
    notify_people: bool = True,
) -> list[str]:
    """Apply one status change to a locked request, if the status machine allows it; return fields to save."""
    source = Status(ticket.status)
    if source == to:
        raise ActionRefused(_("The request is already %(status)s.") % {"status": to.label})
    if not is_allowed(actor, source, to):
        raise ActionRefused(
            _("The %(actor)s cannot move a request from %(from)s to %(to)s.")
            % {"actor": actor.label, "from": source.label, "to": to.label}
        )
    if needs_reason(actor, to) and not reason.strip():
        raise ActionRefused(_("Say why the request is %(status)s.") % {"status": to.label})
    _event(ticket, EventKind.STATUS, actor=user, automation=automation, source=source, to=to, reason=reason, at=at)
    ticket.status = to
    ticket.solved_at = at if to == Status.SOLVED else None
    fields = ["status", "solved_at", *_restart_reminder_cycle(ticket, at)]
    if notify_people and to in STATUS_NOTIFICATIONS:
        notify(ticket, STATUS_NOTIFICATIONS[to], actor=user)
    return fields


STATUS_NOTIFICATIONS = {Status.AWAITING_REPLY: OutboundEmail.Kind.AWAITING, Status.SOLVED: OutboundEmail.Kind.SOLVED}


def _restart_reminder_cycle(ticket: Ticket, at: datetime) -> list[str]:
    """Entering Awaiting your reply starts a fresh reminder cycle; leaving it (a reply, any other change)
    stops the sweep from looking at the request. The counters stay as they were until the next cycle."""
    if ticket.status != Status.AWAITING_REPLY:
        ticket.awaiting_since = None
        ticket.next_automation_at = None
        return ["awaiting_since", "next_automation_at"]
    policy = PriorityPolicy.objects.filter(priority=ticket.priority).first()
    ticket.awaiting_since = at
    ticket.next_automation_at = at + policy.reminder_every if policy else at
    ticket.reminders_sent = 0
    ticket.last_reminder_at = None
    return ["awaiting_since", "next_automation_at", "reminders_sent", "last_reminder_at"]


def _event(
    ticket: Ticket,
    kind: EventKind,
    *,
    actor: User | None,
    to: str = "",
    source: str = "",
    reason: str = "",
    automation: str = "",
    at: datetime | None = None,
) -> TicketEvent:
    return TicketEvent.objects.create(
        ticket=ticket,
        kind=kind,
        actor=actor,
        automation=automation,
        from_value=str(source)[:100],
        to_value=str(to)[:100],
        reason=reason,
        created_at=at or timezone.now(),
    )


def _already_submitted(ticket: Ticket, author: User, submission: str) -> Reply | None:
    # Under the request's row lock, so a form sent twice at once is seen the second time (the unique constraint
    # reply_submitted_once stands behind it).
    if not submission:
        return None
    return ticket.replies.filter(author=author, submission=submission).first()


def _add_reply(
    *,
    ticket: Ticket,
    author: User | None,
    body: str,
    public: bool,
    via: Channel | str,
    attachments: Sequence[UploadedFile],
    at: datetime,
    submission: str = "",
) -> Reply:
    message = Reply.objects.create(
        ticket=ticket,
        author=author,
        body=body,
        is_public=public,
        channel=Channel(via),
        created_at=at,
        submission=submission,
    )
    for upload in attachments:
        Attachment.objects.create(
            reply=message,
            file=upload,
            name=upload.name[:255],
            size=upload.size,
            content_type=sniff_upload(upload),  # what the bytes are, not what the sender said
            created_at=at,
        )
    return message


def _first_response_due(priority: Priority, opened: datetime) -> datetime | None:
    policy = PriorityPolicy.objects.filter(priority=priority).first()
    return opened + policy.first_response if policy else None


def _display_name(person: User | None) -> str:
    return (person.get_full_name() or person.email) if person else _("Support")


def _emails(people: Iterable[User]) -> str:
    return ", ".join(person.email for person in people)


_REFRESHED = (
    "status",
    "priority",
    "assignee_id",
    "last_activity_at",
    "solved_at",
    "priority_changed_at",
    "first_response_due_at",
    "first_responded_at",
    "merged_into_id",
    "version",
)


def _refresh(stale: Ticket, fresh: Ticket) -> None:
    """Give the caller's instance the values the action saved, so it can render the result without a query."""
    for field in _REFRESHED:
        setattr(stale, field, getattr(fresh, field))
