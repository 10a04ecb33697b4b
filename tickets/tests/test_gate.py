"""`Ticket.objects.visible_to` and `get_ticket_for`: the one gate every view goes through."""

from __future__ import annotations

import pytest
from django.http import Http404
from django.utils import timezone

from accounts.models import OrganisationAccess
from portal.tests.factories import TicketFactory, UserFactory
from tickets.access import get_ticket_for
from tickets.models import Ticket


def visible(user) -> set[int]:
    return set(Ticket.objects.visible_to(user).values_list("pk", flat=True))


def test_requester_sees_own_request(cast):
    assert visible(cast.requester) == {cast.ticket.pk}


def test_cc_sees_request_they_are_copied_on(cast):
    assert visible(cast.colleague) == {cast.ticket.pk}


def test_uninvolved_colleague_sees_nothing(cast):
    assert visible(cast.bystander) == set()


def test_technical_contact_with_grant_sees_whole_organisation(cast):
    extra = TicketFactory(requester=cast.bystander)
    assert visible(cast.contact) == {cast.ticket.pk, extra.pk}


def test_revoked_grant_takes_effect_at_once(cast):
    assert cast.ticket.pk in visible(cast.contact)
    cast.grant.revoked_at = timezone.now()
    cast.grant.save(update_fields=["revoked_at"])
    assert visible(cast.contact) == set()


def test_a_grant_for_another_organisation_shows_nothing_of_it(cast):
    # Even a mistaken grant cannot reach across tenants: access covers the holder's own organisation only.
    OrganisationAccess.objects.create(user=cast.bystander, organisation=cast.other_org)
    assert visible(cast.bystander) == set()


def test_cc_from_another_organisation_is_still_bounded_by_cc(cast):
    stranger = UserFactory(organisation=cast.other_org)
    assert visible(stranger) == set()


def test_agent_sees_every_request(cast):
    assert visible(cast.agent) == {cast.ticket.pk, cast.other_ticket.pk}


def test_inactive_person_sees_nothing(cast):
    cast.requester.is_active = False
    assert visible(cast.requester) == set()


def test_anonymous_sees_nothing(cast):
    from django.contrib.auth.models import AnonymousUser

    assert visible(AnonymousUser()) == set()


def test_cc_does_not_duplicate_rows(cast):
    cast.ticket.ccs.add(cast.requester)
    assert Ticket.objects.visible_to(cast.requester).count() == 1


@pytest.mark.parametrize("value", ["abc", "", None, 0, -3, 2**63, "9" * 40])
def test_getter_turns_nonsense_ids_into_404(cast, value):
    with pytest.raises(Http404):
        get_ticket_for(cast.agent, value)


def test_getter_returns_visible_request_with_its_details_loaded(cast, django_assert_num_queries):
    ticket = get_ticket_for(cast.colleague, str(cast.ticket.pk))
    with django_assert_num_queries(0):
        assert ticket.requester.email == cast.requester.email
        assert ticket.organisation.name == cast.org.name


def test_getter_hides_other_peoples_requests(cast):
    with pytest.raises(Http404):
        get_ticket_for(cast.bystander, cast.ticket.pk)


def test_a_person_moved_to_another_organisation_keeps_nothing_of_the_old_one(cast):
    assert visible(cast.colleague) == {cast.ticket.pk}
    cast.colleague.organisation = cast.other_org
    cast.colleague.save()
    # Still listed as a CC on the old organisation's request, but that gives no access any more.
    assert cast.ticket.ccs.filter(pk=cast.colleague.pk).exists()
    assert visible(cast.colleague) == set()


def _gated(user) -> set[int]:
    return set(Ticket.objects.gate_for(user).values_list("pk", flat=True))


def _opened(user) -> set[int]:
    """The requests whose page `user` may open (get_ticket_for, which decides with `Ticket.shown_to`)."""
    opened = set()
    for pk in Ticket.objects.values_list("pk", flat=True):
        try:
            opened.add(get_ticket_for(user, pk).pk)
        except Http404:
            pass
    return opened


@pytest.mark.parametrize(
    "change",
    [
        "none",
        "grant_revoked",
        "contact_moved",
        "colleague_moved",
        "requester_moved",
        "requester_deactivated",
        "grant_elsewhere",
    ],
)
def test_the_one_request_gate_applies_exactly_the_rule_of_the_lists(cast, change):
    """`gate_for` (one query: files, chats), a request page (`get_ticket_for`) and `visible_to` (lists) agree for
    everyone."""
    TicketFactory(requester=cast.bystander, ccs=[cast.contact])
    TicketFactory(requester=cast.outsider, ccs=[cast.colleague])  # a CC across organisations gives nothing
    TicketFactory(requester=cast.colleague)
    if change == "grant_revoked":
        cast.grant.revoked_at = timezone.now()
        cast.grant.save(update_fields=["revoked_at"])
    elif change in {"contact_moved", "colleague_moved", "requester_moved"}:
        person = {"contact_moved": cast.contact, "colleague_moved": cast.colleague}.get(change, cast.requester)
        person.organisation = cast.other_org
        person.save()
    elif change == "requester_deactivated":
        cast.requester.is_active = False
        cast.requester.save()
    elif change == "grant_elsewhere":  # a grant for another organisation than the person's own
        OrganisationAccess.objects.create(user=cast.bystander, organisation=cast.other_org)

    for person in (cast.requester, cast.colleague, cast.bystander, cast.contact, cast.outsider, cast.agent, cast.admin):
        person.refresh_from_db()
        assert _gated(person) == visible(person), person.email
        assert _opened(person) == visible(person), person.email


def test_the_gate_asks_only_what_decides(cast, django_assert_num_queries):
    cast.ticket.ccs.add(cast.colleague)
    for person in (cast.requester, cast.agent):
        with django_assert_num_queries(1):  # the request with its people: theirs, or an agent's
            get_ticket_for(person, cast.ticket.pk)
    with django_assert_num_queries(2):  # then the grant
        get_ticket_for(cast.contact, cast.ticket.pk)
    with django_assert_num_queries(3):  # no grant: then whether they are a CC
        get_ticket_for(cast.colleague, cast.ticket.pk)
