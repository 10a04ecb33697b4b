from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import formats, timezone
from django.utils.html import escape
from django.utils.safestring import SafeString
from django.utils.translation import gettext, ngettext

from tickets.markdown import render_markdown

register = template.Library()


@register.filter
def days_ago(moment: datetime | None) -> str:
    """'today', '1 day ago', 'N days ago', counted in calendar days in the viewer's time zone, the number
    grouped as the language writes it (1,234 / 1.234)."""
    if moment is None:
        return ""
    return _days_ago(timezone.localtime(moment))


def _days_ago(local: datetime) -> str:
    days = (timezone.localdate() - local.date()).days
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
    local = timezone.localtime(moment)
    exact = escape(formats.date_format(local, "DATETIME_FORMAT"))
    # isoformat() writes digits, '-', ':', '.', '+' and 'T' only: nothing to escape.
    return SafeString(f'<time datetime="{local.isoformat()}" title="{exact}">{escape(_days_ago(local))}</time>')


@register.filter
def markdown(text: str) -> SafeString:
    return render_markdown(text)
