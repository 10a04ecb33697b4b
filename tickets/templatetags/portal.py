from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import lru_cache

from django import template
from django.template.defaultfilters import filesizeformat, linebreaksbr
from django.urls import reverse
from django.utils import dateformat, formats, timezone, translation
from django.utils.html import escape
from django.utils.safestring import SafeString
from django.utils.translation import gettext, ngettext

from tickets.dates import format_datetime
from tickets.markdown import render_markdown
from workflow.models import Status

register = template.Library()

# What get_status_display gives (it rebuilds this look-up on every call).
STATUS_LABELS = dict(Status.choices)


@register.filter
def days_ago(moment: datetime | None) -> str:
    """'today', '1 day ago', 'N days ago', counted in calendar days in the viewer's time zone, the number
    grouped as the language writes it (1,234 / 1.234)."""
    if moment is None:
        return ""
    return _days_ago(timezone.localtime(moment), timezone.localdate())


def _days_ago(local: datetime, today) -> str:
    return _days_ago_text((today - local.date()).days, translation.get_language())


@lru_cache(maxsize=4096)
def _days_ago_text(days: int, language: str | None) -> str:
    # Kept per language (the active one, passed for the memo's key): ngettext costs more than the rest of a row.
    if days <= 0:
        return gettext("today")
    # Below a thousand no language groups digits; the formatter is the costly part of a list row.
    count = str(days) if days < 1000 else formats.number_format(days, use_l10n=True, force_grouping=True)
    return ngettext("%(days)s day ago", "%(days)s days ago", days) % {"days": count}


@register.simple_tag
def days_ago_time(moment: datetime | None) -> SafeString:
    """`<time>` saying how many days ago, with the exact time on hover: what each row of a list shows twice, in
    one call, the time converted to the viewer's zone once."""
    if moment is None:
        return SafeString("")
    return SafeString(_days_ago_time(timezone.localtime(moment), timezone.localdate()))


def _days_ago_time(local: datetime, today) -> str:
    exact = escape(format_datetime(local))
    # isoformat() writes digits, '-', ':', '.', '+' and 'T' only: nothing to escape.
    return f'<time datetime="{local.isoformat()}" title="{exact}">{escape(_days_ago(local, today))}</time>'


@register.simple_tag
def exact_time(moment: datetime | None) -> SafeString:
    """`<time datetime="{{ moment|date:'c' }}">{{ moment|date:"DATETIME_FORMAT" }}</time>`, in one call."""
    if moment is None:
        return SafeString('<time datetime=""></time>')
    local = timezone.localtime(moment)
    return SafeString(f'<time datetime="{local.isoformat()}">{escape(format_datetime(local))}</time>')


@register.simple_tag
def request_rows(tickets: Iterable, **labels: str) -> SafeString:
    """The rows of a My requests table: subject (linked), id, created and last activity (days ago, the exact
    time on hover) and the status badge, each cell labelled for the narrow layout with `labels` (subject, id,
    created, last_activity, status).

    Written here rather than in the template: the template engine spent about 0.2 ms a row on these five cells,
    a third of the page. The markup is the one the template wrote (tickets/tests/test_request_rows.py)."""
    label = {key: escape(value) for key, value in labels.items()}
    head, tail = _url_parts("tickets:detail")
    today = timezone.localdate()
    zone = timezone.get_current_timezone()
    badges: dict[str, str] = {}
    rows = []
    for ticket in tickets:
        if ticket.status not in badges:
            status = escape(ticket.status)
            shown = escape(STATUS_LABELS.get(ticket.status, ticket.status))
            badges[ticket.status] = f'<span class="badge status-{status}">{shown}</span>'
        link = f'<a href="{head}{ticket.pk}{tail}">{escape(ticket.subject)}</a>'
        created = _days_ago_time(ticket.created_at.astimezone(zone), today)
        last_activity = _days_ago_time(ticket.last_activity_at.astimezone(zone), today)
        rows.append(
            "\n      <tr>\n"
            f'        <td data-label="{label["subject"]}">{link}</td>\n'
            f'        <td data-label="{label["id"]}">#{ticket.pk}</td>\n'
            f'        <td data-label="{label["created"]}">{created}</td>\n'
            f'        <td data-label="{label["last_activity"]}">{last_activity}</td>\n'
            f'        <td data-label="{label["status"]}">{badges[ticket.status]}</td>\n'
            "      </tr>\n      "
        )
    return SafeString("".join(rows))


_URL_ID = 987654321987654321  # an id no database will reach, to cut a URL around


def _url_parts(name: str) -> tuple[str, str]:
    """The URL named `name` before and after its id: `reverse` once per list instead of once per row."""
    url = reverse(name, args=[_URL_ID])
    head, _, tail = url.partition(str(_URL_ID))
    return escape(head), escape(tail)


@register.simple_tag
def thread_entries(thread: Iterable[tuple[str, object, datetime]]) -> SafeString:
    """The request page's conversation, oldest first: each entry of `thread` is ("reply", reply, when) or
    ("chat", chat, when). A reply shows its author (or Support, Automatic), its badges, its time, its Markdown and
    its files (`reply.files`); a chat its state, its time, a link while it is open, and its messages
    (`chat.lines`, each with its author).

    Written here rather than in the template: the template engine spent about 3 ms on the 20 replies a page
    shows. The markup is the one the template wrote (tickets/tests/test_thread_entries.py)."""
    written = [_chat_entry(item) if kind == "chat" else _reply_entry(item) for kind, item, _when in thread]
    if not written:
        empty = escape(gettext("No messages yet."))
        return SafeString(f'\n      <li class="empty-state">{empty}</li>\n      ')
    return SafeString("".join(f"\n      {entry}\n      " for entry in written))


def _person(person) -> str:
    return escape(person.get_full_name() or person.email)


def _chat_entry(chat) -> str:
    link = ""
    if chat.is_open:
        text = escape(gettext("Open the chat"))
        link = f'<a href="{escape(reverse("tickets:chat", args=[chat.pk]))}">{text}</a>'
    transcript, heading = escape(gettext("Chat transcript")), escape(gettext("Chat"))
    lines = "".join(
        f"\n            <li><strong>{_person(message.author)}</strong> "
        f"<time>{dateformat.time_format(timezone.localtime(message.created_at), 'H:i')}</time>: "
        f"{linebreaksbr(message.body, autoescape=True)}</li>\n            "
        for message in chat.lines
    )
    return (
        f'\n      <li id="chat-{chat.pk}" class="reply">\n'
        f'        <section class="chat-block" aria-label="{transcript}">\n'
        f"          <strong>{heading}</strong> · {escape(chat.get_state_display())} · "
        f"{exact_time(chat.started_at)}\n"
        f"          {link}\n"
        f"          <ol>\n            {lines}\n          </ol>\n"
        "        </section>\n"
        "      </li>\n      "
    )


def _reply_entry(reply) -> str:
    support = escape(gettext("Support"))
    if reply.author is None:
        automatic = escape(gettext("Automatic"))
        author = (
            f'\n            <strong>{support}</strong> <span class="badge role-agent">{automatic}</span>\n            '
        )
    else:
        badge = f'<span class="badge role-agent">{support}</span>' if reply.author.is_staff else ""
        author = f"\n            <strong>{_person(reply.author)}</strong>\n            {badge}\n            "
    note = ""
    if not reply.is_public:
        internal = escape(gettext("Internal note"))
        note = f'<span class="badge internal">{internal}</span>'
    files = ""
    if reply.files:
        head, tail = _url_parts("tickets:attachment")
        attachments_label = escape(gettext("Attachments"))
        items = "".join(f"\n            <li>{_file(file, head, tail)}</li>\n            " for file in reply.files)
        files = (
            f'\n          <ul class="attachments" aria-label="{attachments_label}">\n'
            f"            {items}\n          </ul>\n          "
        )
    return (
        f'\n      <li id="reply-{reply.pk}" class="reply{"" if reply.is_public else " internal-note"}">\n'
        "        <article>\n"
        "          <header>\n"
        f"            {author}\n"
        f"            {note}\n"
        f"            {exact_time(reply.created_at)}\n"
        "          </header>\n"
        f'          <div class="reply-body">{render_markdown(reply.body)}</div>\n'
        f"          {files}\n"
        "        </article>\n"
        "      </li>\n      "
    )


def _file(file, head: str, tail: str) -> str:
    url = f"{head}{file.pk}{tail}"
    name = escape(file.name)
    preview = ""
    if file.shows_inline:
        preview = (
            f'<a href="{url}?inline=1"><img class="attachment-preview" src="{url}?inline=1" alt="{name}" '
            'loading="lazy"></a><br>'
        )
    size = escape(filesizeformat(file.size))
    return f'{preview}<a href="{url}" download>{name}</a> <span class="help">({size})</span>'


@register.filter
def markdown(text: str) -> SafeString:
    return render_markdown(text)
