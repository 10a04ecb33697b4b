"""The form renderer: Django's `TemplatesSetting`, with its most used little templates written in Python.

A form field costs Django two or three template renders (the label, the widget and its attributes), about 0.1 ms
each: an agent's request page has eleven fields, My requests five. Here the label and the plain `<input>` and
`<textarea>` widgets are written in Python, byte for byte what Django's own templates write (tested against them,
portal/tests/test_forms_renderer.py); everything else, the project's own widget templates included, renders
through the templates as before. A project template that overrides one of these names wins: the renderer only
stands in for a template that is still Django's own.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import django.forms
from django.forms.renderers import TemplatesSetting
from django.template.loader import get_template
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString

DJANGO_FORM_TEMPLATES = Path(django.forms.__file__).parent / "templates"
# Django's widget templates that are nothing but `{% include "django/forms/widgets/input.html" %}`.
INPUTS = ("text", "email", "password", "hidden", "number", "url", "search", "tel", "date", "datetime", "time")


def _attributes(attrs: dict) -> str:
    """django/forms/attrs.html and widgets/attrs.html: ` name="value"`, ` name` when True, nothing when False."""
    written = []
    for name, value in attrs.items():
        if value is True:
            written.append(f" {conditional_escape(name)}")
        elif value is not False:
            written.append(f' {conditional_escape(name)}="{conditional_escape(value)}"')
    return "".join(written)


def _input(context: dict) -> str | None:
    widget = context["widget"]
    value = widget["value"]
    if value is not None and not isinstance(value, str):
        return None  # a number or a date: the template's own formatting decides
    shown = "" if value is None else f' value="{conditional_escape(value)}"'
    return (
        f'<input type="{conditional_escape(widget["type"])}" name="{conditional_escape(widget["name"])}"'
        f"{shown}{_attributes(widget['attrs'])}>"
    )


def _textarea(context: dict) -> str | None:
    widget = context["widget"]
    value = widget["value"]
    if value is not None and not isinstance(value, str):
        return None
    text = conditional_escape(value) if value else ""
    return f'<textarea name="{conditional_escape(widget["name"])}"{_attributes(widget["attrs"])}>\n{text}</textarea>'


def _label(context: dict) -> str | None:
    label = conditional_escape(context["label"])
    if not context.get("use_tag"):
        return label
    tag = conditional_escape(context["tag"])
    return f"<{tag}{_attributes(context['attrs'])}>{label}</{tag}>"


WRITTEN_IN_PYTHON: dict[str, Callable[[dict], str | None]] = {
    **{f"django/forms/widgets/{name}.html": _input for name in INPUTS},
    "django/forms/widgets/textarea.html": _textarea,
    "django/forms/label.html": _label,
}


class PortalFormRenderer(TemplatesSetting):
    def __init__(self) -> None:
        super().__init__()
        # Only where the template found is still Django's own: an override in the project's templates wins.
        self.in_python = {
            name: write
            for name, write in WRITTEN_IN_PYTHON.items()
            if Path(get_template(name).origin.name).is_relative_to(DJANGO_FORM_TEMPLATES)
        }

    def render(self, template_name: str, context: dict, request=None) -> str:
        write = self.in_python.get(template_name)
        if write is not None:
            written = write(context)
            if written is not None:
                return SafeString(written.strip())
        return super().render(template_name, context, request)
