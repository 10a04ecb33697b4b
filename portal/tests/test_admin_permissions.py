"""Who may do what in the Django admin (issue #4, point 5).

Site admins (superusers) do everything; agents (staff in the "Agents" group) view requests, people,
organisations, grants, asks and the policy and change requests only through the workflow fields; staff outside
the group see no models; customers never reach the admin at all, not even with their correct password."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts import actions
from accounts.models import OrganisationAccess
from portal.tests.factories import PASSWORD, StaffFactory, UserFactory
from tickets.models import EventKind, TicketEvent
from workflow.models import PriorityPolicy

pytestmark = pytest.mark.django_db

ADMIN_LOGIN = reverse("admin:login")
CUSTOMERS = ["requester", "colleague", "contact", "outsider"]
STAFF = ["admin", "agent", "staff"]


def _url(name: str, *args) -> Callable:
    return lambda world: reverse(f"admin:{name}", args=[arg(world) for arg in args])


def _pk(attribute: str) -> Callable:
    return lambda world: getattr(world, attribute).pk


# Each admin page, and what the site admin, an agent and a staff user outside the Agents group get there.
# Customers get none of them: every one sends them to the admin's sign-in.
PAGES = {
    "index": (_url("index"), 200, 200, 200),
    "people": (_url("accounts_user_changelist"), 200, 200, 403),
    "person": (_url("accounts_user_change", _pk("requester")), 200, 200, 403),
    "add person": (_url("accounts_user_add"), 200, 403, 403),
    "organisations": (_url("accounts_organisation_changelist"), 200, 200, 403),
    "organisation": (_url("accounts_organisation_change", _pk("org")), 200, 200, 403),
    "add organisation": (_url("accounts_organisation_add"), 200, 403, 403),
    "grants": (_url("accounts_organisationaccess_changelist"), 200, 200, 403),
    "grant": (_url("accounts_organisationaccess_change", _pk("grant")), 200, 200, 403),
    "add grant": (_url("accounts_organisationaccess_add"), 403, 403, 403),
    "asks": (_url("accounts_accessrequest_changelist"), 200, 200, 403),
    "ask": (_url("accounts_accessrequest_change", _pk("ask")), 200, 200, 403),
    "add ask": (_url("accounts_accessrequest_add"), 403, 403, 403),
    "requests": (_url("tickets_ticket_changelist"), 200, 200, 403),
    "request": (_url("tickets_ticket_change", _pk("ticket")), 200, 200, 403),
    "add request": (_url("tickets_ticket_add"), 403, 403, 403),
    "policies": (_url("workflow_prioritypolicy_changelist"), 200, 200, 403),
    "policy": (_url("workflow_prioritypolicy_change", _pk("policy")), 200, 200, 403),
    "add policy": (_url("workflow_prioritypolicy_add"), 403, 403, 403),
}


@pytest.fixture
def world(cast):
    """The cast, with the agent in the Agents group, a staff user outside it, a pending ask and a policy."""
    cast.agent.groups.add(Group.objects.get(name="Agents"))
    cast.staff = StaffFactory(email="staff@support.example", full_name="Stu Staff")
    cast.asker = UserFactory(
        email="second.contact@northwind.example",
        full_name="Sam Second",
        organisation=cast.org,
        is_technical_contact=True,
    )
    cast.ask = actions.ask_for_access(person=cast.asker)
    cast.policy = PriorityPolicy.objects.get(priority="S1")
    return cast


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- The table: persona × page ----------------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("persona", CUSTOMERS + STAFF)
def test_it_answers_each_persona_on_each_admin_page_as_their_role_allows(world, persona, page):
    build, *answers = PAGES[page]
    url = build(world)

    response = _signed_in(getattr(world, persona)).get(url)

    if persona in CUSTOMERS:
        assert response.status_code == 302
        assert response["Location"] == f"{ADMIN_LOGIN}?next={url}"
    else:
        assert response.status_code == dict(zip(STAFF, answers, strict=True))[persona]


# --- The admin's sign-in is the portal's ------------------------------------------------------------------


@pytest.mark.parametrize("persona", CUSTOMERS)
def test_it_gives_customers_no_admin_even_with_their_correct_password(world, persona):
    person = getattr(world, persona)
    client = Client()

    # Credentials posted to the admin's old form sign nobody in: it only sends people to the portal's.
    assert client.post(ADMIN_LOGIN, {"username": person.email, "password": PASSWORD}).status_code == 405
    assert "_auth_user_id" not in client.session
    client.post(reverse("account_login"), {"login": person.email, "password": PASSWORD, "next": "/admin/"})
    assert client.session["_auth_user_id"] == str(person.pk)
    assert client.get(reverse("admin:index"))["Location"] == f"{ADMIN_LOGIN}?next=/admin/"
    assert client.get(f"{ADMIN_LOGIN}?next=/admin/")["Location"] == reverse("home")


def test_it_sends_the_admin_sign_in_to_the_portal_s_and_back(world):
    client = Client()

    response = client.get(f"{ADMIN_LOGIN}?next=/admin/tickets/ticket/")
    assert response["Location"] == f"{reverse('account_login')}?next=%2Fadmin%2Ftickets%2Fticket%2F"
    response = client.post(
        reverse("account_login"), {"login": world.agent.email, "password": PASSWORD, "next": "/admin/tickets/ticket/"}
    )

    assert response.status_code == 302 and response["Location"] == "/admin/tickets/ticket/"
    assert client.session["_auth_user_id"] == str(world.agent.pk)
    assert client.get("/admin/").status_code == 200
    assert client.get(f"{ADMIN_LOGIN}?next=https://evil.example/")["Location"] == reverse("admin:index")


# --- What each role sees on the index ---------------------------------------------------------------------


def _models_on_index(user) -> dict[str, set[str]]:
    response = _signed_in(user).get(reverse("admin:index"))
    assert response.status_code == 200
    return {app["app_label"]: {model["object_name"] for model in app["models"]} for app in response.context["app_list"]}


def test_it_shows_a_staff_user_outside_the_agents_group_no_models(world):
    assert _models_on_index(world.staff) == {}


def test_it_shows_agents_the_models_they_may_view_and_not_groups(world):
    assert _models_on_index(world.agent) == {
        "accounts": {"User", "Organisation", "OrganisationAccess", "AccessRequest"},
        "tickets": {"Ticket", "Reply"},
        "workflow": {"PriorityPolicy"},
    }


def test_it_shows_site_admins_every_model(world):
    registered: dict[str, set[str]] = {}
    for model in admin.site._registry:
        registered.setdefault(model._meta.app_label, set()).add(model._meta.object_name)

    models = _models_on_index(world.admin)

    assert models == registered
    assert {"User", "Organisation", "OrganisationAccess", "AccessRequest"} <= models["accounts"]
    assert "PriorityPolicy" in models["workflow"]


# --- Agents: requests through the workflow, nothing else changed ------------------------------------------


def test_it_offers_agents_the_workflow_fields_on_a_requests_page(world):
    html = _signed_in(world.agent).get(reverse("admin:tickets_ticket_change", args=[world.ticket.pk])).content.decode()

    assert '<select name="new_status" id="id_new_status">' in html
    assert '<select name="new_priority" id="id_new_priority">' in html
    assert f'name="opened_version" value="{world.ticket.version}"' in html
    assert 'name="_save"' in html


def test_it_lets_an_agent_change_a_request_through_the_workflow_fields(world):
    url = reverse("admin:tickets_ticket_change", args=[world.ticket.pk])

    response = _signed_in(world.agent).post(
        url,
        {
            "new_status": "on_hold",
            "new_priority": "",
            "reason": "Waiting for engineering.",
            "opened_version": world.ticket.version,
            "events-TOTAL_FORMS": "0",
            "events-INITIAL_FORMS": "0",
            "events-MIN_NUM_FORMS": "0",
            "events-MAX_NUM_FORMS": "0",
        },
    )

    world.ticket.refresh_from_db()
    assert response.status_code == 302
    assert world.ticket.status == "on_hold"
    assert list(
        TicketEvent.objects.filter(ticket=world.ticket, kind=EventKind.STATUS).values_list("actor", flat=True)
    ) == [world.agent.pk]


def test_it_refuses_an_agent_changing_a_person(world):
    url = reverse("admin:accounts_user_change", args=[world.requester.pk])

    response = _signed_in(world.agent).post(
        url,
        {
            "email": world.requester.email,
            "full_name": "Renamed By Agent",
            "organisation": world.other_org.pk,
            "is_active": "on",
            "is_org_admin": "on",
            "organisation_grants-TOTAL_FORMS": "0",
            "organisation_grants-INITIAL_FORMS": "0",
            "access_requests-TOTAL_FORMS": "0",
            "access_requests-INITIAL_FORMS": "0",
        },
    )

    world.requester.refresh_from_db()
    assert response.status_code == 403
    assert (world.requester.full_name, world.requester.organisation, world.requester.is_org_admin) == (
        "Rita Requester",
        world.org,
        False,
    )


def test_it_refuses_an_agent_sending_password_links(world):
    people = reverse("admin:accounts_user_changelist")
    client = _signed_in(world.agent)

    html = client.get(people).content.decode()
    client.post(people, {"action": "email_password_link", "_selected_action": [world.requester.pk], "index": 0})

    assert 'value="email_password_link"' not in html
    assert mail.outbox == []


def test_it_refuses_an_agent_editing_the_policy(world):
    url = reverse("admin:workflow_prioritypolicy_change", args=[world.policy.pk])
    before = PriorityPolicy.objects.values().get(pk=world.policy.pk)
    client = _signed_in(world.agent)

    response = client.post(
        url,
        {"first_response": "00:01:00", "reminder_every": "00:01:00", "reminders": "9", "auto_solve_after": "00:01:00"},
    )
    listing = client.get(reverse("admin:workflow_prioritypolicy_changelist")).content.decode()

    assert response.status_code == 403
    assert PriorityPolicy.objects.values().get(pk=world.policy.pk) == before
    assert 'name="form-0-first_response"' not in listing


def test_it_lets_a_site_admin_edit_the_policy_in_the_list(world):
    # The counterpart of the agent's refusal above: the same list is editable for a site admin.
    listing = _signed_in(world.admin).get(reverse("admin:workflow_prioritypolicy_changelist")).content.decode()

    assert 'name="form-0-first_response"' in listing


# --- Agents: no decisions on organisation-level access ----------------------------------------------------


def test_it_shows_grant_and_decline_actions_to_site_admins_only(world):
    asks = reverse("admin:accounts_accessrequest_changelist")

    admin_html = _signed_in(world.admin).get(asks).content.decode()
    agent_html = _signed_in(world.agent).get(asks).content.decode()

    assert 'value="grant_selected"' in admin_html
    assert 'value="decline_selected"' in admin_html
    assert 'value="grant_selected"' not in agent_html
    assert 'value="decline_selected"' not in agent_html


@pytest.mark.parametrize("action", ["grant_selected", "decline_selected"])
def test_it_does_nothing_when_an_agent_posts_a_decision_action(world, action):
    asks = reverse("admin:accounts_accessrequest_changelist")

    _signed_in(world.agent).post(asks, {"action": action, "_selected_action": [world.ask.pk], "index": 0})

    world.ask.refresh_from_db()
    assert (world.ask.state, world.ask.decided_by) == ("pending", None)
    assert not OrganisationAccess.objects.filter(user=world.asker).exists()


@pytest.mark.parametrize("button", ["_grant", "_decline"])
def test_it_refuses_an_agent_pressing_a_decision_button_on_an_ask(world, button):
    url = reverse("admin:accounts_accessrequest_change", args=[world.ask.pk])

    response = _signed_in(world.agent).post(url, {button: "1", "decision_note": "No."})

    world.ask.refresh_from_db()
    assert response.status_code == 403
    assert (world.ask.state, world.ask.decision_note) == ("pending", "")
    assert not OrganisationAccess.objects.filter(user=world.asker).exists()


def test_it_shows_agents_no_grant_or_decline_button_on_an_ask(world):
    url = reverse("admin:accounts_accessrequest_change", args=[world.ask.pk])

    html = _signed_in(world.agent).get(url).content.decode()

    assert 'name="_grant"' not in html
    assert 'name="_decline"' not in html


def test_it_shows_the_revoke_action_to_site_admins_only(world):
    grants = reverse("admin:accounts_organisationaccess_changelist")

    assert 'value="revoke"' in _signed_in(world.admin).get(grants).content.decode()
    assert 'value="revoke"' not in _signed_in(world.agent).get(grants).content.decode()


def test_it_does_nothing_when_an_agent_posts_the_revoke_action(world):
    grants = reverse("admin:accounts_organisationaccess_changelist")

    _signed_in(world.agent).post(grants, {"action": "revoke", "_selected_action": [world.grant.pk], "index": 0})

    world.grant.refresh_from_db()
    assert (world.grant.revoked_at, world.grant.revoked_by) == (None, None)
    assert OrganisationAccess.objects.active().filter(user=world.contact).exists()
