"""The My requests filters: search, status, priority, scope and sort, all read from the URL.

Only the choices declared here are accepted; an unknown value is a form error, never an ORM lookup.
"""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import holds_organisation_access
from portal.widgets import PlainSelect
from tickets.models import Ticket
from tickets.search import search
from workflow.models import Priority, Status

SCOPE_MINE = "mine"
SCOPE_CC = "cc"
SCOPE_ORGANISATION = "organisation"

# Each sort ends on the id so that pages never overlap or skip rows that share a timestamp.
SORTS = {
    "-activity": ("-last_activity_at", "-pk"),
    "activity": ("last_activity_at", "pk"),
    "-created": ("-created_at", "-pk"),
    "created": ("created_at", "pk"),
}
DEFAULT_SORT = "-activity"
SORT_CHOICES = [
    ("-activity", _("Last activity, newest first")),
    ("activity", _("Last activity, oldest first")),
    ("-created", _("Created, newest first")),
    ("created", _("Created, oldest first")),
]


class SortedFilterSet(django_filters.FilterSet):
    """A filterset whose `sort` value picks one of `SORTS`; without one it sorts by `DEFAULT_SORT`."""

    SORTS: dict[str, tuple] = {}
    DEFAULT_SORT = ""

    def filter_sort(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset  # applied last, in filter_queryset, so that a missing value still sorts

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        queryset = super().filter_queryset(queryset)
        return queryset.order_by(*self.SORTS[self.form.cleaned_data.get("sort") or self.DEFAULT_SORT])


class RequestFilter(SortedFilterSet):
    SORTS = SORTS
    DEFAULT_SORT = DEFAULT_SORT

    q = django_filters.CharFilter(label=_("Search"), method="filter_search", max_length=200)
    status = django_filters.ChoiceFilter(
        widget=PlainSelect, label=_("Status"), choices=Status.choices, empty_label=_("Any status")
    )
    priority = django_filters.ChoiceFilter(
        widget=PlainSelect, label=_("Priority"), choices=Priority.choices, empty_label=_("Any priority")
    )
    scope = django_filters.ChoiceFilter(
        widget=PlainSelect, label=_("Show"), method="filter_scope", empty_label=_("All I can see")
    )
    sort = django_filters.ChoiceFilter(
        widget=PlainSelect,
        label=_("Sort by"),
        choices=SORT_CHOICES,
        method="filter_sort",
        empty_label=None,
        null_label=None,
    )

    class Meta:
        model = Ticket
        fields: list[str] = []

    def __init__(self, data=None, *args, user, organisation_access: bool | None = None, **kwargs) -> None:
        super().__init__(data, *args, **kwargs)
        self.user = user
        if organisation_access is None:
            organisation_access = holds_organisation_access(user)
        self.has_organisation_access = organisation_access
        scopes = [(SCOPE_MINE, _("My requests")), (SCOPE_CC, _("Requests I'm CC'd on"))]
        if self.has_organisation_access:
            scopes.append((SCOPE_ORGANISATION, _("Organisation requests")))
        self.filters["scope"].extra["choices"] = scopes

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return search(queryset, value, include_internal=self.user.is_staff)

    def filter_scope(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value == SCOPE_MINE:
            return queryset.filter(requester_id=self.user.pk)
        if value == SCOPE_CC:
            return queryset.filter(ccs=self.user)
        if value == SCOPE_ORGANISATION:
            return queryset.filter(organisation_id=self.user.organisation_id)
        return queryset
