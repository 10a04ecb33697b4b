"""The agents' forms. Each carries the request's version, so a change made meanwhile is never overwritten."""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from portal.widgets import PlainSelect
from tickets.access import parse_id
from tickets.forms import PriorityRadioSelect, ReplyForm
from workflow.models import Priority, Status


class VersionedForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class StatusForm(VersionedForm):
    status = forms.ChoiceField(label=_("Status"), choices=Status.choices, widget=PlainSelect)
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when solving; kept in the request's history."),
    )


class PriorityForm(VersionedForm):
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices, widget=PriorityRadioSelect)
    reason = forms.CharField(
        label=_("Reason for the change"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class SubjectForm(VersionedForm):
    subject = forms.CharField(label=_("Subject"), max_length=150)


class AssignForm(VersionedForm):
    assignee = forms.ModelChoiceField(
        label=_("Assignee"),
        queryset=User.objects.filter(is_staff=True, is_active=True).order_by("full_name", "email"),
        required=False,
        empty_label=_("Nobody"),
        widget=PlainSelect,  # one option per agent: Django's widget renders a template for each
    )


class MergeForm(forms.Form):
    sources = forms.CharField(
        label=_("Requests to merge into this one"),
        max_length=500,
        help_text=_("Their ids, separated by commas or spaces, e.g. #12, #15."),
    )
    add_requesters_as_ccs = forms.BooleanField(label=_("Copy their requesters on this request"), required=False)

    def clean_sources(self) -> list[int]:
        raw = self.cleaned_data["sources"]
        tokens = [token for token in re.split(r"[\s,;]+", raw.replace("#", " ")) if token]
        ids = [parse_id(token) for token in tokens]
        if not ids or None in ids:
            raise ValidationError(_("Give request ids as numbers, e.g. 12, 15."))
        if len(set(ids)) > 20:
            raise ValidationError(_("Merge at most 20 requests at once."))
        return sorted(set(ids))


class AgentReplyForm(ReplyForm):
    """The agents' reply box: a public reply or an internal note."""

    PUBLIC = "public"
    INTERNAL = "internal"

    visibility = forms.ChoiceField(
        label=_("Send as"),
        choices=[(PUBLIC, _("Public reply")), (INTERNAL, _("Internal note (agents only)"))],
        initial=PUBLIC,
        required=False,  # left out, a message is a public reply
        widget=forms.RadioSelect,
    )
