"""The form renderer writes the label and the common widgets in Python: every form of the portal (and allauth's, and
the list filters') must come out byte for byte as Django's own templates write it, unbound, bound with awkward
values, with errors, and with choices made."""

from __future__ import annotations

import uuid

import pytest
from django import forms
from django.forms.renderers import BaseRenderer, TemplatesSetting
from django.utils import translation

from portal.forms_renderer import WRITTEN_IN_PYTHON, PortalFormRenderer
from portal.tests.every_form import CASES, awkward_person, case_data, every_form
from tickets.forms import ReplyForm
from workflow.forms import AgentReplyForm


def _written(form) -> list[str]:
    """The whole form as Django writes it, and each field's label, legend and widget on its own."""
    written = [str(form)]
    for field in form:
        written += [field.label_tag(), field.legend_tag(), str(field), field.label_tag(label_suffix="")]
    return written


@pytest.mark.parametrize("language", ["en", "ja"])
@pytest.mark.parametrize("case", CASES)
def test_every_form_is_written_as_djangos_templates_write_it(cast, language, case, monkeypatch):
    monkeypatch.setattr(uuid, "uuid4", lambda: uuid.UUID(int=7))  # the forms' tokens, the same in both runs
    data = case_data(case, cast, awkward_person(cast))
    with translation.override(language):
        ours = [text for form in every_form(cast, PortalFormRenderer(), data) for text in _written(form)]
        djangos = [text for form in every_form(cast, TemplatesSetting(), data) for text in _written(form)]

    assert len(ours) == len(djangos)
    for mine, theirs in zip(ours, djangos, strict=True):
        assert mine == theirs


def _through_templates(monkeypatch) -> list[str]:
    """The names of the templates rendered from now on, by any renderer."""
    rendered = []

    def render(self, template_name, context, request=None):
        rendered.append(template_name)
        return djangos_render(self, template_name, context, request)

    djangos_render = BaseRenderer.render
    monkeypatch.setattr(BaseRenderer, "render", render)
    return rendered


def test_it_writes_every_one_of_them_the_portal_renders_itself(cast, monkeypatch):
    """Without this, a writer that always gave up (and let the template write) would pass the test above."""
    asked = []

    class Recording(PortalFormRenderer):
        def render(self, template_name, context, request=None):
            asked.append(template_name)
            return super().render(template_name, context, request)

    through_templates = _through_templates(monkeypatch)
    renderer = Recording()
    awkward = awkward_person(cast)
    for case in CASES:
        for form in every_form(cast, renderer, case_data(case, cast, awkward)):
            _written(form)

    assert set(renderer.in_python) == set(WRITTEN_IN_PYTHON)
    assert set(asked) >= {
        "django/forms/label.html",
        "django/forms/widgets/text.html",
        "django/forms/widgets/textarea.html",
        "django/forms/widgets/radio.html",
        "django/forms/widgets/checkbox.html",
        "django/forms/widgets/checkbox_select.html",
        "django/forms/widgets/select.html",
        "django/forms/widgets/clearable_file_input.html",
    }
    assert not set(through_templates) & set(WRITTEN_IN_PYTHON)
    assert "tickets/widgets/_priority_select.html" in through_templates  # the project's own, as before


def _override_widget(settings, directory, name: str, text: str) -> None:
    """The project overrides Django's widget template `name` with `text`."""
    widgets = directory / "django" / "forms" / "widgets"
    widgets.mkdir(parents=True)
    (widgets / name).write_text(text)
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [directory, *settings.TEMPLATES[0]["DIRS"]]}]


def test_a_project_template_that_overrides_one_of_them_wins(settings, tmp_path):
    _override_widget(settings, tmp_path, "text.html", '<input class="ours" name="{{ widget.name }}">')

    renderer = PortalFormRenderer()

    assert "django/forms/widgets/text.html" not in renderer.in_python
    assert "django/forms/widgets/textarea.html" in renderer.in_python
    assert str(ReplyForm(renderer=renderer)["submission"]).startswith("<input")  # hidden: still ours
    written = renderer.render("django/forms/widgets/text.html", {"widget": {"name": "q"}})
    assert written == '<input class="ours" name="q">'


def test_a_project_template_that_overrides_one_they_include_wins_too(settings, tmp_path):
    _override_widget(settings, tmp_path, "input_option.html", "{% include 'django/forms/widgets/input.html' %}")

    renderer = PortalFormRenderer()

    assert "django/forms/widgets/radio.html" not in renderer.in_python
    assert "django/forms/widgets/checkbox_select.html" not in renderer.in_python
    assert "django/forms/widgets/text.html" in renderer.in_python
    visibility = str(AgentReplyForm(renderer=renderer)["visibility"])
    assert "<label" not in visibility and 'value="internal"' in visibility


def test_the_portal_uses_it(settings):
    assert settings.FORM_RENDERER == "portal.forms_renderer.PortalFormRenderer"


class StoredFile:
    url = "/media/a&b.txt"

    def __str__(self) -> str:
        return "a&b.txt"


class Shapes(forms.Form):
    """What no form of the portal has yet: groups, a class, numbers, a file already saved."""

    grouped = forms.ChoiceField(choices=[(1, "One"), ("Group & co", [(2, "Two"), (3, "Three <at least>")])])
    radios = forms.ChoiceField(
        choices=[("x", "X"), ("Group", [("1", "one"), ("2", "two"), (None, "none")])],
        widget=forms.RadioSelect(attrs={"class": "inline"}),
    )
    boxes = forms.MultipleChoiceField(
        choices=[(1, "One"), (2, "Two & <three>")],
        widget=forms.CheckboxSelectMultiple(attrs={"class": "boxes", "data-x": 'a "b"'}),
        required=False,
    )
    many = forms.MultipleChoiceField(choices=[("a", "A"), ("b", "B")])
    document = forms.FileField(required=False, initial=StoredFile())
    upload = forms.FileField(widget=forms.ClearableFileInput(attrs={"accept": "image/*"}))


@pytest.mark.parametrize("data", [None, {}, {"grouped": "2", "radios": "2", "boxes": ["1", "2"], "many": ["b"]}])
@pytest.mark.parametrize("auto_id", ["id_%s", False])
def test_shapes_no_portal_form_has_yet_are_written_as_djangos_templates_write_them(data, auto_id, monkeypatch):
    through_templates = _through_templates(monkeypatch)
    ours = _written(Shapes(data, auto_id=auto_id, renderer=PortalFormRenderer()))
    fell_back = set(WRITTEN_IN_PYTHON) & set(through_templates)
    djangos = _written(Shapes(data, auto_id=auto_id, renderer=TemplatesSetting()))

    assert ours == djangos
    assert fell_back == {"django/forms/widgets/clearable_file_input.html"}  # only the file already saved
