"""The portal's organisation-access page: ask, approve or decline, withdraw."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from accounts import actions
from accounts.models import AccessRequest
from portal.tests.factories import UserFactory

PAGE = reverse("accounts:organisation_access")


def said(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def org_admin(cast):
    return UserFactory(organisation=cast.org, is_org_admin=True, full_name="Ada Orgadmin")


@pytest.fixture
def contact(cast):
    return UserFactory(organisation=cast.org, is_technical_contact=True, full_name="Tom Second")


def test_a_technical_contact_asks_with_one_click(cast, client_for, contact):
    client = client_for(contact)
    assert "Ask for organisation-level access" in client.get(PAGE).content.decode()
    response = client.post(reverse("accounts:ask"))
    ask = AccessRequest.objects.get()
    assert response.status_code == 302 and ask.person == contact
    assert f"Your ask was sent as request #{ask.ticket_id}." in said(response)
    page = client.get(PAGE).content.decode()
    assert "Your ask is waiting for a decision." in page and f"#{ask.ticket_id}" in page
    mine = client.get(reverse("tickets:my_requests")).context["page"].object_list
    assert ask.ticket in mine


def test_an_administrator_chooses_the_approver_among_the_contacts(cast, client_for, org_admin, contact):
    client = client_for(org_admin)
    html = client.get(PAGE).content.decode()
    assert "Tom Second" in html and "Tess Contact" in html and "Rita Requester" not in html
    response = client.post(reverse("accounts:ask"), {"approver": cast.requester.pk})
    assert AccessRequest.objects.count() == 0
    assert any("Select a valid choice" in message for message in said(response))
    client.post(reverse("accounts:ask"), {"approver": contact.pk})
    assert AccessRequest.objects.get().approver == contact


def test_the_named_contact_sees_the_ask_and_approves_it(cast, client_for, org_admin, contact):
    ask = actions.ask_for_access(person=org_admin, approver=contact)
    client = client_for(contact)
    html = client.get(PAGE).content.decode()
    assert "Asks waiting for your approval" in html and "Ada Orgadmin asked" in html
    response = client.post(reverse("accounts:approve", args=[ask.pk]))
    ask.refresh_from_db()
    assert ask.approval == AccessRequest.Approval.APPROVED
    assert "You approved the ask." in said(response)
    again = client.post(reverse("accounts:approve", args=[ask.pk]))
    assert any("already decided: Approved" in message for message in said(again))


def test_the_named_contact_can_decline(cast, client_for, org_admin, contact):
    ask = actions.ask_for_access(person=org_admin, approver=contact)
    client_for(contact).post(reverse("accounts:decline", args=[ask.pk]))
    ask.refresh_from_db()
    assert ask.state == AccessRequest.State.DECLINED


@pytest.mark.parametrize("who", ["asker", "other_contact", "outsider", "agent"])
@pytest.mark.parametrize("name", ["accounts:approve", "accounts:decline"])
def test_nobody_else_reaches_the_decision(cast, client_for, org_admin, contact, who, name):
    ask = actions.ask_for_access(person=org_admin, approver=contact)
    person = {"asker": org_admin, "other_contact": cast.contact, "outsider": cast.outsider, "agent": cast.agent}[who]
    assert client_for(person).post(reverse(name, args=[ask.pk])).status_code == 404
    ask.refresh_from_db()
    assert ask.approval == AccessRequest.Approval.PENDING


def test_the_asker_withdraws_and_nobody_else_can(cast, client_for, org_admin, contact):
    ask = actions.ask_for_access(person=org_admin, approver=contact)
    assert client_for(contact).post(reverse("accounts:withdraw", args=[ask.pk])).status_code == 404
    client_for(org_admin).post(reverse("accounts:withdraw", args=[ask.pk]))
    ask.refresh_from_db()
    assert ask.state == AccessRequest.State.WITHDRAWN
    response = client_for(contact).post(reverse("accounts:approve", args=[ask.pk]))
    assert any("already decided: Withdrawn" in message for message in said(response))


def test_a_holder_sees_their_access_and_cannot_ask_again(cast, client_for):
    html = client_for(cast.contact).get(PAGE).content.decode()
    assert "You have organisation-level access." in html
    assert "Ask for organisation-level access</button>" not in html
    response = client_for(cast.contact).post(reverse("accounts:ask"))
    assert any("already have organisation-level access" in message for message in said(response))


def test_plain_customers_are_told_who_can_ask_and_cannot_post(cast, client_for):
    client = client_for(cast.requester)
    assert "Only technical contacts and organisation administrators" in client.get(PAGE).content.decode()
    assert client.post(reverse("accounts:ask")).status_code == 404
    assert AccessRequest.objects.count() == 0


def test_agents_get_404_and_anonymous_goes_to_sign_in(cast, client_for, client):
    assert client.get(PAGE).status_code == 302
    assert client_for(cast.agent).get(PAGE).status_code == 404


@pytest.mark.parametrize("name", ["accounts:ask", "accounts:approve", "accounts:decline", "accounts:withdraw"])
def test_changes_answer_only_post(cast, client_for, name):
    url = reverse(name) if name == "accounts:ask" else reverse(name, args=[1])
    assert client_for(cast.contact).get(url).status_code == 405


@pytest.mark.parametrize("pk", [0, 2**63, 10**30])
def test_nonsense_ids_are_not_found(cast, client_for, contact, pk):
    assert client_for(contact).post(reverse("accounts:approve", args=[pk])).status_code == 404


def test_the_profile_menu_links_the_page_for_contacts_and_administrators(cast, client_for, org_admin):
    assert PAGE in client_for(org_admin).get(reverse("tickets:my_requests")).content.decode()
    assert PAGE not in client_for(cast.requester).get(reverse("tickets:my_requests")).content.decode()
