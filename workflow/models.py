"""The workflow's vocabulary. Status and priority live here; tickets store them, only actions change them."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    OPEN = "open", _("Open")
    AWAITING_REPLY = "awaiting_reply", _("Awaiting your reply")
    ON_HOLD = "on_hold", _("On hold")
    SOLVED = "solved", _("Solved")


STATUS_EXPLANATIONS = {
    Status.OPEN: _("Support is working on it."),
    Status.AWAITING_REPLY: _("Support has answered or asked something and is waiting for you."),
    Status.ON_HOLD: _("Progress depends on an internal team or process; support is still working on it."),
    Status.SOLVED: _("Nothing more is needed. Replying reopens it."),
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
