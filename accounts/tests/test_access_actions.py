"""`accounts.actions`: asking for, approving, granting, declining, withdrawing and revoking organisation-level
access, and moving a person between organisations (SPEC §11, issue #4)."""

from __future__ import annotations

import pytest

from accounts import actions
from accounts.models import AccessRequest, OrganisationAccess, holds_organisation_access
from portal.tests.factories import TicketFactory, UserFactory
from tickets.models import EventKind, Ticket, TicketEvent

State, Approval = AccessRequest.State, AccessRequest.Approval


@pytest.fixture
def people(cast):
    """An organisation administrator and a second technical contact (without a grant) of the cast's org."""
    org_admin = UserFactory(organisation=cast.org, is_org_admin=True, full_name="Ada Orgadmin")
    second_contact = UserFactory(organisation=cast.org, is_technical_contact=True, full_name="Tom Second")
    return org_admin, second_contact


def test_a_technical_contact_asks_in_one_step_and_the_ask_is_a_request(cast, people):
    _, contact = people
    ask = actions.ask_for_access(person=contact)
    assert (ask.state, ask.approval, ask.approver) == (State.PENDING, Approval.NOT_NEEDED, None)
    assert ask.ticket.requester == contact and ask.ticket.organisation == cast.org
    assert "Organisation-level access" in ask.ticket.subject
    assert ask.can_be_granted


def test_an_administrator_names_the_approving_contact_who_is_copied_on_the_request(cast, people):
    org_admin, contact = people
    ask = actions.ask_for_access(person=org_admin, approver=contact)
    assert (ask.approval, ask.approver) == (Approval.PENDING, contact)
    assert list(ask.ticket.ccs.all()) == [contact]
    assert not ask.can_be_granted
    assert ask.ticket in Ticket.objects.visible_to(contact)


@pytest.mark.parametrize("who", ["nobody", "self", "plain_colleague", "other_org_contact", "inactive_contact"])
def test_an_administrator_must_name_an_active_contact_of_the_same_organisation(cast, people, who):
    org_admin, _ = people
    approver = {
        "nobody": None,
        "self": org_admin,
        "plain_colleague": cast.colleague,
        "other_org_contact": UserFactory(organisation=cast.other_org, is_technical_contact=True),
        "inactive_contact": UserFactory(organisation=cast.org, is_technical_contact=True, is_active=False),
    }[who]
    before = Ticket.objects.count()
    with pytest.raises(actions.AccessRefused):
        actions.ask_for_access(person=org_admin, approver=approver)
    assert AccessRequest.objects.count() == 0 and Ticket.objects.count() == before


@pytest.mark.parametrize("persona", ["requester", "agent", "contact"])
def test_others_cannot_ask(cast, persona):
    # a plain customer, an agent, and someone who already holds access
    with pytest.raises(actions.AccessRefused):
        actions.ask_for_access(person=getattr(cast, persona))
    assert AccessRequest.objects.count() == 0


def test_one_pending_ask_at_a_time(cast, people):
    _, contact = people
    actions.ask_for_access(person=contact)
    with pytest.raises(actions.AccessRefused, match="already have an ask"):
        actions.ask_for_access(person=contact)
    assert AccessRequest.objects.count() == 1


def test_the_named_contact_approves_and_a_site_admin_then_grants(cast, people):
    org_admin, contact = people
    ask = actions.ask_for_access(person=org_admin, approver=contact)
    actions.decide_approval(ask=ask, approver=contact, approve=True)
    ask.refresh_from_db()
    assert ask.approval == Approval.APPROVED and ask.approval_decided_at is not None and ask.is_pending
    assert not holds_organisation_access(org_admin)
    access = actions.grant(ask=ask, admin=cast.admin)
    ask.refresh_from_db()
    assert (ask.state, ask.decided_by, ask.grant) == (State.GRANTED, cast.admin, access)
    assert (access.user, access.organisation, access.granted_by) == (org_admin, cast.org, cast.admin)
    assert holds_organisation_access(org_admin)
    decisions = TicketEvent.objects.filter(ticket=ask.ticket, kind=EventKind.ACCESS)
    assert [event.actor for event in decisions] == [contact, cast.admin]


def test_a_declined_approval_ends_the_ask(cast, people):
    org_admin, contact = people
    ask = actions.ask_for_access(person=org_admin, approver=contact)
    actions.decide_approval(ask=ask, approver=contact, approve=False)
    ask.refresh_from_db()
    assert (ask.state, ask.approval) == (State.DECLINED, Approval.DECLINED)
    with pytest.raises(actions.AccessRefused):
        actions.grant(ask=ask, admin=cast.admin)


@pytest.mark.parametrize("who", ["asker", "other_contact", "other_org_contact", "agent", "admin"])
def test_nobody_but_the_named_contact_can_approve(cast, people, who):
    org_admin, contact = people
    ask = actions.ask_for_access(person=org_admin, approver=contact)
    someone = {
        "asker": org_admin,
        "other_contact": cast.contact,
        "other_org_contact": UserFactory(organisation=cast.other_org, is_technical_contact=True),
        "agent": cast.agent,
        "admin": cast.admin,
    }[who]
    with pytest.raises(actions.AccessRefused):
        actions.decide_approval(ask=ask, approver=someone, approve=True)
    ask.refresh_from_db()
    assert ask.approval == Approval.PENDING


def test_a_contact_who_lost_the_role_can_no_longer_approve(cast, people):
    org_admin, contact = people
    ask = actions.ask_for_access(person=org_admin, approver=contact)
    contact.is_technical_contact = False
    contact.save()
    with pytest.raises(actions.AccessRefused):
        actions.decide_approval(ask=ask, approver=contact, approve=True)


def test_approving_twice_is_refused(cast, people):
    org_admin, contact = people
    ask = actions.ask_for_access(person=org_admin, approver=contact)
    actions.decide_approval(ask=ask, approver=contact, approve=True)
    with pytest.raises(actions.AccessRefused, match="already decided: Approved"):
        actions.decide_approval(ask=ask, approver=contact, approve=False)
    ask.refresh_from_db()
    assert ask.approval == Approval.APPROVED


def test_approving_after_the_ask_was_withdrawn_is_refused(cast, people):
    org_admin, contact = people
    ask = actions.ask_for_access(person=org_admin, approver=contact)
    actions.withdraw(ask=ask, person=org_admin)
    with pytest.raises(actions.AccessRefused, match="already decided: Withdrawn"):
        actions.decide_approval(ask=ask, approver=contact, approve=True)
    with pytest.raises(actions.AccessRefused):
        actions.grant(ask=ask, admin=cast.admin)
    assert not OrganisationAccess.objects.filter(user=org_admin).exists()


def test_only_the_asker_withdraws(cast, people):
    org_admin, contact = people
    ask = actions.ask_for_access(person=org_admin, approver=contact)
    with pytest.raises(actions.AccessRefused):
        actions.withdraw(ask=ask, person=contact)


def test_granting_twice_is_refused(cast, people):
    _, contact = people
    ask = actions.ask_for_access(person=contact)
    actions.grant(ask=ask, admin=cast.admin)
    with pytest.raises(actions.AccessRefused, match="already decided: Granted"):
        actions.grant(ask=ask, admin=cast.admin)
    assert OrganisationAccess.objects.filter(user=contact).count() == 1


@pytest.mark.parametrize("change", ["left", "deactivated", "lost_role"])
def test_a_person_who_left_or_lost_the_role_is_not_granted(cast, people, change):
    _, contact = people
    ask = actions.ask_for_access(person=contact)
    if change == "left":
        contact.organisation = cast.other_org
    elif change == "deactivated":
        contact.is_active = False
    else:
        contact.is_technical_contact = False
    contact.save()
    with pytest.raises(actions.AccessRefused):
        actions.grant(ask=ask, admin=cast.admin)
    assert not OrganisationAccess.objects.filter(user=contact).exists()


def test_only_site_admins_grant_decline_and_revoke(cast, people):
    _, contact = people
    ask = actions.ask_for_access(person=contact)
    for call in [
        lambda: actions.grant(ask=ask, admin=cast.agent),
        lambda: actions.decline(ask=ask, admin=cast.agent),
        lambda: actions.revoke(access=cast.grant, admin=cast.agent),
        lambda: actions.grant(ask=ask, admin=cast.contact),
    ]:
        with pytest.raises(actions.AccessRefused):
            call()
    ask.refresh_from_db()
    cast.grant.refresh_from_db()
    assert ask.is_pending and cast.grant.revoked_at is None


def test_revoking_takes_effect_at_once_and_is_recorded(cast):
    extra = TicketFactory(requester=cast.bystander)
    assert extra in Ticket.objects.visible_to(cast.contact)
    actions.revoke(access=cast.grant, admin=cast.admin)
    cast.grant.refresh_from_db()
    assert cast.grant.revoked_by == cast.admin and cast.grant.revoked_at is not None
    assert extra not in Ticket.objects.visible_to(cast.contact)
    with pytest.raises(actions.AccessRefused, match="already revoked"):
        actions.revoke(access=cast.grant, admin=cast.admin)


def test_moving_a_person_revokes_grants_withdraws_asks_and_hides_the_old_organisation(cast, people):
    org_admin, contact = people
    ask = actions.ask_for_access(person=org_admin, approver=contact)
    ccd = TicketFactory(requester=cast.bystander, ccs=[cast.contact])
    actions.move_person(person=cast.contact, organisation=cast.other_org, admin=cast.admin)
    actions.move_person(person=org_admin, organisation=cast.other_org, admin=cast.admin)
    cast.grant.refresh_from_db()
    ask.refresh_from_db()
    assert cast.grant.revoked_at is not None and cast.grant.revoked_by == cast.admin
    assert ask.state == State.WITHDRAWN
    cast.contact.refresh_from_db()
    assert cast.contact.organisation == cast.other_org
    assert ccd not in Ticket.objects.visible_to(cast.contact)
    assert not Ticket.objects.visible_to(cast.contact).filter(organisation=cast.org).exists()
