"""My requests' filters are written once per language, grant and values (tickets.views.filters_form), exactly as
the page's template wrote them."""

from __future__ import annotations

import pytest
from django.http import QueryDict
from django.template import Context, Template
from django.utils import translation

from tickets.filters import RequestFilter
from tickets.models import Ticket
from tickets.views import filters_form

# The block of templates/tickets/my_requests.html before it was kept.
TEMPLATE_BLOCK = "{% load i18n fields %}" + "".join(
    [
        "{% with form=filterset.form %}\n",
        '<form method="get" action="{% url \'tickets:my_requests\' %}" class="filters" role="search">\n',
        '  {% include "includes/_search_bar.html" with field=form.q %}\n',
        '  <div class="filter-row">\n',
        "    {% field form.status %}\n",
        "    {% field form.priority %}\n",
        "    {% field form.scope %}\n",
        "    {% field form.sort %}\n",
        '    <button type="submit" class="button">{% translate "Apply" %}</button>\n',
        "    {% if filtered %}<a href=\"{% url 'tickets:my_requests' %}\">"
        '{% translate "Clear filters" %}</a>{% endif %}\n',
        "  </div>\n",
        "</form>\n",
        "{% endwith %}",
    ]
)

AWKWARD = "<b>\"Quotes\" & 'apostrophes'</b>"
VALUES = [
    "",
    "q=printer&status=open&priority=S2&scope=mine&sort=created",
    f"q={AWKWARD}&status=nonsense&sort=sideways",
    "scope=organisation",
    "q=" + "x" * 300,
    "status=open&status=solved&page=3",
]


@pytest.mark.parametrize("language", ["en", "ja"])
@pytest.mark.parametrize("organisation_access", [False, True])
@pytest.mark.parametrize("query", VALUES)
def test_the_kept_filters_are_the_templates(cast, language, organisation_access, query):
    data = QueryDict(query)
    filtered = any(data.get(key) for key in ("q", "status", "priority", "scope"))
    with translation.override(language):
        filterset = RequestFilter(
            data, queryset=Ticket.objects.all(), user=cast.requester, organisation_access=organisation_access
        )
        expected = Template(TEMPLATE_BLOCK).render(Context({"filterset": filterset, "filtered": filtered}))
        for _ in range(2):  # written, then kept
            assert filters_form(data, organisation_access=organisation_access, filtered=filtered) == expected


def test_languages_and_grants_are_kept_apart(cast):
    data = QueryDict("")
    with translation.override("en"):
        english = filters_form(data, organisation_access=False, filtered=False)
        with_grant = filters_form(data, organisation_access=True, filtered=False)
    with translation.override("de"):
        german = filters_form(data, organisation_access=False, filtered=False)
    assert len({english, with_grant, german}) == 3
    assert "organisation" in with_grant and "organisation" not in english
