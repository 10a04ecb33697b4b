"""`manage.py seed_bench`: at CI scale, the data set holds what the benchmark runner relies on, the product's own
gate and search see it as they should, and its pages render."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import F, Max
from django.urls import reverse

from accounts.models import OrganisationAccess, User
from tickets.bench_data import COMMON_WORD, RARE_WORD
from tickets.management.commands.seed_bench import (
    AGENT_EMAIL,
    CONTACT_EMAIL,
    CUSTOMER_EMAIL,
    LARGEST_ORGANISATION,
    LONG_THREAD_SUBJECT,
    PASSWORD,
)
from tickets.models import ChatMessage, Reply, Ticket
from tickets.search import search
from tickets.tests.test_search_documents import stale_documents
from workflow import actions
from workflow.models import Priority, Status


def found(user, text: str) -> int:
    return search(Ticket.objects.visible_to(user), text, include_internal=user.is_staff).count()


@pytest.mark.postgres
# Committed like a real load (COPY FREEZE, rebuilt indexes); the content types and policies come back after.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_seeds_the_rows_the_benchmark_relies_on(on_postgres, client):
    out = StringIO()
    call_command("seed_bench", requests=2000, seed=1, stdout=out)

    assert Ticket.objects.count() == 2000
    assert Reply.objects.count() == 8000
    assert Ticket.objects.exclude(organisation=F("requester__organisation")).count() == 0
    # The denormalised last activity is the last message's time (a chat can come after the last reply).
    assert not Ticket.objects.annotate(last=Max("replies__created_at")).filter(last_activity_at__lt=F("last")).exists()
    assert Ticket.objects.filter(priority=Priority.S1).exists()
    assert Ticket.objects.filter(status=Status.SOLVED).count() > Ticket.objects.count() / 2

    contact = User.objects.get(email=CONTACT_EMAIL)
    customer = User.objects.get(email=CUSTOMER_EMAIL)
    agent = User.objects.get(email=AGENT_EMAIL)
    assert contact.organisation == customer.organisation
    assert contact.organisation.name == LARGEST_ORGANISATION
    assert OrganisationAccess.objects.active().filter(user=contact, organisation=contact.organisation).exists()
    assert (
        Ticket.objects.visible_to(contact).count() == Ticket.objects.filter(organisation=contact.organisation).count()
    )
    assert Ticket.objects.visible_to(contact).count() == 200  # a tenth of the requests
    assert not customer.is_technical_contact and not customer.organisation_grants.exists()
    assert customer.requested_tickets.count() == 100  # 500 at full scale, capped at a twentieth
    assert customer.cc_tickets.exclude(requester=customer).count() == 40
    assert Ticket.objects.visible_to(customer).count() == 140
    assert agent.is_staff and agent.groups.filter(name="Agents").exists()
    assert Ticket.objects.visible_to(agent).count() == 2000
    assert all(person.check_password(PASSWORD) for person in (contact, customer, agent))

    long_thread = Ticket.objects.get(subject=LONG_THREAD_SUBJECT)
    assert long_thread.requester == customer
    replies = list(long_thread.replies.order_by("created_at"))
    assert len(replies) == 300 and all(reply.is_public for reply in replies)
    assert [reply.author_id for reply in replies[:4]] == [customer.pk, agent.pk, customer.pk, agent.pk]
    assert ChatMessage.objects.filter(chat__ticket=long_thread).count() == 40

    assert found(agent, RARE_WORD) == 5
    assert found(customer, RARE_WORD) >= 1
    assert found(contact, RARE_WORD) >= 2
    assert found(agent, COMMON_WORD) == 200
    assert RARE_WORD in out.getvalue() and COMMON_WORD in out.getvalue()
    assert stale_documents() == []  # every request's search document, exactly as the triggers would keep it

    client.force_login(customer)
    page = client.get(reverse("tickets:my_requests"))
    assert page.status_code == 200
    page = client.get(reverse("tickets:detail", args=[long_thread.pk]))
    assert page.status_code == 200
    assert LONG_THREAD_SUBJECT in page.content.decode()
    client.force_login(agent)
    assert client.get(reverse("workflow:queue"), {"priority": "S1"}).status_code == 200
    assert client.get(reverse("tickets:detail", args=[long_thread.pk])).status_code == 200

    # Sequences and constraints are back: the product goes on creating rows after the load.
    opened = actions.open_request(requester=customer, subject="After the seed", body="Hello", priority="S3")
    assert opened.pk > long_thread.pk and Ticket.objects.visible_to(contact).filter(pk=opened.pk).exists()
    actions.reply(ticket=opened, author=customer, body="Sequences and triggers qwertzuiop")
    assert found(customer, "qwertzuiop") == 1  # the triggers are back on


@pytest.mark.postgres
def test_it_refuses_a_database_that_already_holds_requests(on_postgres, cast):
    with pytest.raises(CommandError, match="already holds"):
        call_command("seed_bench", requests=1000, stdout=StringIO())
    assert Ticket.objects.count() == 2


def test_it_refuses_any_database_but_postgresql(db, monkeypatch):
    monkeypatch.setattr(connection, "vendor", "sqlite")  # on SQLite already; on PostgreSQL, as if it were not
    with pytest.raises(CommandError, match="needs PostgreSQL"):
        call_command("seed_bench", requests=1000, stdout=StringIO())
