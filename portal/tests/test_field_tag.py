"""`{% field %}` writes a form field as templates/includes/_field.html does, byte for byte: every field of every form
of the portal, unbound, bound with awkward values, with errors, and with choices made, in English and Japanese."""

from __future__ import annotations

import uuid

import pytest
from django import forms
from django.conf import settings
from django.forms.renderers import TemplatesSetting
from django.template import engines
from django.utils import translation
from django.utils.safestring import mark_safe

from portal.forms_renderer import PortalFormRenderer
from portal.tests.every_form import AWKWARD, CASES, awkward_person, case_data, every_form

TAG = engines["django"].from_string("{% load fields %}{% field f %}")
INCLUDE = engines["django"].from_string('{% include "includes/_field.html" with field=f %}')


@pytest.mark.parametrize("language", ["en", "ja"])
@pytest.mark.parametrize("case", CASES)
def test_it_writes_every_field_as_the_template_does(cast, language, case, monkeypatch):
    monkeypatch.setattr(uuid, "uuid4", lambda: uuid.UUID(int=7))  # the forms' tokens, the same in both runs
    data = case_data(case, cast, awkward_person(cast))
    with translation.override(language):
        ours = [TAG.render({"f": field}) for form in every_form(cast, PortalFormRenderer(), data) for field in form]
        djangos = [
            INCLUDE.render({"f": field}) for form in every_form(cast, TemplatesSetting(), data) for field in form
        ]

    assert len(ours) == len(djangos)
    for mine, theirs in zip(ours, djangos, strict=True):
        assert mine == theirs


def test_the_cases_reach_every_branch_of_the_template(cast):
    written = []
    awkward = awkward_person(cast)
    for case in CASES:
        written += [
            TAG.render({"f": field})
            for form in every_form(cast, PortalFormRenderer(), case_data(case, cast, awkward))
            for field in form
        ]

    assert any("<fieldset aria-describedby=" in text for text in written)  # a group of inputs with help
    assert any("<fieldset>" in text and "errorlist" in text for text in written)  # and with errors
    assert any("<label" in text and "field-invalid" in text and "_helptext" in text for text in written)


def test_no_page_includes_the_template_any_more():
    pages = [path for path in (settings.BASE_DIR / "templates").rglob("*.html") if path.name != "_field.html"]

    assert not [path for path in pages if "includes/_field.html" in path.read_text()]


class Awkward(forms.Form):
    """Labels and help no form of the portal has yet."""

    choice = forms.ChoiceField(label=AWKWARD, help_text=AWKWARD, choices=[("a", "A")], widget=forms.RadioSelect)
    text = forms.CharField(label=AWKWARD, help_text=mark_safe("<em>safe</em> help"))


@pytest.mark.parametrize("auto_id", ["id_%s", False])
@pytest.mark.parametrize("data", [None, {}])
def test_it_escapes_as_the_template_does(auto_id, data):
    ours = [TAG.render({"f": field}) for field in Awkward(data, auto_id=auto_id)]
    djangos = [INCLUDE.render({"f": field}) for field in Awkward(data, auto_id=auto_id, renderer=TemplatesSetting())]

    assert ours == djangos
