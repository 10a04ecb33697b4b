"""People and organisations in the Django admin (issue #4, points 4 and 6): what the lists and pages show, the
password-link action, inviting a person from the add page, and list pages whose query count does not grow
with the number of rows."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from accounts.models import AccessRequest, User
from portal.tests.admin_pages import changelist_rows, flash_messages, form_data, inline_rows
from portal.tests.factories import OrganisationAccessFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

PEOPLE = reverse("admin:accounts_user_changelist")
ADD_PERSON = reverse("admin:accounts_user_add")
ORGANISATIONS = reverse("admin:accounts_organisation_changelist")
GRANTS = reverse("admin:accounts_organisationaccess_changelist")
ASKS = reverse("admin:accounts_accessrequest_changelist")
NEW_PASSWORD = "lantern-orchard-velvet-42"
RESET_LINK = re.compile(r"http://testserver(/accounts/password/reset/key/\S+/)")


# --- Helpers ----------------------------------------------------------------------------------------------


def _reset_link(message) -> str:
    link = RESET_LINK.search(message.body)
    assert link, message.body
    return link.group(1)


def _choose_password_and_sign_in(link: str, email: str) -> Client:
    """Follow the emailed link as the person would, in a browser of their own, then sign in."""
    browser = Client()
    response = browser.get(link)
    assert response.status_code == 302
    set_password = response["Location"]
    assert set_password.endswith("-set-password/")
    assert browser.get(set_password).status_code == 200
    chosen = browser.post(set_password, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert chosen.status_code == 302
    assert chosen["Location"] == reverse("account_reset_password_from_key_done")
    browser.post(reverse("account_login"), {"login": email, "password": NEW_PASSWORD})
    return browser


def _add_person(client, **fields):
    """The add page, filled in and saved as a site admin would."""
    data = form_data(client.get(ADD_PERSON), "user_form")
    for name, value in fields.items():
        if value is True:
            data[name] = ["on"]
        elif value is False:
            data.pop(name, None)
        else:
            data[name] = [str(value)]
    return client.post(ADD_PERSON, data, follow=True)


def _query_count(client, url: str, rows: int) -> int:
    client.get(url)  # warm up: whatever a first request caches is not the list's cost
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == rows
    return len(queries)


# --- Organisations ----------------------------------------------------------------------------------------


def test_it_lists_organisations_with_members_technical_contacts_and_current_grants(cast, client_for):
    second = UserFactory(organisation=cast.org, is_technical_contact=True)
    OrganisationAccessFactory(
        user=second, organisation=cast.org, revoked_by=cast.admin, revoked_at=cast.ticket.created_at
    )

    response = client_for(cast.admin).get(ORGANISATIONS)

    counts = {
        row["name"]: (row["member_count"], row["technical_contacts"], row["grant_count"])
        for row in changelist_rows(response)
    }
    # Northwind: requester, colleague, bystander, the contact and the second contact; one grant is revoked.
    assert counts == {"Northwind": ("5", "2", "1"), "Globex": ("1", "0", "0")}


def test_it_shows_members_and_current_grants_on_the_organisations_page(cast, client_for):
    response = client_for(cast.admin).get(reverse("admin:accounts_organisation_change", args=[cast.org.pk]))

    members = {row["email"]: row for row in inline_rows(response, "members")}
    assert set(members) == {
        "requester@northwind.example",
        "colleague@northwind.example",
        "bystander@northwind.example",
        "contact@northwind.example",
    }
    assert members["contact@northwind.example"]["full_name"] == "Tess Contact"
    assert [email for email, row in members.items() if row["is_technical_contact"] == "True"] == [
        "contact@northwind.example"
    ]
    assert {row["is_active"] for row in members.values()} == {"True"}
    [grant] = inline_rows(response, "access_grants")
    assert (grant["user"], grant["revoked_at"]) == ("Tess Contact", "-")


# --- People -----------------------------------------------------------------------------------------------


def test_it_shows_a_persons_roles_organisation_and_active_state_on_their_page(cast, client_for):
    boss = UserFactory(full_name="Bo Boss", organisation=cast.other_org, is_org_admin=True, is_active=False)
    client = client_for(cast.admin)

    contact_page = client.get(reverse("admin:accounts_user_change", args=[cast.contact.pk]))
    boss_page = client.get(reverse("admin:accounts_user_change", args=[boss.pk]))

    contact = form_data(contact_page, "user_form")
    assert (contact["organisation"], contact.get("is_technical_contact"), contact.get("is_org_admin")) == (
        [str(cast.org.pk)],
        ["on"],
        None,
    )
    assert (contact.get("is_active"), contact.get("is_staff")) == (["on"], None)
    assert f'<option value="{cast.org.pk}" selected>Northwind</option>' in contact_page.content.decode()
    other = form_data(boss_page, "user_form")
    assert (other["organisation"], other.get("is_technical_contact"), other.get("is_org_admin")) == (
        [str(cast.other_org.pk)],
        None,
        ["on"],
    )
    assert other.get("is_active") is None


def test_it_lists_people_with_their_organisation_and_roles(cast, client_for):
    response = client_for(cast.admin).get(PEOPLE)

    rows = {row["email"]: row for row in changelist_rows(response)}
    assert rows["contact@northwind.example"]["organisation"] == "Northwind"
    assert rows["outsider@globex.example"]["organisation"] == "Globex"
    assert rows["agent@support.example"]["organisation"] == "-"
    assert set(rows) == {person.email for person in User.objects.all()}


def test_it_emails_a_working_password_link_with_the_admin_action(cast, client_for):
    response = client_for(cast.admin).post(
        PEOPLE, {"action": "email_password_link", "_selected_action": [cast.requester.pk], "index": 0}, follow=True
    )

    assert ("info", "Sent 1 password link.") in flash_messages(response)
    [message] = mail.outbox
    assert message.to == ["requester@northwind.example"]
    browser = _choose_password_and_sign_in(_reset_link(message), cast.requester.email)
    assert browser.session.get("_auth_user_id") == str(cast.requester.pk)
    cast.requester.refresh_from_db()
    assert cast.requester.check_password(NEW_PASSWORD)


def test_it_sends_no_password_link_to_a_deactivated_person(cast, client_for):
    cast.bystander.is_active = False
    cast.bystander.save(update_fields=["is_active"])

    response = client_for(cast.admin).post(
        PEOPLE,
        {"action": "email_password_link", "_selected_action": [cast.bystander.pk, cast.colleague.pk], "index": 0},
        follow=True,
    )

    assert ("info", "Sent 1 password link.") in flash_messages(response)
    assert [message.to for message in mail.outbox] == [["colleague@northwind.example"]]


# --- Invitations ------------------------------------------------------------------------------------------


def test_it_offers_no_password_fields_on_the_add_page(cast, client_for):
    data = form_data(client_for(cast.admin).get(ADD_PERSON), "user_form")

    assert {"email", "full_name", "organisation"} <= set(data)
    assert not [name for name in data if "password" in name]


def test_it_invites_a_person_added_by_a_site_admin(cast, client_for):
    response = _add_person(
        client_for(cast.admin),
        email="new.person@northwind.example",
        full_name="Nina New",
        organisation=cast.org.pk,
        is_technical_contact=True,
    )

    person = User.objects.get(email="new.person@northwind.example")
    assert (person.full_name, person.organisation, person.is_technical_contact, person.is_staff) == (
        "Nina New",
        cast.org,
        True,
        False,
    )
    assert not person.has_usable_password()
    assert ("info", "new.person@northwind.example was emailed a link to choose a password.") in flash_messages(response)
    [message] = mail.outbox
    assert message.to == ["new.person@northwind.example"]
    browser = _choose_password_and_sign_in(_reset_link(message), "new.person@northwind.example")
    assert browser.session.get("_auth_user_id") == str(person.pk)


def test_an_invited_persons_link_arrives_in_the_language_the_admin_chose(cast, client_for):
    _add_person(
        client_for(cast.admin),
        email="yuki@northwind.example",
        full_name="Yuki Sato",
        organisation=cast.org.pk,
        language="ja",
        time_zone="Asia/Tokyo",
    )

    person = User.objects.get(email="yuki@northwind.example")
    assert (person.language, person.time_zone) == ("ja", "Asia/Tokyo")
    [message] = mail.outbox
    with translation.override("ja"):
        prefix = gettext("[Support] %(subject)s") % {"subject": ""}
    assert message.subject.startswith(prefix) and re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", message.body)


def test_it_stores_an_invited_persons_email_in_lower_case(cast, client_for):
    _add_person(
        client_for(cast.admin), email="Mixed.Case@Northwind.example", full_name="Max Mixed", organisation=cast.org.pk
    )

    assert User.objects.filter(email="mixed.case@northwind.example").exists()
    assert [message.to for message in mail.outbox] == [["mixed.case@northwind.example"]]


def test_it_refuses_to_add_an_existing_address_written_in_other_case(cast, client_for):
    response = _add_person(
        client_for(cast.admin), email="Requester@Northwind.example", full_name="Rita Again", organisation=cast.org.pk
    )

    assert response.status_code == 200
    assert "email" in response.context["adminform"].form.errors
    assert User.objects.filter(email__iexact="requester@northwind.example").count() == 1
    assert mail.outbox == []


def test_it_refuses_to_add_a_customer_without_an_organisation(cast, client_for):
    response = _add_person(client_for(cast.admin), email="nobody@northwind.example", full_name="No Org")

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["organisation"] == [
        "A customer belongs to an organisation; agents belong to none."
    ]
    assert not User.objects.filter(email="nobody@northwind.example").exists()
    assert mail.outbox == []


def test_it_refuses_to_add_an_agent_with_an_organisation(cast, client_for):
    response = _add_person(
        client_for(cast.admin),
        email="agent.two@support.example",
        full_name="Al Agent",
        organisation=cast.org.pk,
        is_staff=True,
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["organisation"] == ["Agents belong to no organisation."]
    assert not User.objects.filter(email="agent.two@support.example").exists()
    assert mail.outbox == []


def test_it_adds_an_agent_to_the_agents_group_and_invites_them(cast, client_for):
    _add_person(client_for(cast.admin), email="agent.two@support.example", full_name="Al Agent", is_staff=True)

    agent = User.objects.get(email="agent.two@support.example")
    assert (agent.is_staff, agent.is_superuser, agent.organisation) == (True, False, None)
    assert list(agent.groups.all()) == [Group.objects.get(name="Agents")]
    assert not agent.has_usable_password()
    assert [message.to for message in mail.outbox] == [["agent.two@support.example"]]


def test_it_keeps_the_allauth_sign_up_closed(client):
    response = client.get(reverse("account_signup"))

    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="password1"' not in html
    assert "<form" not in html.split('<main id="main-content"', 1)[1]


# --- List pages stay fast ---------------------------------------------------------------------------------


def _organisations(count: int) -> list:
    return [OrganisationFactory(name=f"Tenant {n}") for n in range(count)]


def test_it_lists_people_in_a_constant_number_of_queries(cast, client_for):
    client = client_for(cast.admin)
    tenants = _organisations(3)
    for n in range(3):
        UserFactory(organisation=tenants[n % 3])
    base = User.objects.count()
    few = _query_count(client, PEOPLE, base)

    for n in range(27):
        UserFactory(organisation=tenants[n % 3], is_technical_contact=n % 2 == 0)

    assert _query_count(client, PEOPLE, base + 27) == few


def test_it_lists_organisations_in_a_constant_number_of_queries(cast, client_for):
    client = client_for(cast.admin)

    def tenant_with_people(n: int) -> None:
        tenant = OrganisationFactory(name=f"Tenant {n}")
        UserFactory(organisation=tenant)
        OrganisationAccessFactory(user=UserFactory(organisation=tenant, is_technical_contact=True), organisation=tenant)

    for n in range(3):
        tenant_with_people(n)
    few = _query_count(client, ORGANISATIONS, 2 + 3)

    for n in range(3, 30):
        tenant_with_people(n)

    assert _query_count(client, ORGANISATIONS, 2 + 30) == few


def test_it_lists_grants_in_a_constant_number_of_queries(cast, client_for):
    client = client_for(cast.admin)
    tenants = _organisations(3)

    def grant(n: int) -> None:
        holder = UserFactory(organisation=tenants[n % 3], is_technical_contact=True)
        revoked = {"revoked_by": cast.admin, "revoked_at": cast.ticket.created_at} if n % 2 else {}
        OrganisationAccessFactory(user=holder, organisation=holder.organisation, granted_by=cast.admin, **revoked)

    for n in range(3):
        grant(n)
    few = _query_count(client, GRANTS, 1 + 3)

    for n in range(3, 30):
        grant(n)

    assert _query_count(client, GRANTS, 1 + 30) == few


def test_it_lists_asks_in_a_constant_number_of_queries(cast, client_for):
    client = client_for(cast.admin)
    tenants = _organisations(3)
    approvers = [UserFactory(organisation=tenant, is_technical_contact=True) for tenant in tenants]

    def ask(n: int) -> None:
        tenant = tenants[n % 3]
        person = UserFactory(organisation=tenant, is_org_admin=True)
        decided = {"state": "declined", "decided_by": cast.admin, "decided_at": cast.ticket.created_at} if n % 2 else {}
        AccessRequest.objects.create(
            person=person, organisation=tenant, approver=approvers[n % 3], approval="pending", **decided
        )

    for n in range(3):
        ask(n)
    few = _query_count(client, ASKS, 3)

    for n in range(3, 30):
        ask(n)

    assert _query_count(client, ASKS, 30) == few
