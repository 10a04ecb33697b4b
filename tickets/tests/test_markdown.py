"""Markdown in replies: `tickets.markdown.render_markdown` and the `markdown` template filter."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.template import Context, Template
from django.urls import reverse

from portal.tests.factories import ReplyFactory
from tickets.markdown import render_markdown

XSS_PAYLOADS = {
    "script_tag": "<script>alert(1)</script>",
    "img_onerror": "<img src=x onerror=alert(1)>",
    "markdown_link_to_javascript": "[click](javascript:alert(1))",
    "markdown_link_to_upper_case_javascript": "[x](JAVASCRIPT:alert(1))",
    "markdown_link_to_javascript_after_spaces": "[x](  javascript:alert(1))",
    "html_anchor_to_javascript": '<a href="javascript:alert(1)">x</a>',
    "svg_onload": "<svg onload=alert(1)>",
    "iframe": '<iframe src="https://evil.example">',
    "markdown_link_to_data_url": "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "style_with_javascript_url": '<div style="background:url(javascript:alert(1))">',
    "autolink_to_javascript": "<javascript:alert(1)>",
    "markdown_image": "![x](https://tracker.example/p.png)",
}

FORBIDDEN_TAGS = {"script", "iframe", "svg", "img", "object", "embed", "style"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href"}


class _Elements(HTMLParser):
    """Every start tag in a fragment, with its attributes, as a browser's tokenizer would see them."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {name: value or "" for name, value in attrs}))

    handle_startendtag = handle_starttag


def _render_with_filter(text: str) -> str:
    return Template("{% load portal %}{{ body|markdown }}").render(Context({"body": text}))


@pytest.fixture(params=[render_markdown, _render_with_filter], ids=["render_markdown", "template_filter"])
def render(request):
    return request.param


def _assert_harmless(html: str) -> None:
    assert "<script" not in html.lower()
    elements = _Elements(html).tags
    tag_names = {tag for tag, _ in elements}
    assert not tag_names & FORBIDDEN_TAGS, html
    for tag, attrs in elements:
        for name, value in attrs.items():
            assert not re.fullmatch(r"on\w+", name), f"<{tag} {name}=...> in {html!r}"
            assert name != "style", f"<{tag} style=...> in {html!r}"
            if name in URL_ATTRIBUTES:
                # Browsers drop ASCII whitespace and control characters inside a scheme, so compare without them.
                squeezed = re.sub(r"[\x00-\x20]", "", value).lower()
                assert not squeezed.startswith(("javascript:", "data:", "vbscript:")), f"{name}={value!r} in {html!r}"
    assert not re.search(r"<\s*(iframe|svg|img)\b", html, re.IGNORECASE), html


@pytest.mark.parametrize("payload", XSS_PAYLOADS.values(), ids=XSS_PAYLOADS.keys())
def test_it_neutralises_xss_payload(render, payload):
    _assert_harmless(render(payload))


def test_it_drops_markdown_images(render):
    html = render("![x](https://tracker.example/p.png)")

    assert "tracker.example" not in html


def test_it_shows_raw_html_as_text(render):
    html = render("<b>hi</b>")

    assert "&lt;b&gt;hi&lt;/b&gt;" in html
    assert "b" not in {tag for tag, _ in _Elements(html).tags}


def test_it_renders_bold_as_strong(render):
    assert render("**bold**") == "<p><strong>bold</strong></p>\n"


def test_it_renders_a_list(render):
    html = render("- one\n- two")

    assert html == "<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n"


def test_it_renders_inline_code(render):
    assert render("run `make test` first") == "<p>run <code>make test</code> first</p>\n"


def test_it_keeps_https_link_and_marks_it_noopener_nofollow(render):
    html = render("[the docs](https://docs.example/setup?step=2)")

    [(tag, attrs)] = _Elements(html).tags[1:]  # after the <p>
    assert tag == "a"
    assert attrs["href"] == "https://docs.example/setup?step=2"
    assert {"noopener", "nofollow"} <= set(attrs["rel"].split())


def test_it_renders_nothing_for_an_empty_body(render):
    assert render("") == ""


def test_it_shows_a_script_reply_as_text_on_the_request_page(cast, client_for):
    ReplyFactory(ticket=cast.ticket, author=cast.requester, body='<script>alert("x")</script>')

    response = client_for(cast.requester).get(reverse("tickets:detail", args=[cast.ticket.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert "<script>alert" not in html
    assert '&lt;script&gt;alert("x")&lt;/script&gt;' in html


def test_memoised_and_long_texts_render_alike():
    from tickets.markdown import MEMO_CHARS, _render

    short = "Some **bold** text and a [link](https://example.com)."
    assert render_markdown(short) == _render(short) == render_markdown(short)
    long = ("A paragraph with *emphasis*.\n\n" * (MEMO_CHARS // 20))[: MEMO_CHARS + 50]
    assert len(long) > MEMO_CHARS
    assert render_markdown(long) == _render(long)


def test_a_changed_reply_shows_its_new_text(cast, client_for):
    reply = ReplyFactory(ticket=cast.ticket, body="First **version**")
    client = client_for(cast.requester)
    url = reverse("tickets:detail", args=[cast.ticket.pk])
    assert "First <strong>version</strong>" in client.get(url).content.decode()
    reply.body = "Second *version*"
    reply.save(update_fields=["body"])
    html = client.get(url).content.decode()
    assert "Second <em>version</em>" in html
    assert "First" not in html
