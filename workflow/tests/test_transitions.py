"""`workflow.transitions`: the status machine, checked for every (actor, from, to) against the rules of issue #3.

The expectation is written here from the rules, one small predicate per rule, not copied from the ALLOWED table:
- agents move between any two statuses;
- a requester's or a CC's (any other customer's) public reply sets Open, which on Solved is the reopen;
- a requester may mark their own request Solved;
- a merge sets the merged request Solved;
- automation only moves Awaiting your reply to Solved;
- nothing else, and never to the status the request already has.
"""

from __future__ import annotations

import itertools

import pytest

from workflow.models import Status
from workflow.transitions import Actor, is_allowed, needs_reason


def _agents_move_anywhere(actor: Actor, source: Status, target: Status) -> bool:
    return actor == Actor.AGENT


def _a_customer_reply_sets_open(actor: Actor, source: Status, target: Status) -> bool:
    return actor in (Actor.REQUESTER, Actor.CUSTOMER) and target == Status.OPEN


def _the_requester_marks_solved(actor: Actor, source: Status, target: Status) -> bool:
    return actor == Actor.REQUESTER and target == Status.SOLVED


def _a_merge_solves(actor: Actor, source: Status, target: Status) -> bool:
    return actor == Actor.MERGE and target == Status.SOLVED


def _automation_solves_what_waited_on_the_customer(actor: Actor, source: Status, target: Status) -> bool:
    return actor == Actor.AUTOMATION and source == Status.AWAITING_REPLY and target == Status.SOLVED


RULES = (
    _agents_move_anywhere,
    _a_customer_reply_sets_open,
    _the_requester_marks_solved,
    _a_merge_solves,
    _automation_solves_what_waited_on_the_customer,
)


def expected(actor: Actor, source: Status, target: Status) -> bool:
    if source == target:
        return False
    return any(rule(actor, source, target) for rule in RULES)


CASES = [
    pytest.param(actor, source, target, id=f"{actor.value}-{source.value}-to-{target.value}")
    for actor, source, target in itertools.product(Actor, Status, Status)
]


def test_the_cases_cover_every_actor_and_every_pair_of_statuses():
    assert len(CASES) == 5 * 4 * 4
    assert {case.values for case in CASES} == set(itertools.product(Actor, Status, Status))


@pytest.mark.parametrize(("actor", "source", "target"), CASES)
def test_the_status_machine_allows_exactly_what_the_rules_say(actor, source, target):
    assert is_allowed(actor, source, target) is expected(actor, source, target)


@pytest.mark.parametrize("actor", list(Actor))
@pytest.mark.parametrize("status", list(Status))
def test_it_never_allows_a_move_to_the_status_a_request_already_has(actor, status):
    assert is_allowed(actor, status, status) is False


# A few of the 80 cases spelled out, so a reader sees the rules at work without evaluating the predicates.
@pytest.mark.parametrize(
    ("actor", "source", "target", "allowed"),
    [
        (Actor.REQUESTER, Status.SOLVED, Status.OPEN, True),  # the reopen
        (Actor.CUSTOMER, Status.SOLVED, Status.OPEN, True),  # a CC's reply reopens too
        (Actor.CUSTOMER, Status.AWAITING_REPLY, Status.SOLVED, False),  # only the requester marks it solved
        (Actor.REQUESTER, Status.OPEN, Status.AWAITING_REPLY, False),  # customers never hand it to themselves
        (Actor.REQUESTER, Status.AWAITING_REPLY, Status.ON_HOLD, False),
        (Actor.AUTOMATION, Status.AWAITING_REPLY, Status.SOLVED, True),  # auto-solve
        (Actor.AUTOMATION, Status.OPEN, Status.SOLVED, False),  # never solves what support owes an answer on
        (Actor.AUTOMATION, Status.ON_HOLD, Status.SOLVED, False),
        (Actor.AUTOMATION, Status.SOLVED, Status.OPEN, False),
        (Actor.MERGE, Status.ON_HOLD, Status.SOLVED, True),
        (Actor.MERGE, Status.SOLVED, Status.OPEN, False),
        (Actor.AGENT, Status.SOLVED, Status.ON_HOLD, True),
    ],
)
def test_the_status_machine_answers_the_named_cases(actor, source, target, allowed):
    assert is_allowed(actor, source, target) is allowed


@pytest.mark.parametrize(
    ("actor", "target"),
    [pytest.param(actor, target, id=f"{actor.value}-to-{target.value}") for actor in Actor for target in Status],
)
def test_only_an_agent_solving_a_request_must_give_a_reason(actor, target):
    assert needs_reason(actor, target) is (actor == Actor.AGENT and target == Status.SOLVED)
