"""PlainSelect writes the markup Django's Select writes, without a template per option."""

from __future__ import annotations

import re

import pytest
from django import forms

from accounts.models import Organisation
from portal.widgets import PlainSelect


def normalised(html: str) -> str:
    return re.sub(r">\s+<", "><", str(html).strip())


def both(field_factory, data: dict | None = None) -> tuple[str, str]:
    class Django(forms.Form):
        choice = field_factory(forms.Select)

    class Plain(forms.Form):
        choice = field_factory(PlainSelect)

    return normalised(Django(data)["choice"]), normalised(Plain(data)["choice"])


@pytest.mark.parametrize("data", [None, {"choice": "b"}, {"choice": ""}, {"choice": "not a choice"}])
def test_the_markup_is_django_s_for_plain_choices(data):
    choices = [("", "Any"), ("a", "Apples & <pears>"), ("b", 'Say "b"')]
    django, plain = both(lambda widget: forms.ChoiceField(choices=choices, required=False, widget=widget), data)
    assert plain == django


def test_the_markup_is_django_s_for_groups_and_a_required_field():
    choices = [("Fruit", [("a", "Apple"), ("p", "Pear")]), ("x", "Other")]
    django, plain = both(lambda widget: forms.ChoiceField(choices=choices, widget=widget), {"choice": "p"})
    assert plain == django
    assert '<optgroup label="Fruit">' in plain and '<option value="p" selected>Pear</option>' in plain


def test_the_markup_is_django_s_for_model_choices(db):
    first = Organisation.objects.create(name="Northwind & Sons")
    Organisation.objects.create(name="Globex")

    def field(widget):
        return forms.ModelChoiceField(
            queryset=Organisation.objects.order_by("name"), required=False, empty_label="Any", widget=widget
        )

    django, plain = both(field, {"choice": str(first.pk)})
    assert plain == django
    assert f'<option value="{first.pk}" selected>Northwind &amp; Sons</option>' in plain
