"""My requests (SPEC §4): columns, filters, scopes, sort, pagination, empty states, bad input, query budget."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from portal.tests.factories import ReplyFactory, TicketFactory
from workflow.models import Priority, Status

URL = reverse("tickets:my_requests")


def listed(response) -> list[int]:
    return [ticket.pk for ticket in response.context["page"].object_list]


def test_it_shows_the_columns_with_days_ago_and_exact_time_on_hover(cast, client_for):
    now = timezone.now()
    cast.ticket.created_at = now - timedelta(days=3)
    cast.ticket.last_activity_at = now - timedelta(days=1)
    cast.ticket.save()
    html = client_for(cast.requester).get(URL).content.decode()
    for heading in ["Subject", "Id", "Created", "Last activity", "Status"]:
        assert f'<th scope="col">{heading}</th>' in html
    assert f'href="{reverse("tickets:detail", args=[cast.ticket.pk])}">Dashboard tiles fail to load</a>' in html
    assert f"#{cast.ticket.pk}" in html
    assert ">3 days ago</time>" in html
    assert ">1 day ago</time>" in html
    assert f'datetime="{timezone.localtime(cast.ticket.created_at).isoformat()}"' in html
    assert 'title="' in html
    assert '<span class="badge status-open">Open</span>' in html


def test_today_is_said_as_today(cast, client_for):
    assert ">today</time>" in client_for(cast.requester).get(URL).content.decode()


def test_default_sort_is_last_activity_newest_first(cast, client_for):
    now = timezone.now()
    old = TicketFactory(requester=cast.requester, last_activity_at=now - timedelta(days=9))
    recent = TicketFactory(requester=cast.requester, last_activity_at=now + timedelta(minutes=1))
    assert listed(client_for(cast.requester).get(URL)) == [recent.pk, cast.ticket.pk, old.pk]


@pytest.mark.parametrize(
    "sort, expected",
    [
        ("activity", ["b", "a", "c"]),
        ("-activity", ["c", "a", "b"]),
        ("created", ["a", "b", "c"]),
        ("-created", ["c", "b", "a"]),
    ],
)
def test_it_sorts_by_created_and_last_activity_both_ways(cast, client_for, sort, expected):
    now = timezone.now()
    cast.ticket.delete()
    ages = {"a": (30, 5), "b": (20, 10), "c": (10, 1)}  # days since created, days since last activity
    tickets = {
        key: TicketFactory(
            requester=cast.requester,
            created_at=now - timedelta(days=created),
            last_activity_at=now - timedelta(days=activity),
        )
        for key, (created, activity) in ages.items()
    }
    response = client_for(cast.requester).get(URL, {"sort": sort})
    assert listed(response) == [tickets[key].pk for key in expected]


def test_it_filters_by_status_and_priority(cast, client_for):
    solved = TicketFactory(requester=cast.requester, status=Status.SOLVED, priority=Priority.S1)
    TicketFactory(requester=cast.requester, status=Status.SOLVED, priority=Priority.S4)
    client = client_for(cast.requester)
    assert set(listed(client.get(URL, {"status": "solved"}))) == {solved.pk, solved.pk + 1}
    assert listed(client.get(URL, {"status": "solved", "priority": "S1"})) == [solved.pk]
    assert listed(client.get(URL, {"status": "on_hold"})) == []


def test_scopes_separate_mine_ccd_and_organisation(cast, client_for):
    mine = TicketFactory(requester=cast.colleague)
    others = TicketFactory(requester=cast.bystander)
    colleague = client_for(cast.colleague)
    assert listed(colleague.get(URL, {"scope": "mine"})) == [mine.pk]
    assert listed(colleague.get(URL, {"scope": "cc"})) == [cast.ticket.pk]
    assert set(listed(colleague.get(URL))) == {mine.pk, cast.ticket.pk}
    contact = client_for(cast.contact)
    assert set(listed(contact.get(URL, {"scope": "organisation"}))) == {mine.pk, others.pk, cast.ticket.pk}


def test_organisation_scope_is_offered_only_with_organisation_access(cast, client_for):
    html = client_for(cast.contact).get(URL).content.decode()
    assert 'value="organisation"' in html
    response = client_for(cast.requester).get(URL, {"scope": "organisation"})
    assert response.status_code == 400
    assert 'value="organisation"' not in response.content.decode()
    assert "Select a valid choice" in response.content.decode()


@pytest.mark.parametrize(
    "params",
    [
        {"status": "closed"},
        {"priority": "S9"},
        {"scope": "everyone"},
        {"sort": "subject"},
        {"sort": "requester__password"},
        {"status": "open' OR 1=1 --"},
        {"q": "x" * 201},
    ],
)
def test_unknown_filter_values_get_a_clear_error_and_no_results(cast, client_for, params):
    response = client_for(cast.requester).get(URL, params)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Some filters could not be used" in html
    assert 'class="errorlist' in html
    assert response.context["page"] is None


@pytest.mark.parametrize("page", ["0", "999", "abc", "-1", "9" * 30])
def test_a_page_that_does_not_exist_is_not_found(cast, client_for, page):
    assert client_for(cast.requester).get(URL, {"page": page}).status_code == 404


def test_it_paginates_and_keeps_the_filters_in_page_links(cast, client_for, settings):
    settings.REQUESTS_PER_PAGE = 2
    for _ in range(4):
        TicketFactory(requester=cast.requester, status=Status.SOLVED)
    client = client_for(cast.requester)
    first = client.get(URL, {"status": "solved", "sort": "created"})
    assert len(listed(first)) == 2
    assert "Page 1 of 2" in first.content.decode()
    assert 'href="?status=solved&amp;sort=created&amp;page=2"' in first.content.decode()
    second = client.get(URL, {"status": "solved", "sort": "created", "page": "2"})
    assert len(listed(second)) == 2
    assert not set(listed(first)) & set(listed(second))


def test_filters_live_in_the_url_and_show_in_the_form(cast, client_for):
    html = client_for(cast.requester).get(URL, {"status": "solved", "q": "tiles", "sort": "created"}).content.decode()
    assert 'value="tiles"' in html
    assert '<option value="solved" selected>' in html
    assert '<option value="created" selected>' in html


def test_search_matches_subject_and_reply_text(cast, client_for):
    other = TicketFactory(requester=cast.requester, subject="Exports arrive empty")
    ReplyFactory(ticket=other, body="The scheduled PDF contains no pages")
    client = client_for(cast.requester)
    assert listed(client.get(URL, {"q": "scheduled"})) == [other.pk]
    assert listed(client.get(URL, {"q": "Dashboard"})) == [cast.ticket.pk]
    assert listed(client.get(URL, {"q": "tiles upgrade"})) == [cast.ticket.pk]
    assert listed(client.get(URL, {"q": "tiles pdf"})) == []


def test_empty_states_differ_between_nothing_yet_and_nothing_matching(cast, client_for):
    client = client_for(cast.bystander)
    assert "No requests yet" in client.get(URL).content.decode()
    assert "No requests match" in client.get(URL, {"q": "nothing-like-this"}).content.decode()


def test_anonymous_goes_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_the_number_of_queries_does_not_grow_with_the_page(cast, client_for, settings):
    settings.REQUESTS_PER_PAGE = 50
    client = client_for(cast.contact)

    def count(params: dict) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(URL, params).status_code == 200
        return len(queries)

    few = count({}), count({"q": "dashboard", "status": "open"})
    for index in range(30):
        ticket = TicketFactory(requester=cast.bystander, ccs=[cast.colleague], subject=f"Dashboard {index} is blank")
        ReplyFactory(ticket=ticket)
    many = count({}), count({"q": "dashboard", "status": "open"})
    assert few == many
    assert many[0] <= 6


@pytest.mark.parametrize(("person", "expected"), [("contact", 4), ("requester", 4)])
def test_a_list_reads_organisation_access_once(cast, client_for, person, expected):
    client = client_for(getattr(cast, person))
    client.get(URL)  # the session's first request saves it; the ones measured below only read it

    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL).status_code == 200

    grants = [query["sql"] for query in queries if "accounts_organisationaccess" in query["sql"]]
    assert len(grants) == 1, grants
    # The session, the person, their grant, and the page with its count.
    assert len(queries) == expected, [query["sql"] for query in queries]
