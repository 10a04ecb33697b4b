"""An agent working a request from its page: status, priority, assignee, internal notes, merge, history.

The customers' side of the same page never shows internal notes or agent-only events."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from portal.tests.factories import TicketFactory
from tickets.models import EventKind, Reply, TicketEvent
from workflow.models import Priority, Status


def detail(ticket) -> str:
    return reverse("tickets:detail", args=[ticket.pk])


def said(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


AGENT_URLS = ["workflow:status", "workflow:priority", "workflow:assign", "workflow:merge", "workflow:subject"]


@pytest.mark.parametrize("name", AGENT_URLS)
@pytest.mark.parametrize("persona", ["requester", "colleague", "contact", "outsider"])
def test_customers_get_404_from_agent_changes(cast, client_for, name, persona):
    before = cast.ticket.version
    response = client_for(getattr(cast, persona)).post(
        reverse(name, args=[cast.ticket.pk]), {"status": "solved", "reason": "x", "version": before}
    )
    assert response.status_code == 404
    cast.ticket.refresh_from_db()
    assert cast.ticket.version == before


@pytest.mark.parametrize("name", AGENT_URLS)
def test_agent_changes_answer_only_post(cast, client_for, name):
    assert client_for(cast.agent).get(reverse(name, args=[cast.ticket.pk])).status_code == 405


@pytest.mark.parametrize("name", AGENT_URLS)
def test_agent_changes_need_sign_in(cast, client, name):
    response = client.post(reverse(name, args=[cast.ticket.pk]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("name", AGENT_URLS)
def test_agent_changes_on_missing_requests_are_404(cast, client_for, name):
    assert client_for(cast.agent).post(reverse(name, args=[10**12]), {"version": 1}).status_code == 404


def test_agent_changes_status_with_reason(cast, client_for):
    response = client_for(cast.agent).post(
        reverse("workflow:status", args=[cast.ticket.pk]),
        {"status": "solved", "reason": "Fixed in 24.2", "version": cast.ticket.version},
    )
    assert response.status_code == 302 and response["Location"] == detail(cast.ticket)
    cast.ticket.refresh_from_db()
    assert cast.ticket.status == Status.SOLVED
    assert TicketEvent.objects.get(ticket=cast.ticket, kind=EventKind.STATUS).reason == "Fixed in 24.2"
    assert "Status changed to Solved." in said(response)


def test_solving_without_reason_is_refused_with_a_message(cast, client_for):
    response = client_for(cast.agent).post(
        reverse("workflow:status", args=[cast.ticket.pk]), {"status": "solved", "version": cast.ticket.version}
    )
    cast.ticket.refresh_from_db()
    assert cast.ticket.status == Status.OPEN
    assert "Say why the request is Solved." in said(response)


def test_a_stale_form_is_refused_and_the_other_change_kept(cast, client_for):
    client = client_for(cast.agent)
    opened_at = cast.ticket.version
    client.post(
        reverse("workflow:status", args=[cast.ticket.pk]), {"status": "on_hold", "reason": "", "version": opened_at}
    )
    response = client.post(
        reverse("workflow:status", args=[cast.ticket.pk]),
        {"status": "awaiting_reply", "reason": "", "version": opened_at},
    )
    cast.ticket.refresh_from_db()
    assert cast.ticket.status == Status.ON_HOLD
    assert "This request changed since you opened it. Look at the change, then try again." in said(response)


def test_agent_reclassifies_with_reason_and_customer_sees_when(cast, client_for):
    response = client_for(cast.agent).post(
        reverse("workflow:priority", args=[cast.ticket.pk]),
        {"priority": "S1", "reason": "Production is down", "version": cast.ticket.version},
    )
    assert "Priority changed to S1 – Urgent." in said(response)
    cast.ticket.refresh_from_db()
    assert cast.ticket.priority == Priority.S1
    html = client_for(cast.requester).get(detail(cast.ticket)).content.decode()
    assert "S1 – Urgent" in html and "Changed" in html
    assert "Production is down" not in html  # the reason is kept for agents


def test_reclassifying_without_reason_is_a_form_error(cast, client_for):
    response = client_for(cast.agent).post(
        reverse("workflow:priority", args=[cast.ticket.pk]), {"priority": "S1", "version": cast.ticket.version}
    )
    cast.ticket.refresh_from_db()
    assert cast.ticket.priority == Priority.S3
    assert any("This field is required." in message for message in said(response))


def test_agent_assigns_and_unassigns(cast, client_for):
    client = client_for(cast.agent)
    client.post(
        reverse("workflow:assign", args=[cast.ticket.pk]), {"assignee": cast.agent.pk, "version": cast.ticket.version}
    )
    cast.ticket.refresh_from_db()
    assert cast.ticket.assignee == cast.agent
    client.post(reverse("workflow:assign", args=[cast.ticket.pk]), {"assignee": "", "version": cast.ticket.version})
    cast.ticket.refresh_from_db()
    assert cast.ticket.assignee is None


def test_customers_cannot_be_assigned(cast, client_for):
    client_for(cast.agent).post(
        reverse("workflow:assign", args=[cast.ticket.pk]),
        {"assignee": cast.requester.pk, "version": cast.ticket.version},
    )
    cast.ticket.refresh_from_db()
    assert cast.ticket.assignee is None


def test_agent_writes_internal_note_that_customers_never_see(cast, client_for):
    client_for(cast.agent).post(
        reverse("tickets:reply", args=[cast.ticket.pk]), {"body": "Looks like bug 4711", "visibility": "internal"}
    )
    note = Reply.objects.latest("pk")
    assert not note.is_public
    cast.ticket.refresh_from_db()
    assert cast.ticket.first_responded_at is None  # a note is not an answer
    for person in [cast.requester, cast.colleague, cast.contact]:
        client = client_for(person)
        page = client.get(detail(cast.ticket)).content.decode()
        listing = client.get(reverse("tickets:my_requests"), {"q": "4711"})
        assert "bug 4711" not in page
        assert list(listing.context["page"].object_list) == []
    assert "bug 4711" in client_for(cast.agent).get(detail(cast.ticket)).content.decode()


def test_agent_public_reply_is_the_first_response(cast, client_for):
    client_for(cast.agent).post(reverse("tickets:reply", args=[cast.ticket.pk]), {"body": "On it"})
    cast.ticket.refresh_from_db()
    assert cast.ticket.first_responded_at is not None


def test_customers_never_see_the_event_timeline_or_agent_forms(cast, client_for):
    client_for(cast.agent).post(
        reverse("workflow:status", args=[cast.ticket.pk]),
        {"status": "on_hold", "reason": "Waiting on engineering ticket ENG-1", "version": cast.ticket.version},
    )
    for person in [cast.requester, cast.colleague, cast.contact]:
        html = client_for(person).get(detail(cast.ticket)).content.decode()
        assert "ENG-1" not in html
        assert "History" not in html and "Work this request" not in html
        assert reverse("workflow:status", args=[cast.ticket.pk]) not in html
    agent_html = client_for(cast.agent).get(detail(cast.ticket)).content.decode()
    assert "ENG-1" in agent_html and "Open → On hold" in agent_html


def test_agent_merges_requests_from_the_page(cast, client_for):
    duplicate = TicketFactory(requester=cast.requester, subject="Tiles still blank")
    response = client_for(cast.agent).post(
        reverse("workflow:merge", args=[cast.ticket.pk]), {"sources": f"#{duplicate.pk}"}
    )
    duplicate.refresh_from_db()
    assert duplicate.merged_into == cast.ticket and duplicate.status == Status.SOLVED
    assert f"Merged #{duplicate.pk} into this request." in said(response)


@pytest.mark.parametrize("sources", ["abc", "", "#0", "1," * 30])
def test_merge_form_rejects_nonsense(cast, client_for, sources):
    response = client_for(cast.agent).post(reverse("workflow:merge", args=[cast.ticket.pk]), {"sources": sources})
    assert response.status_code == 302
    assert said(response)
    assert not TicketEvent.objects.filter(kind=EventKind.MERGE).exists()


def test_merge_across_organisations_is_refused_with_a_message(cast, client_for):
    response = client_for(cast.agent).post(
        reverse("workflow:merge", args=[cast.ticket.pk]), {"sources": str(cast.other_ticket.pk)}
    )
    cast.other_ticket.refresh_from_db()
    assert cast.other_ticket.merged_into is None
    assert f"#{cast.other_ticket.pk} belongs to another organisation." in said(response)


def test_merge_of_a_missing_request_says_so(cast, client_for):
    response = client_for(cast.agent).post(reverse("workflow:merge", args=[cast.ticket.pk]), {"sources": "99999"})
    assert "No request #99999." in said(response)


def test_agents_see_why_the_priority_changed(cast, client_for):
    client = client_for(cast.agent)
    client.post(
        reverse("workflow:priority", args=[cast.ticket.pk]),
        {"priority": "S2", "reason": "Only reporting is degraded", "version": cast.ticket.version},
    )
    details = client.get(detail(cast.ticket)).content.decode().split('id="details-heading"')[1].split("</aside>")[0]
    assert "S2 – High" in details and "Why: Only reporting is degraded" in details


def test_the_agents_page_costs_the_same_queries_whatever_the_history(cast, client_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from workflow import actions

    client = client_for(cast.agent)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(detail(cast.ticket)).status_code == 200
        return len(queries)

    few = count()
    for index in range(6):
        actions.reclassify(ticket=cast.ticket, to="S1" if index % 2 == 0 else "S3", actor=cast.agent, reason="x")
        actions.internal_note(ticket=cast.ticket, author=cast.agent, body=f"note {index}")
        actions.reply(ticket=cast.ticket, author=cast.agent, body=f"reply {index}")
    assert count() == few


def test_agent_renames_a_request_and_it_is_recorded(cast, client_for):
    response = client_for(cast.agent).post(
        reverse("workflow:subject", args=[cast.ticket.pk]),
        {"subject": "  Dashboard tiles blank after 24.2 upgrade ", "version": cast.ticket.version},
    )
    cast.ticket.refresh_from_db()
    assert cast.ticket.subject == "Dashboard tiles blank after 24.2 upgrade"
    event = TicketEvent.objects.get(ticket=cast.ticket, kind=EventKind.SUBJECT)
    assert (event.actor, event.from_value) == (cast.agent, "Dashboard tiles fail to load")
    assert "Subject changed." in said(response)


@pytest.mark.parametrize("subject", ["", "   ", "x" * 151])
def test_a_bad_subject_is_refused_and_nothing_changes(cast, client_for, subject):
    response = client_for(cast.agent).post(
        reverse("workflow:subject", args=[cast.ticket.pk]), {"subject": subject, "version": cast.ticket.version}
    )
    cast.ticket.refresh_from_db()
    assert cast.ticket.subject == "Dashboard tiles fail to load"
    assert said(response)
    assert not TicketEvent.objects.filter(kind=EventKind.SUBJECT).exists()


@pytest.mark.parametrize("persona", ["requester", "colleague", "contact", "outsider"])
def test_customers_cannot_rename(cast, client_for, persona):
    response = client_for(getattr(cast, persona)).post(
        reverse("workflow:subject", args=[cast.ticket.pk]), {"subject": "Mine now", "version": cast.ticket.version}
    )
    assert response.status_code == 404
    cast.ticket.refresh_from_db()
    assert cast.ticket.subject == "Dashboard tiles fail to load"


def test_a_chat_started_request_gets_a_real_subject_from_the_agent(cast, client_for):
    from workflow import chat

    started = chat.start_chat(customer=cast.requester, first_message="hi, quick question about exports please")
    ticket = started.ticket
    client_for(cast.agent).post(
        reverse("workflow:subject", args=[ticket.pk]), {"subject": "Exporting to CSV", "version": ticket.version}
    )
    ticket.refresh_from_db()
    assert (ticket.channel, ticket.subject) == ("chat", "Exporting to CSV")
