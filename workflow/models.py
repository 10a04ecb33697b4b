"""The workflow's vocabulary. Status and priority live here; tickets store them, only actions change them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    OPEN = "open", _("Open")
    AWAITING_REPLY = "awaiting_reply", _("Awaiting your reply")
    ON_HOLD = "on_hold", _("On hold")
    SOLVED = "solved", _("Solved")


# Who owns the next step, in the customer's words (SPEC §7).
STATUS_EXPLANATIONS = {
    Status.OPEN: _("Support is working on it. The next step is ours."),
    Status.AWAITING_REPLY: _("Support has answered or asked something and is waiting for you. The next step is yours."),
    Status.ON_HOLD: _(
        "Progress depends on an internal team or process, such as engineering. Support is still working on it."
    ),
    Status.SOLVED: _("Nothing more is needed. If it comes back, reply and the request reopens."),
}


class Priority(models.TextChoices):
    S1 = "S1", _("S1 – Urgent")
    S2 = "S2", _("S2 – High")
    S3 = "S3", _("S3 – Tolerable")
    S4 = "S4", _("S4 – Question")


PRIORITY_MEANINGS = {
    Priority.S1: _("The application's function is lost entirely; critical business impact."),
    Priority.S2: _("Services work but are degraded; significant business impact."),
    Priority.S3: _("Services usable; affected functions are not critical; most operations unaffected."),
    Priority.S4: _("General questions, documentation requests, other non-critical issues; operations unaffected."),
}


class PriorityPolicy(models.Model):
    """Service targets for one priority. Site admins edit these in the admin; nothing is read from settings."""

    priority = models.CharField(_("priority"), max_length=2, choices=Priority.choices, unique=True)
    first_response = models.DurationField(
        _("first response"), help_text=_("Support answers a new request within this time.")
    )
    reminder_every = models.DurationField(
        _("reminder every"),
        help_text=_("While a request is Awaiting your reply, the requester is reminded this often."),
    )
    reminders = models.PositiveSmallIntegerField(
        _("reminders"), help_text=_("How many reminders are sent before auto-solve.")
    )
    auto_solve_after = models.DurationField(
        _("auto solve after"),
        help_text=_("A request still Awaiting your reply this long after the last reminder is solved."),
    )

    class Meta:
        ordering = ["priority"]
        verbose_name = _("priority policy")
        verbose_name_plural = _("priority policies")

    def __str__(self) -> str:
        return str(Priority(self.priority).label)


class OutboundEmail(models.Model):
    """The outbox: one notification to one person, written in the same transaction as the change that causes
    it, and delivered after commit by a task (or, if that task never ran, by the periodic delivery sweep).

    The row holds the intent (which request, which person, what happened); the message is rendered when it is
    delivered, so a template error never undoes the change that caused it and is simply retried later.
    """

    class Kind(models.TextChoices):
        REPLY = "reply", _("Agent reply")
        AWAITING = "awaiting", _("Awaiting your reply")
        SOLVED = "solved", _("Solved")
        REMINDER = "reminder", _("Reminder")
        AUTO_SOLVED = "auto_solved", _("Solved automatically")

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="outbound_emails", verbose_name=_("ticket")
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("recipient")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    reply = models.ForeignKey(
        "tickets.Reply", on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("reply")
    )
    message_id = models.CharField(_("message id"), max_length=200, unique=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    given_up_at = models.DateTimeField(_("given up at"), null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("outbound email")
        verbose_name_plural = _("outbound emails")
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="outbox_due",
                condition=models.Q(sent_at__isnull=True, given_up_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return _("%(kind)s for #%(ticket)s to %(recipient)s") % {
            "kind": self.get_kind_display(),
            "ticket": self.ticket_id,
            "recipient": self.recipient_id,
        }


class InboundEmail(models.Model):
    """Every message that reached email-in, once (by Message-ID), with what became of it. The unique
    Message-ID is what stores a message delivered twice only once; the log is what a refused one leaves."""

    class Outcome(models.TextChoices):
        POSTED = "posted", _("Posted as a reply")
        OPENED = "opened", _("Opened a new request")
        REFUSED = "refused", _("Refused")
        AUTOMATIC = "automatic", _("Ignored: automatic message")
        EMPTY = "empty", _("Ignored: nothing to post")

    message_id = models.CharField(_("message id"), max_length=255, unique=True)
    sender = models.CharField(_("sender"), max_length=254, blank=True)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices)
    reason = models.TextField(_("reason"), blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("ticket")
    )
    reply = models.ForeignKey(
        "tickets.Reply", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("reply")
    )

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("inbound email")
        verbose_name_plural = _("inbound emails")

    def __str__(self) -> str:
        return _("%(message_id)s from %(sender)s: %(outcome)s") % {
            "message_id": self.message_id,
            "sender": self.sender,
            "outcome": self.get_outcome_display(),
        }
