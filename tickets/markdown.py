"""Markdown to safe HTML: CommonMark without raw HTML, then an allow-list sanitiser as a second wall."""

from __future__ import annotations

from functools import lru_cache

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

# "js-default" is CommonMark with raw HTML switched off and markdown-it's own link validation.
_markdown = MarkdownIt("js-default")

_TAGS = {
    "p", "br", "hr", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li", "a",
    "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td", "del",
}  # fmt: skip
_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"align"}, "td": {"align"}}

# Rendering is about 0.1 ms a reply, a tenth of a request page; the same replies are shown again and again. The
# output depends on the text alone, so each process keeps the latest texts' HTML: nothing to invalidate. Only
# texts up to MEMO_CHARS are kept, so the memo stays within a few megabytes whatever people write.
MEMO_ENTRIES = 1024
MEMO_CHARS = 4000


def render_markdown(text: str) -> SafeString:
    text = text or ""
    if len(text) <= MEMO_CHARS:
        return _render_memoised(text)
    return _render(text)


def _render(text: str) -> SafeString:
    html = _markdown.render(text)
    clean = nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return mark_safe(clean)  # noqa: S308 - sanitised by nh3 just above


_render_memoised = lru_cache(maxsize=MEMO_ENTRIES)(_render)
