"""`{% field form.body %}`: one form field with its label, help and errors, as templates/includes/_field.html
writes it, in Python.

Including that template cost a template render per field, eleven on an agent's request page. The template stays
as the reference: portal/tests/test_field_tag.py checks the tag writes what it writes, whitespace included.
"""

from __future__ import annotations

from django import template
from django.forms import BoundField
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString

register = template.Library()


@register.simple_tag
def field(bound_field: BoundField) -> SafeString:
    errors = bound_field.errors
    shown_errors = conditional_escape(errors) if errors else ""
    help_text = bound_field.help_text
    # The help is tied to the input (BoundField's aria-describedby) or, for a group of inputs, to the fieldset.
    help_id = f"{conditional_escape(bound_field.auto_id)}_helptext"
    if bound_field.use_fieldset:
        described = f' aria-describedby="{help_id}"' if help_text else ""
        inner = (
            f"\n    <fieldset{described}>\n      <legend>{conditional_escape(bound_field.label)}</legend>"
            f"\n      {shown_errors}\n      {bound_field}\n    </fieldset>\n  "
        )
    else:
        inner = f"\n    {bound_field.label_tag()}\n    {shown_errors}\n    {bound_field}\n  "
    shown_help = f'<p class="help" id="{help_id}">{conditional_escape(help_text)}</p>' if help_text else ""
    invalid = " field-invalid" if errors else ""
    # The template's whitespace, to the byte: its first line, a comment, leaves the newline before the <div>.
    return SafeString(f'\n<div class="field{invalid}">\n  {inner}\n  {shown_help}\n</div>\n')
