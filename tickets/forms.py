from __future__ import annotations

import re
import uuid

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.models import User
from tickets.access import parse_id
from workflow.models import PRIORITY_MEANINGS, Priority


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Zero or more files, each within the size limit and no more than the count limit."""

    widget = MultipleFileInput

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("required", False)
        # Lazy: the form class is built once, the text is read in each request's language.
        kwargs.setdefault(
            "help_text",
            lazy(
                lambda: (
                    _("Up to %(count)s files, %(size)s each at most.")
                    % {"count": settings.ATTACHMENT_MAX_COUNT, "size": filesizeformat(settings.ATTACHMENT_MAX_BYTES)}
                ),
                str,
            )(),
        )
        super().__init__(**kwargs)

    def clean(self, data, initial=None) -> list:
        files = [item for item in (data if isinstance(data, list | tuple) else [data]) if item]
        if len(files) > settings.ATTACHMENT_MAX_COUNT:
            raise ValidationError(
                ngettext(
                    "Attach at most %(count)d file.", "Attach at most %(count)d files.", settings.ATTACHMENT_MAX_COUNT
                )
                % {"count": settings.ATTACHMENT_MAX_COUNT}
            )
        cleaned = [super(AttachmentsField, self).clean(item, initial) for item in files]
        for item in cleaned:
            if item.size > settings.ATTACHMENT_MAX_BYTES:
                raise ValidationError(
                    _("%(name)s is %(size)s; each file may be at most %(limit)s.")
                    % {
                        "name": item.name,
                        "size": filesizeformat(item.size),
                        "limit": filesizeformat(settings.ATTACHMENT_MAX_BYTES),
                    }
                )
        return cleaned


class BodyField(forms.CharField):
    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 8}))
        kwargs.setdefault("max_length", 50_000)
        kwargs.setdefault("help_text", _("You can use Markdown: **bold**, _italic_, `code`, lists and links."))
        super().__init__(strip=True, **kwargs)


class ColleaguesField(forms.ModelMultipleChoiceField):
    """Checks each submitted id is a possible id before it reaches the database (which raises on huge ones)."""

    def _check_values(self, value):
        for item in value:
            if parse_id(item) is None:
                raise ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": item}
                )
        return super()._check_values(value)


class PriorityRadioSelect(forms.RadioSelect):
    template_name = "tickets/widgets/_priority_select.html"

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["meanings"] = {str(key): meaning for key, meaning in PRIORITY_MEANINGS.items()}
        return context


SUBMISSION_TOKEN = re.compile(r"[0-9a-f]{32}")


class SubmittedOnceForm(forms.Form):
    """A form whose every showing carries a token of its own, so that sending it twice (a double click, or sending
    it again after an error page while the first had in fact been saved) acts once: workflow.actions looks the
    token up before adding anything, and a unique index stands behind it."""

    submission = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["submission"].initial = uuid.uuid4().hex

    def clean_submission(self) -> str:
        # Only a token of ours counts; anything else is ignored rather than refused: it never blocks a message.
        token = self.cleaned_data["submission"]
        return token if SUBMISSION_TOKEN.fullmatch(token) else ""


class NewRequestForm(SubmittedOnceForm):
    subject = forms.CharField(label=_("Subject"), max_length=150, strip=True)
    body = BodyField(label=_("Description"))
    priority = forms.ChoiceField(
        label=_("Priority"), choices=Priority.choices, initial=Priority.S3, widget=PriorityRadioSelect
    )
    ccs = ColleaguesField(
        label=_("CC colleagues"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Colleagues from your organisation who should follow this request."),
    )
    attachments = AttachmentsField(label=_("Attachments"))

    def __init__(self, *args, requester: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Only colleagues of the same organisation can be chosen; anything else is "not a valid choice".
        self.fields["ccs"].queryset = (
            User.objects.filter(organisation_id=requester.organisation_id, is_active=True, is_staff=False)
            .exclude(pk=requester.pk)
            .order_by("full_name", "email")
        )


class ReplyForm(SubmittedOnceForm):
    body = BodyField(label=_("Your reply"))
    attachments = AttachmentsField(label=_("Attachments"))
