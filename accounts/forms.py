from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from accounts.models import User, timezone_names


class AskForAccessForm(forms.Form):
    """An administrator names the technical contact who approves; a technical contact's form has no field."""

    approver = forms.ModelChoiceField(
        label=_("Technical contact who approves"), queryset=User.objects.none(), required=False
    )

    def __init__(self, *args, person: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if person.is_technical_contact:
            del self.fields["approver"]
        else:
            field = self.fields["approver"]
            field.required = True
            field.queryset = (
                User.objects.filter(
                    organisation_id=person.organisation_id, is_technical_contact=True, is_active=True, is_staff=False
                )
                .exclude(pk=person.pk)
                .order_by("full_name", "email")
            )


class PreferencesForm(forms.ModelForm):
    """A person's own language and time zone: pages and emails follow them."""

    time_zone = forms.ChoiceField(label=_("Time zone"), help_text=_("Dates and times are shown in this time zone."))

    class Meta:
        model = User
        fields = ["language", "time_zone"]
        labels = {"language": _("Language")}
        help_texts = {"language": _("Pages and the emails we send you.")}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = settings.LANGUAGES
        self.fields["language"].required = True
        self.fields["time_zone"].choices = time_zone_choices()


def time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in timezone_names()]


class LanguageForm(forms.Form):
    """The header's language switch."""

    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    next = forms.CharField(required=False)
