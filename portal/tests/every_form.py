"""Every form of the portal (and allauth's, and the list filters'), unbound and bound to data that reaches each of
their widgets, for the tests that compare what the portal writes with what Django's templates write."""

from __future__ import annotations

from allauth.account.forms import ChangePasswordForm, LoginForm, ResetPasswordForm, SignupForm
from django import forms
from django.http import QueryDict
from django.test import RequestFactory

from accounts.forms import AskForAccessForm, LanguageForm, PreferencesForm
from accounts.models import User
from portal.tests.factories import UserFactory
from tickets.filters import RequestFilter
from tickets.forms import NewRequestForm, ReplyForm
from tickets.models import Ticket
from workflow.filters import QueueFilter
from workflow.forms import AgentReplyForm, AssignForm, MergeForm, PriorityForm, StatusForm, SubjectForm

AWKWARD = "<b>\"Quotes\" & 'apostrophes'</b>\n\tand a tab"
CASES = ["unbound", "empty_with_errors", "awkward_values", "choices_made"]


def awkward_person(cast) -> User:
    """A colleague of the requester's, and a technical contact, whose name shows as a checkbox's and an option's
    label."""
    return UserFactory(
        email="awkward@northwind.example", full_name=AWKWARD, organisation=cast.org, is_technical_contact=True
    )


def case_data(case: str, cast, awkward: User) -> QueryDict | None:
    """The data a form is bound to in each of CASES; None leaves it unbound."""
    if case == "unbound":
        return None
    values: dict[str, str | list[str]] = {}
    if case == "awkward_values":
        named = ["subject", "body", "q", "login", "email", "sources", "reason", "submission", "full_name"]
        choices = ["visibility", "priority", "language", "time_zone", "approver", "status", "scope", "sort"]
        values = {name: AWKWARD for name in named + choices + ["add_requesters_as_ccs", "remember"]}
        values |= {"version": "7", "ccs": [AWKWARD, "12"]}
    elif case == "choices_made":
        values = {
            "subject": "Printer offline",
            "visibility": "internal",
            "priority": "S2",
            "ccs": [str(cast.colleague.pk), str(awkward.pk), str(cast.bystander.pk)],
            "add_requesters_as_ccs": "on",
            "remember": "on",
            "approver": str(awkward.pk),
            "language": "ja",
            "time_zone": "Asia/Tokyo",
            "status": "on_hold",
            "assignee": str(cast.agent.pk),
            "scope": "cc",
            "sort": "created",
            "version": "3",
        }
    data = QueryDict(mutable=True)
    for name, value in values.items():
        data.setlist(name, value if isinstance(value, list) else [value])
    return data


def every_form(cast, renderer, data: QueryDict | None) -> list[forms.Form]:
    """Every form of the portal, built with `renderer`; bound to `data` when it is not None."""
    request = RequestFactory().get("/")
    request.user = cast.requester
    bound = {} if data is None else {"data": data}
    filter_data = QueryDict(mutable=True) if data is None else data
    built = [
        NewRequestForm(requester=cast.requester, renderer=renderer, **bound),
        ReplyForm(renderer=renderer, **bound),
        AgentReplyForm(renderer=renderer, **bound),
        StatusForm(renderer=renderer, auto_id="status_%s", **bound),
        PriorityForm(renderer=renderer, auto_id="priority_%s", **bound),
        SubjectForm(renderer=renderer, auto_id="subject_%s", **bound),
        AssignForm(renderer=renderer, auto_id="assign_%s", **bound),
        MergeForm(renderer=renderer, auto_id="merge_%s", **bound),
        AskForAccessForm(person=cast.requester, renderer=renderer, **bound),
        PreferencesForm(instance=cast.requester, renderer=renderer, **bound),
        LanguageForm(renderer=renderer, **bound),
        LoginForm(request=request, renderer=renderer, **bound),
        SignupForm(renderer=renderer, **bound),
        ResetPasswordForm(renderer=renderer, **bound),
        ChangePasswordForm(user=cast.requester, renderer=renderer, **bound),
    ]
    lists = [
        RequestFilter(filter_data, queryset=Ticket.objects.all(), user=cast.requester).form,
        QueueFilter(filter_data, queryset=Ticket.objects.all()).form,
    ]
    for form in lists:
        form.renderer = renderer
    return built + lists
