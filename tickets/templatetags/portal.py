from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext, ngettext

from tickets.markdown import render_markdown

register = template.Library()


@register.filter
def days_ago(moment: datetime | None) -> str:
    """'today', '1 day ago', 'N days ago', counted in calendar days in the viewer's time zone."""
    if moment is None:
        return ""
    days = (timezone.localdate() - timezone.localtime(moment).date()).days
    if days <= 0:
        return gettext("today")
    return ngettext("%(days)d day ago", "%(days)d days ago", days) % {"days": days}


@register.filter
def markdown(text: str) -> SafeString:
    return render_markdown(text)
