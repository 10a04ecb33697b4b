"""The form renderer writes the label and the plain inputs in Python: every form of the portal (and allauth's, and
the list filters') must come out byte for byte as Django's own templates write it, unbound, bound with awkward
values, and with errors."""

from __future__ import annotations

import uuid

import pytest
from allauth.account.forms import ChangePasswordForm, LoginForm, ResetPasswordForm, SignupForm
from django.forms.renderers import TemplatesSetting
from django.http import QueryDict
from django.test import RequestFactory
from django.utils import translation

from accounts.forms import AskForAccessForm, LanguageForm, PreferencesForm
from portal.forms_renderer import PortalFormRenderer
from tickets.filters import RequestFilter
from tickets.forms import NewRequestForm, ReplyForm
from tickets.models import Ticket
from workflow.filters import QueueFilter
from workflow.forms import AgentReplyForm, AssignForm, MergeForm, PriorityForm, StatusForm, SubjectForm

AWKWARD = "<b>\"Quotes\" & 'apostrophes'</b>\n\tand a tab"


def _forms(cast, renderer, data):
    """Every form of the portal, built with `renderer`; bound to `data` when it is not None."""
    request = RequestFactory().get("/")
    request.user = cast.requester
    bound = {} if data is None else {"data": data}
    filter_data = QueryDict(mutable=True) if data is None else data
    forms = [
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
    return forms + lists


def _written(form) -> list[str]:
    """The whole form as Django writes it, and each field's label, legend and widget on its own."""
    written = [str(form)]
    for field in form:
        written += [field.label_tag(), field.legend_tag(), str(field), field.label_tag(label_suffix="")]
    return written


@pytest.mark.parametrize("language", ["en", "ja"])
@pytest.mark.parametrize(
    "data",
    [
        None,
        {},
        {
            "subject": AWKWARD,
            "body": AWKWARD,
            "q": AWKWARD,
            "login": AWKWARD,
            "email": AWKWARD,
            "sources": AWKWARD,
            "reason": AWKWARD,
            "version": "7",
            "submission": AWKWARD,
            "full_name": AWKWARD,
        },
    ],
    ids=["unbound", "empty_with_errors", "awkward_values"],
)
def test_every_form_is_written_as_djangos_templates_write_it(cast, language, data, monkeypatch):
    monkeypatch.setattr(uuid, "uuid4", lambda: uuid.UUID(int=7))  # the forms' tokens, the same in both runs
    query = None
    if data is not None:
        query = QueryDict(mutable=True)
        query.update(data)
    with translation.override(language):
        ours = [text for form in _forms(cast, PortalFormRenderer(), query) for text in _written(form)]
        djangos = [text for form in _forms(cast, TemplatesSetting(), query) for text in _written(form)]

    assert len(ours) == len(djangos)
    for mine, theirs in zip(ours, djangos, strict=True):
        assert mine == theirs


def test_a_project_template_that_overrides_one_of_them_wins(settings, tmp_path):
    override = tmp_path / "django" / "forms" / "widgets"
    override.mkdir(parents=True)
    (override / "text.html").write_text('<input class="ours" name="{{ widget.name }}">')
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}]

    renderer = PortalFormRenderer()

    assert "django/forms/widgets/text.html" not in renderer.in_python
    assert "django/forms/widgets/textarea.html" in renderer.in_python
    assert str(ReplyForm(renderer=renderer)["submission"]).startswith("<input")  # hidden: still ours
    written = renderer.render("django/forms/widgets/text.html", {"widget": {"name": "q"}})
    assert written == '<input class="ours" name="q">'


def test_the_portal_uses_it(settings):
    assert settings.FORM_RENDERER == "portal.forms_renderer.PortalFormRenderer"
