"""Organisation-level access in the Django admin (issue #4, points 3 and 7): site admins see pending asks,
grant or decline them (admin actions and the buttons on an ask's page), revoke grants, and move people to
another organisation; every decision is recorded with who and when, and takes effect on the next request."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import formats, timezone

from accounts import actions
from accounts.models import AccessRequest, OrganisationAccess
from portal.tests.admin_pages import changelist_rows, flash_messages, form_data, inline_rows
from portal.tests.factories import StaffFactory, TicketFactory, UserFactory

pytestmark = pytest.mark.django_db

ASKS = reverse("admin:accounts_accessrequest_changelist")
GRANTS = reverse("admin:accounts_organisationaccess_changelist")
NOT_APPROVED = "The technical contact has not approved this ask yet."


# --- Helpers ----------------------------------------------------------------------------------------------


def _shown(moment) -> str:
    """A date and time as the admin displays it."""
    return formats.localize(timezone.template_localtime(moment))


def _run_action(client, changelist: str, action: str, *objects):
    return client.post(
        changelist, {"action": action, "_selected_action": [obj.pk for obj in objects], "index": 0}, follow=True
    )


def _press(client, ask: AccessRequest, button: str, **fields):
    url = reverse("admin:accounts_accessrequest_change", args=[ask.pk])
    data = form_data(client.get(url), "accessrequest_form")
    data.update({button: ["1"]}, **{name: [value] for name, value in fields.items()})
    return client.post(url, data, follow=True)


def _move(client, person, organisation):
    """Change the person's organisation on their admin page, posting everything else back as shown."""
    url = reverse("admin:accounts_user_change", args=[person.pk])
    data = form_data(client.get(url), "user_form")
    assert data["organisation"] == [str(person.organisation_id)]
    data["organisation"] = [str(organisation.pk)]
    return client.post(url, data, follow=True)


def _client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def second_contact(cast):
    return UserFactory(
        email="second.contact@northwind.example",
        full_name="Sam Second",
        organisation=cast.org,
        is_technical_contact=True,
    )


@pytest.fixture
def contact_ask(second_contact):
    """A technical contact's ask: it needs no approval."""
    return actions.ask_for_access(person=second_contact)


@pytest.fixture
def boss(cast):
    return UserFactory(email="boss@northwind.example", full_name="Bo Boss", organisation=cast.org, is_org_admin=True)


@pytest.fixture
def boss_ask(cast, boss):
    """An organisation administrator's ask, waiting for the technical contact's approval."""
    return actions.ask_for_access(person=boss, approver=cast.contact)


@pytest.fixture
def bystander_ticket(cast):
    return TicketFactory(requester=cast.bystander, subject="Bystander printer jam")


# --- The asks list ----------------------------------------------------------------------------------------


def test_it_lists_asks_with_their_state_and_approval(cast, client_for, contact_ask, boss_ask):
    response = client_for(cast.admin).get(ASKS)

    rows = {row["person"]: (row["state"], row["approval"], row["approver"]) for row in changelist_rows(response)}
    assert rows == {
        "Sam Second": ("Pending", "Not needed (asked by a technical contact)", "-"),
        "Bo Boss": ("Pending", "Waiting for the technical contact", "Tess Contact"),
    }


def test_it_filters_the_asks_list_to_pending_asks(cast, client_for, contact_ask, boss_ask):
    actions.decline(ask=contact_ask, admin=cast.admin)
    client = client_for(cast.admin)

    everything = client.get(ASKS)
    pending = client.get(ASKS, {"state__exact": "pending"})

    assert {row["person"] for row in changelist_rows(everything)} == {"Sam Second", "Bo Boss"}
    assert [(row["person"], row["state"]) for row in changelist_rows(pending)] == [("Bo Boss", "Pending")]


# --- Grant and decline ------------------------------------------------------------------------------------


def test_it_grants_an_ask_with_the_admin_action(cast, client_for, contact_ask, second_contact):
    response = _run_action(client_for(cast.admin), ASKS, "grant_selected", contact_ask)

    access = OrganisationAccess.objects.get(user=second_contact)
    contact_ask.refresh_from_db()
    assert (access.organisation, access.granted_by, access.revoked_at) == (cast.org, cast.admin, None)
    assert (contact_ask.state, contact_ask.decided_by, contact_ask.grant) == ("granted", cast.admin, access)
    assert contact_ask.decided_at == access.granted_at
    assert ("info", "Decided 1 ask.") in flash_messages(response)


def test_it_grants_an_ask_with_the_button_on_its_page(cast, client_for, contact_ask, second_contact):
    response = _press(client_for(cast.admin), contact_ask, "_grant")

    access = OrganisationAccess.objects.get(user=second_contact)
    contact_ask.refresh_from_db()
    assert response.redirect_chain == [(reverse("admin:accounts_accessrequest_change", args=[contact_ask.pk]), 302)]
    assert ("info", "Access granted to Sam Second.") in flash_messages(response)
    assert (access.granted_by, contact_ask.state, contact_ask.decided_by) == (cast.admin, "granted", cast.admin)


def test_it_declines_an_ask_with_the_admin_action(cast, client_for, contact_ask, second_contact):
    response = _run_action(client_for(cast.admin), ASKS, "decline_selected", contact_ask)

    contact_ask.refresh_from_db()
    assert (contact_ask.state, contact_ask.decided_by, contact_ask.grant) == ("declined", cast.admin, None)
    assert contact_ask.decided_at is not None
    assert not OrganisationAccess.objects.filter(user=second_contact).exists()
    assert ("info", "Decided 1 ask.") in flash_messages(response)


def test_it_declines_an_ask_with_the_button_and_keeps_the_decision_note(cast, client_for, contact_ask, second_contact):
    response = _press(client_for(cast.admin), contact_ask, "_decline", decision_note="Ask your manager first.")

    contact_ask.refresh_from_db()
    assert ("info", "The ask of Sam Second was declined.") in flash_messages(response)
    assert (contact_ask.state, contact_ask.decided_by, contact_ask.decision_note) == (
        "declined",
        cast.admin,
        "Ask your manager first.",
    )
    assert not OrganisationAccess.objects.filter(user=second_contact).exists()


def test_it_shows_no_grant_button_on_an_administrators_ask_waiting_for_approval(cast, client_for, boss_ask):
    html = client_for(cast.admin).get(reverse("admin:accounts_accessrequest_change", args=[boss_ask.pk]))
    html = html.content.decode()

    assert 'name="_grant"' not in html
    assert "Waiting for the technical contact's approval: this ask cannot be granted yet." in html
    assert 'name="_decline"' in html


def test_it_refuses_to_grant_an_unapproved_administrators_ask_by_action(cast, client_for, boss_ask, boss):
    response = _run_action(client_for(cast.admin), ASKS, "grant_selected", boss_ask)

    boss_ask.refresh_from_db()
    assert ("error", f"Bo Boss: {NOT_APPROVED}") in flash_messages(response)
    assert (boss_ask.state, boss_ask.decided_by) == ("pending", None)
    assert not OrganisationAccess.objects.filter(user=boss).exists()


def test_it_refuses_to_grant_an_unapproved_administrators_ask_by_button(cast, client_for, boss_ask, boss):
    response = _press(client_for(cast.admin), boss_ask, "_grant")

    boss_ask.refresh_from_db()
    assert ("error", NOT_APPROVED) in flash_messages(response)
    assert (boss_ask.state, boss_ask.decided_by) == ("pending", None)
    assert not OrganisationAccess.objects.filter(user=boss).exists()


def test_it_grants_an_administrators_ask_once_the_contact_approved(cast, client_for, boss_ask, boss):
    actions.decide_approval(ask=boss_ask, approver=cast.contact, approve=True)

    response = _press(client_for(cast.admin), boss_ask, "_grant")

    assert ("info", "Access granted to Bo Boss.") in flash_messages(response)
    assert OrganisationAccess.objects.active().get(user=boss).granted_by == cast.admin


# --- Revoke -----------------------------------------------------------------------------------------------


def test_it_revokes_a_grant_with_one_admin_action(cast, client_for):
    response = _run_action(client_for(cast.admin), GRANTS, "revoke", cast.grant)

    cast.grant.refresh_from_db()
    assert cast.grant.revoked_by == cast.admin
    assert cast.grant.revoked_at is not None
    assert ("info", "Revoked 1 grant.") in flash_messages(response)
    assert not OrganisationAccess.objects.active().filter(user=cast.contact).exists()


# --- The record: who and when, on the person's and the organisation's pages -------------------------------


def test_it_shows_who_granted_and_who_revoked_when_on_the_persons_page(cast, client_for, contact_ask, second_contact):
    other_admin = StaffFactory(email="sue@support.example", full_name="Sue Superuser", is_superuser=True)
    _run_action(client_for(cast.admin), ASKS, "grant_selected", contact_ask)
    _run_action(client_for(other_admin), GRANTS, "revoke", OrganisationAccess.objects.get(user=second_contact))
    access = OrganisationAccess.objects.get(user=second_contact)
    contact_ask.refresh_from_db()

    response = client_for(cast.admin).get(reverse("admin:accounts_user_change", args=[second_contact.pk]))

    assert inline_rows(response, "organisation_grants") == [
        {
            "organisation": "Northwind",
            "granted_at": _shown(access.granted_at),
            "granted_by": "Sid Admin",
            "revoked_at": _shown(access.revoked_at),
            "revoked_by": "Sue Superuser",
        }
    ]
    [ask_row] = inline_rows(response, "access_requests")
    assert (ask_row["state"], ask_row["decided_by"], ask_row["decided_at"]) == (
        "Granted",
        "Sid Admin",
        _shown(contact_ask.decided_at),
    )


def test_it_shows_the_approval_and_the_decline_on_the_persons_page(cast, client_for, boss_ask, boss):
    actions.decide_approval(ask=boss_ask, approver=cast.contact, approve=True)
    _run_action(client_for(cast.admin), ASKS, "decline_selected", boss_ask)
    boss_ask.refresh_from_db()

    response = client_for(cast.admin).get(reverse("admin:accounts_user_change", args=[boss.pk]))

    assert inline_rows(response, "access_requests") == [
        {
            "created_at": _shown(boss_ask.created_at),
            "state": "Declined",
            "approval": "Approved",
            "approver": "Tess Contact",
            "approval_decided_at": _shown(boss_ask.approval_decided_at),
            "decided_by": "Sid Admin",
            "decided_at": _shown(boss_ask.decided_at),
        }
    ]
    assert inline_rows(response, "organisation_grants") == []


def test_it_shows_grants_revocations_and_asks_on_the_organisations_page(cast, client_for, contact_ask, second_contact):
    client = client_for(cast.admin)
    _run_action(client, ASKS, "grant_selected", contact_ask)
    _run_action(client, GRANTS, "revoke", cast.grant)
    cast.grant.refresh_from_db()
    new_grant = OrganisationAccess.objects.get(user=second_contact)

    response = client.get(reverse("admin:accounts_organisation_change", args=[cast.org.pk]))

    grants = {row["user"]: row for row in inline_rows(response, "access_grants")}
    assert grants["Sam Second"] == {
        "user": "Sam Second",
        "granted_at": _shown(new_grant.granted_at),
        "granted_by": "Sid Admin",
        "revoked_at": "-",
        "revoked_by": "-",
    }
    assert (grants["Tess Contact"]["revoked_by"], grants["Tess Contact"]["revoked_at"]) == (
        "Sid Admin",
        _shown(cast.grant.revoked_at),
    )
    [ask_row] = inline_rows(response, "access_requests")
    assert (ask_row["person"], ask_row["state"], ask_row["decided_by"]) == ("Sam Second", "Granted", "Sid Admin")


# --- Decisions take effect on the very next request -------------------------------------------------------


def test_it_takes_a_revocation_into_account_on_the_contacts_next_request(cast, client_for, bystander_ticket):
    contact = _client_for(cast.contact)
    organisation_scope = reverse("tickets:my_requests") + "?scope=organisation"
    bystander_page = reverse("tickets:detail", args=[bystander_ticket.pk])
    assert contact.get(organisation_scope).status_code == 200
    assert contact.get(bystander_page).status_code == 200

    _run_action(client_for(cast.admin), GRANTS, "revoke", cast.grant)

    assert contact.get(organisation_scope).status_code == 400
    assert contact.get(bystander_page).status_code == 404


def test_it_takes_a_grant_into_account_on_the_next_request(
    cast, client_for, contact_ask, second_contact, bystander_ticket
):
    person = _client_for(second_contact)
    bystander_page = reverse("tickets:detail", args=[bystander_ticket.pk])
    assert person.get(bystander_page).status_code == 404

    _press(client_for(cast.admin), contact_ask, "_grant")

    assert person.get(bystander_page).status_code == 200


# --- Abuse: people who left, double grants, moves ---------------------------------------------------------


def test_it_refuses_to_grant_the_ask_of_a_person_moved_to_another_organisation(
    cast, client_for, contact_ask, second_contact
):
    client = client_for(cast.admin)
    _move(client, second_contact, cast.other_org)

    response = _run_action(client, ASKS, "grant_selected", contact_ask)

    contact_ask.refresh_from_db()
    assert ("error", "Sam Second: This ask was already decided: Withdrawn.") in flash_messages(response)
    assert contact_ask.state == "withdrawn"
    assert not OrganisationAccess.objects.filter(user=second_contact).exists()


def test_it_refuses_to_grant_the_ask_of_a_deactivated_person(cast, client_for, contact_ask, second_contact):
    client = client_for(cast.admin)
    url = reverse("admin:accounts_user_change", args=[second_contact.pk])
    data = form_data(client.get(url), "user_form")
    del data["is_active"]
    assert client.post(url, data).status_code == 302
    second_contact.refresh_from_db()
    assert second_contact.is_active is False

    response = _press(client, contact_ask, "_grant")

    contact_ask.refresh_from_db()
    assert ("error", "Sam Second is no longer in Northwind.") in flash_messages(response)
    assert contact_ask.state == "pending"
    assert not OrganisationAccess.objects.filter(user=second_contact).exists()


def test_it_refuses_to_grant_the_same_ask_twice(cast, client_for, contact_ask, second_contact):
    client = client_for(cast.admin)
    _run_action(client, ASKS, "grant_selected", contact_ask)
    first = OrganisationAccess.objects.get(user=second_contact)

    by_action = _run_action(client, ASKS, "grant_selected", contact_ask)
    by_button = client.post(reverse("admin:accounts_accessrequest_change", args=[contact_ask.pk]), {"_grant": "1"})

    assert ("error", "Sam Second: This ask was already decided: Granted.") in flash_messages(by_action)
    assert ("info", "Decided 1 ask.") not in flash_messages(by_action)
    assert by_button.status_code == 302
    assert ("error", "This ask was already decided: Granted.") in flash_messages(client.get(by_button["Location"]))
    assert list(OrganisationAccess.objects.filter(user=second_contact)) == [first]


def test_it_revokes_the_grant_of_a_person_moved_through_their_admin_page(cast, client_for, bystander_ticket):
    contact = _client_for(cast.contact)
    bystander_page = reverse("tickets:detail", args=[bystander_ticket.pk])
    assert contact.get(bystander_page).status_code == 200

    response = _move(client_for(cast.admin), cast.contact, cast.other_org)

    cast.contact.refresh_from_db()
    cast.grant.refresh_from_db()
    assert response.redirect_chain == [(reverse("admin:accounts_user_changelist"), 302)]
    assert [level for level, page_text in flash_messages(response)] == ["success"]
    assert cast.contact.organisation == cast.other_org
    assert cast.grant.revoked_by == cast.admin
    assert cast.grant.revoked_at is not None
    assert contact.get(bystander_page).status_code == 404


def test_it_withdraws_the_pending_asks_of_a_person_moved_through_their_admin_page(
    cast, client_for, contact_ask, second_contact
):
    _move(client_for(cast.admin), second_contact, cast.other_org)

    contact_ask.refresh_from_db()
    second_contact.refresh_from_db()
    assert second_contact.organisation == cast.other_org
    assert contact_ask.state == "withdrawn"
    assert contact_ask.decided_at is not None
    assert not AccessRequest.objects.filter(person=second_contact, state="pending").exists()


def test_it_hides_the_old_organisations_requests_a_moved_person_is_cc_d_on(cast, client_for):
    colleague = _client_for(cast.colleague)
    old_request = reverse("tickets:detail", args=[cast.ticket.pk])
    assert colleague.get(old_request).status_code == 200

    _move(client_for(cast.admin), cast.colleague, cast.other_org)

    cast.colleague.refresh_from_db()
    assert cast.colleague.organisation == cast.other_org
    assert colleague.get(old_request).status_code == 404
    assert cast.ticket.subject not in colleague.get(reverse("tickets:my_requests")).content.decode()
