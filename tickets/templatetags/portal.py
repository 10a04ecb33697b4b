from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import formats, timezone
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
    days = (timezone.localdate() - timezone.localtime(moment).date()).days
    if days <= 0:
        return gettext("today")
    count = formats.number_format(days, use_l10n=True, force_grouping=True)
    return ngettext("%(days)s day ago", "%(days)s days ago", days) % {"days": count}


@register.filter
def markdown(text: str) -> SafeString:
    return render_markdown(text)
