"""`workflow.actions.merge` (SPEC §8): requests of one organisation merged into another by an agent.

The merged requests stay as their own rows, become Solved and point to the target; the target gets a public
note listing them. A merge shows no one anything they could not see before: a source's public text is copied
into the note only when everyone following the target already followed that source, internal notes are never
copied, and a source's requester is copied on the target only when the agent asks for it.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from portal.tests.factories import ReplyFactory, TicketFactory, UserFactory
from tickets.models import EventKind, Reply, Ticket, TicketEvent
from workflow import actions
from workflow.models import Status

INTERNAL = "Customer is on the legacy plan; do not promise a fix."


@pytest.fixture
def sam(cast):
    """Another customer of the same organisation, who follows none of the cast's requests."""
    return UserFactory(email="sam@northwind.example", full_name="Sam Source", organisation=cast.org)


def _world() -> tuple:
    """Everything a merge could touch: every request row, event, reply and CC."""
    return (
        list(
            Ticket.objects.order_by("pk").values_list(
                "pk", "status", "solved_at", "merged_into_id", "version", "last_activity_at"
            )
        ),
        list(TicketEvent.objects.order_by("pk").values_list("pk", "ticket_id", "kind", "to_value")),
        list(Reply.objects.order_by("pk").values_list("pk", "ticket_id", "body", "is_public")),
        list(Ticket.ccs.through.objects.order_by("pk").values_list("ticket_id", "user_id")),
    )


def _note(target: Ticket) -> Reply:
    """The merge note: the target's one reply written by an agent."""
    return Reply.objects.get(ticket=target, author__is_staff=True)


def _events(ticket: Ticket) -> list[tuple]:
    return [(e.kind, e.actor, e.from_value, e.to_value) for e in TicketEvent.objects.filter(ticket=ticket)]


# --- What a merge does ------------------------------------------------------------------------------------


def test_merging_solves_the_source_points_it_to_the_target_and_records_it(cast, sam):
    source = TicketFactory(requester=sam, subject="Export hangs", status=Status.AWAITING_REPLY)
    ReplyFactory(ticket=source, author=sam, body="The export hangs at 90%.")
    target = cast.ticket
    source_version, target_version = source.version, target.version

    returned = actions.merge(sources=[source], target=target, actor=cast.agent)

    merged = Ticket.objects.get(pk=source.pk)
    assert (merged.status, merged.merged_into) == (Status.SOLVED, target)
    assert merged.solved_at is not None
    assert merged.version == source_version + 1
    assert list(merged.replies.values_list("body", flat=True)) == ["The export hangs at 90%."]
    assert _events(merged) == [
        (EventKind.STATUS, cast.agent, Status.AWAITING_REPLY, Status.SOLVED),
        (EventKind.MERGE, cast.agent, "", f"#{target.pk}"),
    ]
    assert f"#{target.pk}" in TicketEvent.objects.get(ticket=merged, kind=EventKind.STATUS).reason

    into = Ticket.objects.get(pk=target.pk)
    assert into.version == target_version + 1
    assert into.merged_into is None
    note = _note(target)
    assert (note.author, note.is_public) == (cast.agent, True)
    assert f"#{source.pk}" in note.body
    assert _events(into) == [(EventKind.MERGED_IN, cast.agent, "", f"#{source.pk}")]
    assert returned.version == into.version


def test_merging_several_requests_lists_each_on_the_target(cast):
    open_one = TicketFactory(requester=cast.requester, status=Status.OPEN)
    solved_at = timezone.now() - timedelta(days=3)
    solved_one = TicketFactory(requester=cast.requester, status=Status.SOLVED, solved_at=solved_at)

    actions.merge(sources=[solved_one, open_one], target=cast.ticket, actor=cast.agent)

    for source in (open_one, solved_one):
        row = Ticket.objects.get(pk=source.pk)
        assert (row.status, row.merged_into_id) == (Status.SOLVED, cast.ticket.pk)
    # The one that was already Solved stays as it was solved: no second status change.
    assert _events(solved_one) == [(EventKind.MERGE, cast.agent, "", f"#{cast.ticket.pk}")]
    assert Ticket.objects.get(pk=solved_one.pk).solved_at == solved_at
    assert [kind for kind, *_ in _events(open_one)] == [EventKind.STATUS, EventKind.MERGE]
    note = _note(cast.ticket)
    assert f"#{open_one.pk}" in note.body and f"#{solved_one.pk}" in note.body
    merged_in = TicketEvent.objects.get(ticket=cast.ticket, kind=EventKind.MERGED_IN)
    assert {part.strip() for part in merged_in.to_value.split(",")} == {f"#{open_one.pk}", f"#{solved_one.pk}"}


# --- What the note shows ----------------------------------------------------------------------------------


def test_a_sources_public_text_is_copied_when_everyone_following_the_target_followed_it(cast):
    # The target's followers are the requester and the colleague; both follow the source, and so does one more.
    source = TicketFactory(requester=cast.requester, ccs=[cast.colleague, cast.bystander])
    ReplyFactory(ticket=source, author=cast.requester, body="Exports stop at 10,000 rows.")
    ReplyFactory(ticket=source, author=cast.agent, body="Try the asynchronous export.")
    ReplyFactory(ticket=source, author=cast.agent, body=INTERNAL, is_public=False)

    actions.merge(sources=[source], target=cast.ticket, actor=cast.agent)

    note = _note(cast.ticket).body
    assert f"#{source.pk}" in note
    assert "Exports stop at 10,000 rows." in note
    assert "Try the asynchronous export." in note
    assert INTERNAL not in note


@pytest.mark.parametrize(
    "who_did_not_follow",
    ["the target's CC", "the target's requester"],
)
def test_a_sources_public_text_stays_on_it_when_someone_following_the_target_did_not_follow_it(
    cast, sam, who_did_not_follow
):
    if who_did_not_follow == "the target's CC":
        source = TicketFactory(requester=cast.requester)  # the colleague, CC'd on the target, never saw it
    else:
        source = TicketFactory(requester=sam, ccs=[cast.colleague])  # the target's requester never saw it
    ReplyFactory(ticket=source, author=source.requester, body="Our payroll export leaks salaries.")

    actions.merge(sources=[source], target=cast.ticket, actor=cast.agent)

    note = _note(cast.ticket).body
    assert f"#{source.pk}" in note
    assert "payroll" not in note
    assert list(Reply.objects.filter(ticket=source).values_list("body", flat=True)) == [
        "Our payroll export leaks salaries."
    ]


@pytest.mark.parametrize("followed_by_everyone", [True, False])
def test_an_internal_note_of_a_source_never_reaches_anything_public(cast, followed_by_everyone):
    ccs = [cast.colleague] if followed_by_everyone else []
    source = TicketFactory(requester=cast.requester, ccs=ccs)
    ReplyFactory(ticket=source, author=cast.requester, body="Public question.")
    ReplyFactory(ticket=source, author=cast.agent, body=INTERNAL, is_public=False)

    actions.merge(sources=[source], target=cast.ticket, actor=cast.agent, add_requesters_as_ccs=True)

    assert not Reply.objects.filter(is_public=True, body__contains="legacy plan").exists()
    assert not TicketEvent.objects.filter(to_value__contains="legacy plan").exists()
    assert not TicketEvent.objects.filter(reason__contains="legacy plan").exists()
    assert Reply.objects.filter(is_public=False, body=INTERNAL).count() == 1


def test_the_note_does_not_show_a_sources_subject_to_followers_who_could_not_see_it(cast, sam):
    source = TicketFactory(requester=sam, subject="Payroll export shows Sam's salary")

    actions.merge(sources=[source], target=cast.ticket, actor=cast.agent)

    note = _note(cast.ticket).body
    assert f"#{source.pk}" in note
    assert "Payroll" not in note


# --- CCs and visibility -----------------------------------------------------------------------------------


def test_a_merge_does_not_copy_the_sources_requester_on_the_target_unless_asked(cast, sam):
    source = TicketFactory(requester=sam)

    actions.merge(sources=[source], target=cast.ticket, actor=cast.agent)

    assert list(cast.ticket.ccs.all()) == [cast.colleague]
    assert not TicketEvent.objects.filter(ticket=cast.ticket, kind=EventKind.CC).exists()
    visible = Ticket.objects.visible_to(sam)
    assert not visible.filter(pk=cast.ticket.pk).exists()
    assert visible.filter(pk=source.pk).exists()


def test_a_merge_copies_the_sources_requester_on_the_target_when_the_agent_asks(cast, sam):
    source = TicketFactory(requester=sam)
    assert not Ticket.objects.visible_to(sam).filter(pk=cast.ticket.pk).exists()

    actions.merge(sources=[source], target=cast.ticket, actor=cast.agent, add_requesters_as_ccs=True)

    assert set(cast.ticket.ccs.all()) == {cast.colleague, sam}
    event = TicketEvent.objects.get(ticket=cast.ticket, kind=EventKind.CC)
    assert (event.actor, event.to_value) == (cast.agent, sam.email)
    assert Ticket.objects.visible_to(sam).filter(pk=cast.ticket.pk).exists()


def test_a_merge_does_not_copy_the_targets_own_requester_on_it(cast):
    source = TicketFactory(requester=cast.requester)

    actions.merge(sources=[source], target=cast.ticket, actor=cast.agent, add_requesters_as_ccs=True)

    assert list(cast.ticket.ccs.all()) == [cast.colleague]
    assert not TicketEvent.objects.filter(ticket=cast.ticket, kind=EventKind.CC).exists()


@pytest.mark.parametrize("add_requesters_as_ccs", [False, True])
def test_after_a_merge_people_who_saw_neither_request_still_see_neither(cast, sam, add_requesters_as_ccs):
    source = TicketFactory(requester=sam)
    both = [source.pk, cast.ticket.pk]
    for person in (cast.bystander, cast.outsider):
        assert not Ticket.objects.visible_to(person).filter(pk__in=both).exists()

    actions.merge(sources=[source], target=cast.ticket, actor=cast.agent, add_requesters_as_ccs=add_requesters_as_ccs)

    for person in (cast.bystander, cast.outsider):
        assert not Ticket.objects.visible_to(person).filter(pk__in=both).exists()


# --- Refusals: nothing changes ----------------------------------------------------------------------------


def test_it_refuses_to_merge_a_request_of_another_organisation(cast):
    same_org = TicketFactory(requester=cast.requester)
    before = _world()

    with pytest.raises(actions.ActionRefused) as refusal:
        actions.merge(sources=[same_org, cast.other_ticket], target=cast.ticket, actor=cast.agent)

    assert f"#{cast.other_ticket.pk}" in str(refusal.value)
    assert _world() == before


def test_it_refuses_to_merge_into_a_request_of_another_organisation(cast):
    before = _world()

    with pytest.raises(actions.ActionRefused) as refusal:
        actions.merge(sources=[cast.ticket], target=cast.other_ticket, actor=cast.agent, add_requesters_as_ccs=True)

    assert str(refusal.value).strip()
    assert _world() == before


@pytest.mark.parametrize("with_another", [False, True])
def test_it_refuses_to_merge_a_request_into_itself(cast, with_another):
    sources = [TicketFactory(requester=cast.requester), cast.ticket] if with_another else [cast.ticket]
    before = _world()

    with pytest.raises(actions.ActionRefused) as refusal:
        actions.merge(sources=sources, target=cast.ticket, actor=cast.agent)

    assert str(refusal.value).strip()
    assert _world() == before


def test_it_refuses_to_merge_into_a_request_that_was_itself_merged(cast):
    merged_away = TicketFactory(requester=cast.requester)
    actions.merge(sources=[merged_away], target=cast.ticket, actor=cast.agent)
    another = TicketFactory(requester=cast.requester)
    before = _world()

    with pytest.raises(actions.ActionRefused) as refusal:
        actions.merge(sources=[another], target=merged_away, actor=cast.agent)

    assert f"#{cast.ticket.pk}" in str(refusal.value)
    assert _world() == before


def test_it_refuses_to_merge_back_a_request_into_one_merged_into_it(cast):
    a = TicketFactory(requester=cast.requester)
    b = cast.ticket
    actions.merge(sources=[a], target=b, actor=cast.agent)
    before = _world()

    with pytest.raises(actions.ActionRefused) as refusal:
        actions.merge(sources=[b], target=Ticket.objects.get(pk=a.pk), actor=cast.agent)

    assert str(refusal.value).strip()
    assert _world() == before
    assert Ticket.objects.get(pk=b.pk).merged_into_id is None


def test_it_refuses_to_merge_a_request_that_was_already_merged(cast):
    a = TicketFactory(requester=cast.requester)
    actions.merge(sources=[a], target=cast.ticket, actor=cast.agent)
    elsewhere = TicketFactory(requester=cast.requester)
    before = _world()

    with pytest.raises(actions.ActionRefused) as refusal:
        actions.merge(sources=[a], target=elsewhere, actor=cast.agent)

    assert f"#{a.pk}" in str(refusal.value)
    assert _world() == before
    assert Ticket.objects.get(pk=a.pk).merged_into_id == cast.ticket.pk


@pytest.mark.parametrize("who", ["requester", "contact"])
def test_it_refuses_a_merge_by_anyone_but_an_agent(cast, who):
    source = TicketFactory(requester=cast.requester)
    before = _world()

    with pytest.raises(actions.ActionRefused) as refusal:
        actions.merge(sources=[source], target=cast.ticket, actor=getattr(cast, who))

    assert str(refusal.value).strip()
    assert _world() == before


def test_it_refuses_a_merge_of_no_requests(cast):
    before = _world()

    with pytest.raises(actions.ActionRefused) as refusal:
        actions.merge(sources=[], target=cast.ticket, actor=cast.agent)

    assert str(refusal.value).strip()
    assert _world() == before
