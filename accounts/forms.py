from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User


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
