"""Reading Django admin pages in tests as a person sees them, and posting their forms as a browser would."""

from __future__ import annotations

import re
from html.parser import HTMLParser


class BrowserForm(HTMLParser):
    """What a browser submits for one <form>, unchanged: enabled inputs, checked boxes, selected options
    (the first option of a single select without a selection) and textareas."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.data: dict[str, list[str]] = {}
        self._select: tuple[str, bool, list[str]] | None = None
        self._textarea: str | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if "disabled" in attrs:
            return
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in {"submit", "button", "reset", "image", "file"}:
                return
            if kind in {"checkbox", "radio"}:
                if "checked" in attrs:
                    self.data.setdefault(name, []).append(attrs.get("value", "on"))
                return
            self.data.setdefault(name, []).append(attrs.get("value", ""))
        elif tag == "select" and name:
            self._select = (name, "multiple" in attrs, [])
            self.data.setdefault(name, [])
        elif tag == "option" and self._select is not None:
            name, _multiple, options = self._select
            options.append(attrs.get("value", ""))
            if "selected" in attrs:
                self.data[name].append(attrs.get("value", ""))
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = [""]

    def handle_endtag(self, tag):
        if tag == "select" and self._select is not None:
            name, multiple, options = self._select
            if not multiple and not self.data[name] and options:
                self.data[name] = [options[0]]
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            # Browsers drop the newline that follows <textarea>.
            self.data[self._textarea][-1] = self.data[self._textarea][-1].removeprefix("\n")
            self._textarea = None

    def handle_data(self, data):
        if self._textarea is not None:
            self.data[self._textarea][-1] += data


def form_data(response, form_id: str) -> dict[str, list[str]]:
    html = response.content.decode()
    start = html.index(f'id="{form_id}"')
    return BrowserForm(html[html.rindex("<form", 0, start) : html.index("</form>", start)]).data


def page_text(html: str) -> str:
    """A cell's text as read on screen; the admin's yes/no icons read as their alt text."""
    html = re.sub(r'<img [^>]*alt="([^"]*)"[^>]*>', r" \1 ", html)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def inline_rows(response, prefix: str) -> list[dict[str, str]]:
    html = response.content.decode()
    rows = re.findall(rf'<tr class="form-row[^"]*"\s+id="{prefix}-\d+">(.*?)</tr>', html, re.DOTALL)
    return [
        {name: page_text(cell) for name, cell in re.findall(r'<td class="field-(\w+)">(.*?)</td>', row, re.DOTALL)}
        for row in rows
    ]


def changelist_rows(response) -> list[dict[str, str]]:
    html = response.content.decode()
    body = html[html.index('<table id="result_list">') :]
    body = body[body.index("<tbody>") : body.index("</tbody>")]
    return [
        {
            name: page_text(cell)
            for name, cell in re.findall(r'<t[hd] class="field-(\w+)[^"]*">(.*?)</t[hd]>', row, re.DOTALL)
        }
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.DOTALL)
    ]


def flash_messages(response) -> list[tuple[str, str]]:
    return [(message.level_tag, str(message)) for message in response.context["messages"]]
