"""Form widgets of our own."""

from __future__ import annotations

from django import forms
from django.forms.models import ModelChoiceIteratorValue
from django.utils.html import escape
from django.utils.safestring import SafeString


class PlainSelect(forms.Select):
    """A `<select>` written in Python: the same markup as Django's, without a template per option.

    Django renders each option through its own template, about 0.1 ms apiece; the agents' organisation filter
    has one option per organisation, 2,000 of them in the benchmark's data, and cost its page 300 ms. Used by the
    list filters; forms with a handful of options keep Django's widget.
    """

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        chosen = {self._text(item) for item in self.format_value(value)}
        final_attrs = {"name": name, **self.build_attrs(self.attrs, attrs)}
        parts = [f"<select{self._attributes(final_attrs)}>"]
        for option_value, label in self.choices:
            if isinstance(label, list | tuple):  # a group: (group label, [(value, label), …])
                parts.append(f'<optgroup label="{escape(option_value)}">')
                parts += [self._option(inner, inner_label, chosen) for inner, inner_label in label]
                parts.append("</optgroup>")
            else:
                parts.append(self._option(option_value, label, chosen))
        parts.append("</select>")
        return SafeString("\n".join(parts))

    def _option(self, value, label, chosen: set[str]) -> str:
        text = self._text(value)
        selected = " selected" if text in chosen else ""
        return f'<option value="{escape(text)}"{selected}>{escape(label)}</option>'

    @staticmethod
    def _attributes(attrs: dict) -> str:
        """In the given order, as Django's template writes them (flatatt would sort them)."""
        written = []
        for key, value in attrs.items():
            if value is True:
                written.append(f" {escape(key)}")
            elif value is not False and value is not None:
                written.append(f' {escape(key)}="{escape(value)}"')
        return "".join(written)

    @staticmethod
    def _text(value) -> str:
        if isinstance(value, ModelChoiceIteratorValue):
            value = value.value
        return "" if value is None else str(value)
