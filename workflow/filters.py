"""The agents' queue filters. Every value is checked against a declared choice; nothing reaches the ORM raw."""

from __future__ import annotations

import django_filters
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation, User
from portal.widgets import PlainSelect
from tickets.filters import SortedFilterSet
from tickets.models import Ticket
from tickets.search import search
from workflow.models import Priority, Status

DUE_PENDING = "pending"
DUE_BREACHED = "breached"

SORTS = {
    "due": (F("first_response_due_at").asc(nulls_last=True), "-pk"),
    "-activity": ("-last_activity_at", "-pk"),
    "activity": ("last_activity_at", "pk"),
    "-created": ("-created_at", "-pk"),
    "created": ("created_at", "pk"),
}
DEFAULT_SORT = "due"


def _organisations() -> list[tuple[int, str]]:
    return list(Organisation.objects.order_by("name", "pk").values_list("pk", "name"))


class QueueFilter(SortedFilterSet):
    SORTS = SORTS
    DEFAULT_SORT = DEFAULT_SORT

    q = django_filters.CharFilter(label=_("Search"), method="filter_search", max_length=200)
    status = django_filters.ChoiceFilter(
        widget=PlainSelect, label=_("Status"), choices=Status.choices, empty_label=_("Any status")
    )
    priority = django_filters.ChoiceFilter(
        widget=PlainSelect, label=_("Priority"), choices=Priority.choices, empty_label=_("Any")
    )
    # Plain (id, name) pairs rather than model choices: one option per organisation, thousands of them.
    organisation = django_filters.ChoiceFilter(
        widget=PlainSelect, label=_("Organisation"), choices=_organisations, empty_label=_("Any organisation")
    )
    assignee = django_filters.ModelChoiceFilter(
        widget=PlainSelect,
        label=_("Assignee"),
        queryset=User.objects.filter(is_staff=True).order_by("full_name", "email"),
        empty_label=_("Anyone"),
        null_label=_("Nobody"),
    )
    due = django_filters.ChoiceFilter(
        widget=PlainSelect,
        label=_("First response"),
        method="filter_due",
        choices=[(DUE_PENDING, _("Not answered yet")), (DUE_BREACHED, _("Breached"))],
        empty_label=_("Any"),
    )
    sort = django_filters.ChoiceFilter(
        widget=PlainSelect,
        label=_("Sort by"),
        method="filter_sort",
        empty_label=None,
        null_label=None,
        choices=[
            ("due", _("First response due, soonest first")),
            ("-activity", _("Last activity, newest first")),
            ("activity", _("Last activity, oldest first")),
            ("-created", _("Created, newest first")),
            ("created", _("Created, oldest first")),
        ],
    )

    class Meta:
        model = Ticket
        fields: list[str] = []

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return search(queryset, value, include_internal=True)

    def filter_due(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        unanswered = Q(first_responded_at__isnull=True, first_response_due_at__isnull=False)
        if value == DUE_PENDING:
            return queryset.filter(unanswered).exclude(status=Status.SOLVED)
        late_answer = Q(first_responded_at__gt=F("first_response_due_at"))
        return queryset.filter((unanswered & Q(first_response_due_at__lt=timezone.now())) | late_answer)
