"""The `request_rows` tag writes My requests' rows exactly as the template's loop did."""

from __future__ import annotations

import zoneinfo
from datetime import timedelta

import pytest
from django.conf import settings
from django.template import Context, Template
from django.utils import timezone, translation

from portal.tests.factories import TicketFactory
from workflow.models import Status

# The rows as templates/tickets/my_requests.html wrote them before the tag.
TEMPLATE_ROWS = (
    "{% load portal %}{% for ticket in tickets %}\n"
    "      <tr>\n"
    '        <td data-label="{{ label_subject }}">'
    "<a href=\"{% url 'tickets:detail' ticket.pk %}\">{{ ticket.subject }}</a></td>\n"
    '        <td data-label="{{ label_id }}">#{{ ticket.pk }}</td>\n'
    '        <td data-label="{{ label_created }}">{% days_ago_time ticket.created_at %}</td>\n'
    '        <td data-label="{{ label_last_activity }}">{% days_ago_time ticket.last_activity_at %}</td>\n'
    '        <td data-label="{{ label_status }}">'
    '<span class="badge status-{{ ticket.status }}">{{ ticket.get_status_display }}</span></td>\n'
    "      </tr>\n"
    "      {% endfor %}"
)
TAG_ROWS = (
    "{% load portal %}{% request_rows tickets subject=label_subject id=label_id created=label_created "
    "last_activity=label_last_activity status=label_status %}"
)


@pytest.mark.parametrize("language", [code for code, _name in settings.LANGUAGES])
def test_rows_are_the_templates_markup(cast, language):
    now = timezone.now()
    tickets = [
        cast.ticket,
        TicketFactory(requester=cast.requester, subject='<b>"Quotes" & tags</b>', status=Status.SOLVED),
        TicketFactory(requester=cast.requester, created_at=now - timedelta(days=1500), last_activity_at=now),
        TicketFactory(requester=cast.requester, created_at=now - timedelta(days=1), status=Status.AWAITING_REPLY),
    ]
    context = {
        "tickets": tickets,
        "label_subject": 'Subject "<x>"',
        "label_id": "Id",
        "label_created": "Created",
        "label_last_activity": "Last activity",
        "label_status": "Status",
    }
    with translation.override(language), timezone.override(zoneinfo.ZoneInfo("America/Mexico_City")):
        expected = Template(TEMPLATE_ROWS).render(Context(context))
        assert Template(TAG_ROWS).render(Context(context)) == expected


def test_no_rows_is_nothing(db):
    assert Template(TAG_ROWS).render(Context({"tickets": []})) == ""
