"""The status machine: who may move a request from which status to which. One table, read top to bottom.

SPEC §7. Statuses say who owns the next step; the actor is who (or what) asks for the change.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from workflow.models import Status

OPEN, AWAITING, ON_HOLD, SOLVED = Status.OPEN, Status.AWAITING_REPLY, Status.ON_HOLD, Status.SOLVED


class Actor(models.TextChoices):
    AGENT = "agent", _("agent")
    REQUESTER = "requester", _("requester")  # the person who opened the request
    CUSTOMER = (
        "customer",
        _("customer"),
    )  # anyone else on the customer side who may see it: a CC, an organisation viewer
    MERGE = "merge", _("merge")  # the merge action, on the request being merged away
    AUTOMATION = "automation", _("automation")  # reminders and auto-solve


# (actor, from) -> the statuses that actor may move a request to from there.
ALLOWED: dict[tuple[Actor, Status], frozenset[Status]] = {
    # Agents move between any two statuses.
    (Actor.AGENT, OPEN): frozenset({AWAITING, ON_HOLD, SOLVED}),
    (Actor.AGENT, AWAITING): frozenset({OPEN, ON_HOLD, SOLVED}),
    (Actor.AGENT, ON_HOLD): frozenset({OPEN, AWAITING, SOLVED}),
    (Actor.AGENT, SOLVED): frozenset({OPEN, AWAITING, ON_HOLD}),
    # The requester's reply hands the next step to support (Open; on Solved, the reopen);
    # the requester may also mark their own request Solved.
    (Actor.REQUESTER, OPEN): frozenset({SOLVED}),
    (Actor.REQUESTER, AWAITING): frozenset({OPEN, SOLVED}),
    (Actor.REQUESTER, ON_HOLD): frozenset({OPEN, SOLVED}),
    (Actor.REQUESTER, SOLVED): frozenset({OPEN}),
    # Any other customer's public reply does the same hand-over, but only the requester marks it Solved.
    (Actor.CUSTOMER, OPEN): frozenset(),
    (Actor.CUSTOMER, AWAITING): frozenset({OPEN}),
    (Actor.CUSTOMER, ON_HOLD): frozenset({OPEN}),
    (Actor.CUSTOMER, SOLVED): frozenset({OPEN}),
    # A merged-away request is Solved.
    (Actor.MERGE, OPEN): frozenset({SOLVED}),
    (Actor.MERGE, AWAITING): frozenset({SOLVED}),
    (Actor.MERGE, ON_HOLD): frozenset({SOLVED}),
    (Actor.MERGE, SOLVED): frozenset(),
    # Automation only ever solves a request that waited on the customer for too long.
    (Actor.AUTOMATION, OPEN): frozenset(),
    (Actor.AUTOMATION, AWAITING): frozenset({SOLVED}),
    (Actor.AUTOMATION, ON_HOLD): frozenset(),
    (Actor.AUTOMATION, SOLVED): frozenset(),
}

# Moves that must say why.
REASON_REQUIRED: frozenset[tuple[Actor, Status]] = frozenset({(Actor.AGENT, SOLVED)})


def is_allowed(actor: Actor, source: Status, target: Status) -> bool:
    return target in ALLOWED[(actor, source)]


def needs_reason(actor: Actor, target: Status) -> bool:
    return (actor, target) in REASON_REQUIRED
