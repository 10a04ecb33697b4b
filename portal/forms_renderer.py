"""The form renderer: Django's `TemplatesSetting`, with its most used little templates written in Python.

A form field costs Django two or three template renders (the label, the widget and its attributes), about 0.1 ms
each, and a radio button, checkbox or select option three more apiece: an agent's request page has eleven fields,
My requests five. Here the label, the plain `<input>`s, `<textarea>`, Django's `<select>`, the radio buttons and
checkboxes and the file input are written in Python, byte for byte what Django's own templates write (tested against
them, portal/tests/test_forms_renderer.py); everything else, the project's own widget templates included, renders
through the templates as before. A project template that overrides one of these names, or a template one of them
includes, wins: the renderer only stands in for a template that is still Django's own.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import django.forms
from django.forms.models import ModelChoiceIteratorValue
from django.forms.renderers import TemplatesSetting
from django.template.loader import get_template
from django.utils.functional import Promise
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeString

DJANGO_FORM_TEMPLATES = Path(django.forms.__file__).parent / "templates"
# Django's widget templates that are nothing but `{% include "django/forms/widgets/input.html" %}`.
INPUTS = (
    "text",
    "email",
    "password",
    "hidden",
    "number",
    "url",
    "search",
    "tel",
    "date",
    "datetime",
    "time",
    "checkbox",
    "file",
)
ATTRS = "django/forms/widgets/attrs.html"
INPUT = ("django/forms/widgets/input.html", ATTRS)
OPTIONS = ("django/forms/widgets/radio_option.html", "django/forms/widgets/checkbox_option.html")
SELECT_OPTION = "django/forms/widgets/select_option.html"


def _attributes(attrs: dict) -> str:
    """django/forms/attrs.html and widgets/attrs.html: ` name="value"`, ` name` when True, nothing when False."""
    written = []
    for name, value in attrs.items():
        if value is True:
            written.append(f" {conditional_escape(name)}")
        elif value is not False:
            written.append(f' {conditional_escape(name)}="{conditional_escape(value)}"')
    return "".join(written)


def _formatted(value) -> str | None:
    """`{{ value|stringformat:'s' }}` for a choice's value; None for a shape the template had better decide."""
    if isinstance(value, str):
        return conditional_escape(value)  # a safe string stays as it is: the filter keeps it safe
    if isinstance(value, int | Promise | ModelChoiceIteratorValue):
        return escape(str(value))
    return None


def _shown(value) -> str | None:
    """`{{ value }}` for a choice's label; None for one the template would localise (a number, a date)."""
    if isinstance(value, str | Promise):
        return conditional_escape(value)
    return None


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


def _option(option: dict) -> str | None:
    """radio_option.html or checkbox_option.html in the list: input_option.html's input inside its label."""
    value = option["value"]
    formatted = "" if value is None else _formatted(value)
    label = _shown(option["label"])
    if option["template_name"] not in OPTIONS or not option["wrap_label"] or formatted is None or label is None:
        return None
    shown = "" if value is None else f' value="{formatted}"'  # input.html: `{% if widget.value != None %}`
    tag = (
        f'<input type="{conditional_escape(option["type"])}" name="{conditional_escape(option["name"])}"'
        f"{shown}{_attributes(option['attrs'])}>"
    )
    id_ = option["attrs"].get("id")
    target = f' for="{conditional_escape(id_)}"' if id_ else ""
    # The newlines that end input.html, input_option.html and radio_option.html.
    return f"<label{target}>{tag}\n {label}</label>\n\n"


def _choices(context: dict) -> str | None:
    """multiple_input.html: the radio buttons (radio.html) or checkboxes (checkbox_select.html) of one field."""
    widget = context["widget"]
    id_ = widget["attrs"].get("id")
    class_ = widget["attrs"].get("class")
    written = [
        "<div",
        f' id="{conditional_escape(id_)}"' if id_ else "",
        f' class="{conditional_escape(class_)}"' if class_ else "",
        ">",
    ]
    choices = _grouped(
        widget,
        group=lambda label: f"\n  <div><label>{label}</label>",
        option=lambda option: None if (tag := _option(option)) is None else f"<div>\n    {tag}</div>",
        end_of_group="\n  </div>",
    )
    return None if choices is None else "".join([*written, *choices, "\n</div>"])


def _select(context: dict) -> str | None:
    """select.html, each option as select_option.html writes it."""
    widget = context["widget"]
    options = _grouped(
        widget,
        group=lambda label: f'\n  <optgroup label="{label}">',
        option=_select_option,
        end_of_group="\n  </optgroup>",
    )
    if options is None:
        return None
    opening = f'<select name="{conditional_escape(widget["name"])}"{_attributes(widget["attrs"])}>'
    return "".join([opening, *options, "\n</select>"])


def _select_option(option: dict) -> str | None:
    value, label = _formatted(option["value"]), _shown(option["label"])
    if option["template_name"] != SELECT_OPTION or value is None or label is None:
        return None
    return f'\n  <option value="{value}"{_attributes(option["attrs"])}>{label}</option>\n'


def _grouped(
    widget: dict, *, group: Callable[[str], str], option: Callable[[dict], str | None], end_of_group: str
) -> list[str] | None:
    """The widget's options, group by group as its template walks `optgroups`; None when one of them, or a group's
    label, is of a shape left to the templates."""
    written = []
    for name, options, _index in widget["optgroups"]:
        if name:
            if (label := _shown(name)) is None:
                return None
            written.append(group(label))
        for each in options:
            if (tag := option(each)) is None:
                return None
            written.append(tag)
        if name:
            written.append(end_of_group)
    return written


def _clearable_file_input(context: dict) -> str | None:
    widget = context["widget"]
    if widget["is_initial"]:
        return None  # a file already saved: "Currently: …" and the clear checkbox, as the template writes them
    return (
        f'<input type="{conditional_escape(widget["type"])}" name="{conditional_escape(widget["name"])}"'
        f"{_attributes(widget['attrs'])}>"
    )


CHOICES = ("django/forms/widgets/multiple_input.html", *OPTIONS, "django/forms/widgets/input_option.html", *INPUT)
# Each template written in Python, with the templates it includes: all of them must still be Django's own.
WRITTEN_IN_PYTHON: dict[str, tuple[Callable[[dict], str | None], tuple[str, ...]]] = {
    **{f"django/forms/widgets/{name}.html": (_input, INPUT) for name in INPUTS},
    "django/forms/widgets/textarea.html": (_textarea, (ATTRS,)),
    "django/forms/label.html": (_label, ("django/forms/attrs.html",)),
    "django/forms/widgets/radio.html": (_choices, CHOICES),
    "django/forms/widgets/checkbox_select.html": (_choices, CHOICES),
    "django/forms/widgets/select.html": (_select, (SELECT_OPTION, ATTRS)),
    "django/forms/widgets/clearable_file_input.html": (_clearable_file_input, (ATTRS,)),
}


def _djangos_own(template_name: str) -> bool:
    return Path(get_template(template_name).origin.name).is_relative_to(DJANGO_FORM_TEMPLATES)


class PortalFormRenderer(TemplatesSetting):
    def __init__(self) -> None:
        super().__init__()
        # Only where the templates found are still Django's own: an override in the project's templates wins.
        self.in_python = {
            name: write
            for name, (write, included) in WRITTEN_IN_PYTHON.items()
            if _djangos_own(name) and all(_djangos_own(other) for other in included)
        }

    def render(self, template_name: str, context: dict, request=None) -> str:
        write = self.in_python.get(template_name)
        if write is not None:
            written = write(context)
            if written is not None:
                return SafeString(written.strip())
        return super().render(template_name, context, request)
