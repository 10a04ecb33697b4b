"""The workflow's vocabulary. Status and priority live here; tickets store them, only actions change them."""

from __future__ import annotations

from django.db import models
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

    priority = models.CharField(max_length=2, choices=Priority.choices, unique=True)
    first_response = models.DurationField(help_text=_("Support answers a new request within this time."))
    reminder_every = models.DurationField(
        help_text=_("While a request is Awaiting your reply, the requester is reminded this often.")
    )
    reminders = models.PositiveSmallIntegerField(help_text=_("How many reminders are sent before auto-solve."))
    auto_solve_after = models.DurationField(
        help_text=_("A request still Awaiting your reply this long after the last reminder is solved.")
    )

    class Meta:
        ordering = ["priority"]
        verbose_name = _("priority policy")
        verbose_name_plural = _("priority policies")

    def __str__(self) -> str:
        return str(Priority(self.priority).label)
