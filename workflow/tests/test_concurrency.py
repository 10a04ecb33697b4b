"""People changing one request at the same moment, on PostgreSQL with real concurrent connections.

The first tests run each attempt in its own thread (Django gives each thread its own database connection). A
barrier holds both until each has read the request, so both act on the same version: with `expected_version`
exactly one change lands and the other is told the request changed; without it, both land one after the other.

The last tests run the people in separate Python processes, as the web and worker processes of a deployment
are: each child starts Django on this test's database, says it is ready, and waits for the word to go, so that
all of them write at once. Each reports what every one of its actions did (or the traceback of an unexpected
error); the test then reads the request back and checks the thread, the version, the status against its event
log, the search document and the outbox.
"""

from __future__ import annotations

import itertools
import json
import os
import queue
import subprocess
import sys
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from accounts.models import User
from portal.tests.factories import OrganisationFactory, StaffFactory, TicketFactory, UserFactory
from tickets.models import EventKind, Reply, Ticket, TicketDocument, TicketEvent
from workflow import actions
from workflow.models import OutboundEmail, Priority, Status
from workflow.tests._celery_support import celery_broker, database_url

pytestmark = [
    pytest.mark.postgres,
    # The data must be committed for the other connections to see it; the seeded policies come back after.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

Step = Callable[[threading.Barrier], object]


def _at_once(*steps: Step, refusal: type[Exception] = actions.StaleRequest) -> list[tuple[str, object]]:
    """Run each step in its own thread and connection; return ("done", result) or ("refused", error) for each.

    Any other error is raised here, so a failure in a thread fails the test with its own traceback."""
    barrier = threading.Barrier(len(steps), timeout=20)
    outcomes: list[tuple[str, object] | None] = [None] * len(steps)

    def run(index: int, step: Step) -> None:
        try:
            outcomes[index] = ("done", step(barrier))
        except refusal as error:
            outcomes[index] = ("refused", error)
        except BaseException as error:  # handed back to the test thread below
            outcomes[index] = ("error", error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index, step)) for index, step in enumerate(steps)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a concurrent step never finished"
    for kind, error in outcomes:
        if kind == "error":
            raise error
    return outcomes


@pytest.fixture
def people():
    org = OrganisationFactory(name="Northwind")
    requester = UserFactory(email="requester@northwind.example", organisation=org)
    colleague = UserFactory(email="colleague@northwind.example", organisation=org)
    agent = StaffFactory(email="agent@support.example")
    admin = StaffFactory(email="admin@support.example")
    return requester, colleague, agent, admin


def _read_then_wait(pk: int, seen: list[int], barrier: threading.Barrier) -> Ticket:
    ticket = Ticket.objects.get(pk=pk)
    seen.append(ticket.version)
    barrier.wait()
    return ticket


def test_of_two_status_changes_made_on_the_same_version_exactly_one_lands(on_postgres, people):
    requester, colleague, agent, admin = people
    ticket = TicketFactory(requester=requester, ccs=[colleague])
    version, seen = ticket.version, []
    targets = [Status.AWAITING_REPLY, Status.ON_HOLD]

    def change_to(target: Status, actor) -> Step:
        def step(barrier):
            mine = _read_then_wait(ticket.pk, seen, barrier)
            return actions.change_status(ticket=mine, to=target, actor=actor, reason="x", expected_version=mine.version)

        return step

    outcomes = _at_once(change_to(targets[0], agent), change_to(targets[1], admin))

    assert seen == [version, version]
    assert sorted(kind for kind, _ in outcomes) == ["done", "refused"]
    winner = targets[[kind for kind, _ in outcomes].index("done")]
    row = Ticket.objects.get(pk=ticket.pk)
    assert (row.status, row.version) == (winner, version + 1)
    events = TicketEvent.objects.filter(ticket=ticket, kind=EventKind.STATUS)
    assert [(e.from_value, e.to_value) for e in events] == [(Status.OPEN, winner)]


def test_of_two_reclassifications_made_on_the_same_version_exactly_one_lands(on_postgres, people):
    requester, colleague, agent, admin = people
    ticket = TicketFactory(requester=requester, priority=Priority.S3)
    version, seen = ticket.version, []
    targets = [Priority.S1, Priority.S2]

    def reclassify_to(target: Priority, actor) -> Step:
        def step(barrier):
            mine = _read_then_wait(ticket.pk, seen, barrier)
            return actions.reclassify(
                ticket=mine, to=target, actor=actor, reason="Impact changed.", expected_version=mine.version
            )

        return step

    outcomes = _at_once(reclassify_to(targets[0], agent), reclassify_to(targets[1], admin))

    assert seen == [version, version]
    assert sorted(kind for kind, _ in outcomes) == ["done", "refused"]
    winner = targets[[kind for kind, _ in outcomes].index("done")]
    row = Ticket.objects.get(pk=ticket.pk)
    assert (row.priority, row.version) == (winner, version + 1)
    events = TicketEvent.objects.filter(ticket=ticket, kind=EventKind.PRIORITY)
    assert [(e.from_value, e.to_value) for e in events] == [(Priority.S3, winner)]


def test_two_customer_replies_at_the_same_moment_both_land(on_postgres, people):
    requester, colleague, agent, admin = people
    ticket = TicketFactory(requester=requester, ccs=[colleague], status=Status.AWAITING_REPLY)
    version, seen = ticket.version, []

    def reply_by(author, body: str) -> Step:
        def step(barrier):
            mine = _read_then_wait(ticket.pk, seen, barrier)
            return actions.reply(ticket=mine, author=author, body=body)

        return step

    outcomes = _at_once(reply_by(requester, "Still failing here."), reply_by(colleague, "Same for me."))

    assert seen == [version, version]
    assert [kind for kind, _ in outcomes] == ["done", "done"]
    bodies = set(Reply.objects.filter(ticket=ticket).values_list("body", flat=True))
    assert bodies == {"Still failing here.", "Same for me."}
    row = Ticket.objects.get(pk=ticket.pk)
    assert (row.status, row.version) == (Status.OPEN, version + 2)
    # The first reply hands the request back to support; the second finds it Open already.
    events = TicketEvent.objects.filter(ticket=ticket, kind=EventKind.STATUS)
    assert [(e.from_value, e.to_value) for e in events] == [(Status.AWAITING_REPLY, Status.OPEN)]


def test_two_agents_merging_the_same_request_at_once_merge_it_once(on_postgres, people):
    requester, colleague, agent, admin = people
    source = TicketFactory(requester=requester)
    targets = [TicketFactory(requester=requester), TicketFactory(requester=requester)]
    seen = []

    def merge_into(target: Ticket, actor) -> Step:
        def step(barrier):
            _read_then_wait(source.pk, seen, barrier)
            return actions.merge(sources=[source], target=target, actor=actor)

        return step

    outcomes = _at_once(merge_into(targets[0], agent), merge_into(targets[1], admin), refusal=actions.ActionRefused)

    assert sorted(kind for kind, _ in outcomes) == ["done", "refused"]
    winner = targets[[kind for kind, _ in outcomes].index("done")]
    loser = targets[[kind for kind, _ in outcomes].index("refused")]
    row = Ticket.objects.get(pk=source.pk)
    assert (row.merged_into_id, row.status) == (winner.pk, Status.SOLVED)
    assert TicketEvent.objects.filter(ticket=source, kind=EventKind.MERGE).count() == 1
    assert TicketEvent.objects.filter(ticket=source, kind=EventKind.STATUS).count() == 1
    assert not Reply.objects.filter(ticket=loser).exists()
    assert not TicketEvent.objects.filter(ticket=loser).exists()
    assert Ticket.objects.get(pk=loser.pk).version == loser.version


# --- Several processes ------------------------------------------------------------------------------------

# What a child process runs: Django first, then this module (which imports models) for `serve`.
CHILD = "import django; django.setup(); from workflow.tests.test_concurrency import serve; serve()"
# Bounds for a hang, not targets: on a quiet machine the children are ready in ~3 s and done in ~5 s.
READY_SECONDS = 90
RUN_SECONDS = 90


def serve() -> None:
    """A child process: read its job (one JSON line), connect, say "ready", wait for "go", act, report.

    Every action prints one JSON line: "done", "stale" (StaleRequest) or "error" with the traceback, so that the
    test sees an unexpected failure with its own cause instead of a count that does not add up."""
    job = json.loads(sys.stdin.readline())
    people = {person.pk: person for person in User.objects.filter(pk__in={step["who"] for step in job["steps"]})}
    connection.ensure_connection()
    # The outbox rows are what the test checks; a worker that never comes would send them, as in production.
    with celery_broker("memory://"):
        print("ready", flush=True)
        if sys.stdin.readline().strip() != "go":
            return
        for step in job["steps"]:
            print(json.dumps(_perform(job["ticket"], step, people[step["who"]])), flush=True)
    connection.close()


def _perform(ticket_pk: int, step: dict, person: User) -> dict:
    """One reply, or one status change that a person told "this request changed" looks at again and retries, up
    to `tries` times, each time on the version they now see."""
    refusals = 0
    try:
        while True:
            # What the person's page shows when they act: the request as it is now.
            ticket = Ticket.objects.get(pk=ticket_pk)
            if step["op"] == "reply":
                message = actions.reply(ticket=ticket, author=person, body=step["body"])
                return {**step, "result": "done", "reply": message.pk, "version": ticket.version}
            source = ticket.status
            target = step.get("to") or next(status for status in step["prefer"] if status != source)
            try:
                actions.change_status(
                    ticket=ticket,
                    to=target,
                    actor=person,
                    reason="Checked with the team.",
                    expected_version=step.get("expected_version", ticket.version),
                )
            except actions.StaleRequest:
                refusals += 1
                if refusals >= step.get("tries", 1):
                    return {**step, "result": "stale", "refusals": refusals}
                continue
            return {
                **step,
                "result": "done",
                "from": source,
                "to": target,
                "version": ticket.version,
                "refusals": refusals,
            }
    except Exception:
        return {**step, "result": "error", "error": traceback.format_exc()}


class _Child:
    """One child process; a thread reads its output lines into a queue so that every wait has a deadline."""

    def __init__(self, index: int, job: dict, folder: Path) -> None:
        self.log_path = folder / f"child-{index}.log"
        environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "portal.settings.test",
            "DATABASE_URL": database_url(),  # this test's database, not the one it was made from
        }
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(  # our own interpreter, fixed arguments
                [sys.executable, "-c", CHILD],
                cwd=settings.BASE_DIR,
                env=environment,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
            )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.send(json.dumps(job))

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)  # the process closed its output: it has ended

    def send(self, line: str) -> None:
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def next_line(self, deadline: float) -> str | None:
        try:
            return self.lines.get(timeout=max(deadline - time.monotonic(), 0))
        except queue.Empty:
            return None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def ended(self, deadline: float) -> int | None:
        """The exit code, or None if the process is still running at the deadline."""
        try:
            return self.process.wait(timeout=max(deadline - time.monotonic(), 1))
        except subprocess.TimeoutExpired:
            return None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)
        self.process.stdin.close()
        self.reader.join(timeout=10)
        self.process.stdout.close()


def _in_processes(jobs: list[dict], folder: Path) -> list[dict]:
    """Run each job in its own process on this test's database, all released together; return every outcome."""
    children = [_Child(index, job, folder) for index, job in enumerate(jobs)]
    try:
        deadline = time.monotonic() + READY_SECONDS
        for index, child in enumerate(children):
            line = child.next_line(deadline)
            assert line == "ready", f"process {index} did not get ready ({line!r}):\n{child.log()}"
        for child in children:
            child.send("go")
        outcomes = []
        deadline = time.monotonic() + RUN_SECONDS
        for index, (child, job) in enumerate(zip(children, jobs, strict=True)):
            for reported in range(len(job["steps"])):
                line = child.next_line(deadline)
                assert line, f"process {index} stopped or hung after {reported} reports:\n{child.log()}"
                outcomes.append(json.loads(line))
            code = child.ended(deadline)
            assert code == 0, f"process {index} ended with {code} after its reports:\n{child.log()}"
    finally:
        for child in children:
            child.stop()
    errors = [outcome for outcome in outcomes if outcome["result"] == "error"]
    assert not errors, "\n".join(f"{error['op']} by {error['who']}:\n{error['error']}" for error in errors)
    return outcomes


def _words(ticket: Ticket) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT unnest(tsvector_to_array(public)) FROM tickets_ticketdocument WHERE ticket_id = %s", [ticket.pk]
        )
        return {row[0] for row in cursor.fetchall()}


def _document_is_rebuilt_alike(ticket: Ticket) -> bool:
    """The document the triggers appended to equals the one computed from the texts now."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT document.public = fresh.public AND document.internal = fresh.internal
            FROM tickets_ticketdocument document, portal_ticket_documents(%s, %s) fresh
            WHERE document.ticket_id = %s
            """,
            [ticket.pk, ticket.pk, ticket.pk],
        )
        return cursor.fetchone()[0]


def _backwards(rows) -> list[tuple]:
    """Rows (in the order they were written) whose time is earlier than the row written just before them. Each
    action writes under the request's lock, so ids follow the order of the actions and times must too."""
    written = list(rows.values_list("pk", "created_at"))
    return [(earlier, later) for earlier, later in itertools.pairwise(written) if later[1] < earlier[1]]


AGENT_TARGETS = [Status.ON_HOLD, Status.AWAITING_REPLY, Status.SOLVED, Status.OPEN]
REPLIES_EACH = 10
TRIES = 5


def test_fifty_replies_and_status_changes_from_five_processes_keep_the_request_whole(on_postgres, people, tmp_path):
    requester, colleague, agent, admin = people
    agents = [agent, admin, StaffFactory(email="third@support.example"), StaffFactory(email="fourth@support.example")]
    ticket = actions.open_request(
        requester=requester, subject="Exports time out", body="Every export stops after a minute.", priority="S2"
    )
    ticket.ccs.add(colleague)
    description = Reply.objects.get(ticket=ticket)
    opened_version = Ticket.objects.get(pk=ticket.pk).version

    # The requester only replies (each reply hands the request back to support, reopening it when needed); each
    # agent replies and then changes the status on the version their page showed, ten times over. An agent told
    # that the request changed reads it again and retries, up to TRIES times: every refusal must leave no trace.
    jobs, number = [], 0
    for index, person in enumerate([requester, *agents]):
        steps = []
        for turn in range(REPLIES_EACH):
            steps.append({"op": "reply", "who": person.pk, "token": f"zqk{number}x", "body": f"Reply zqk{number}x."})
            number += 1
            if person.is_staff:
                prefer = AGENT_TARGETS[(index + turn) % 4 :] + AGENT_TARGETS[: (index + turn) % 4]
                steps.append(
                    {"op": "status", "who": person.pk, "prefer": [str(status) for status in prefer], "tries": TRIES}
                )
        jobs.append({"ticket": ticket.pk, "steps": steps})
    assert number == 50

    outcomes = _in_processes(jobs, tmp_path)

    replied = [outcome for outcome in outcomes if outcome["op"] == "reply"]
    changed = [outcome for outcome in outcomes if outcome["op"] == "status" and outcome["result"] == "done"]
    refused = [outcome for outcome in outcomes if outcome["op"] == "status" and outcome["result"] == "stale"]
    assert [outcome["result"] for outcome in replied] == ["done"] * 50
    assert len(changed) + len(refused) == 4 * REPLIES_EACH
    assert changed, "no status change landed between the replies: nothing was interleaved"
    row = Ticket.objects.get(pk=ticket.pk)

    # Every reply once: none lost, none doubled, and the thread shows them in the order they were written.
    thread = Reply.objects.filter(ticket=ticket).exclude(pk=description.pk)
    assert thread.count() == 50
    assert sorted(thread.values_list("pk", flat=True)) == sorted(outcome["reply"] for outcome in replied)
    assert Counter(body.split()[1].rstrip(".") for body in thread.values_list("body", flat=True)) == Counter(
        outcome["token"] for outcome in replied
    )
    assert _backwards(thread.order_by("pk")) == [], "a reply carries an earlier time than one written before it"

    # Each action that landed bumped the version once, each on its own version; refused ones bumped nothing.
    assert row.version == opened_version + len(replied) + len(changed)
    landed = sorted(outcome["version"] for outcome in [*replied, *changed])
    assert landed == list(range(opened_version + 1, row.version + 1))

    # The event log: the creation, then status changes that chain one into the next and end at the status.
    events = list(TicketEvent.objects.filter(ticket=ticket).order_by("pk"))
    assert (events[0].kind, events[0].to_value) == (EventKind.CREATED, Status.OPEN)
    changes = events[1:]
    assert {event.kind for event in changes} <= {EventKind.STATUS}
    current = events[0].to_value
    for event in changes:
        assert event.from_value == current, [(e.pk, e.from_value, e.to_value) for e in changes]
        current = event.to_value
    assert row.status == current
    assert _backwards(TicketEvent.objects.filter(ticket=ticket).order_by("pk")) == []
    # The agents' events are exactly the changes that were reported done; the requester's are reopenings.
    by_agents = Counter((e.actor_id, e.from_value, e.to_value) for e in changes if e.actor_id != requester.pk)
    assert by_agents == Counter((outcome["who"], outcome["from"], outcome["to"]) for outcome in changed)
    assert {(e.actor_id, e.to_value) for e in changes if e.actor_id == requester.pk} <= {(requester.pk, Status.OPEN)}

    # The request's own fields agree with its last change and its latest activity.
    last_change = changes[-1] if changes else events[0]
    assert row.solved_at == (last_change.created_at if row.status == Status.SOLVED else None)
    assert row.awaiting_since == (last_change.created_at if row.status == Status.AWAITING_REPLY else None)
    latest = max([*thread.values_list("created_at", flat=True), *(event.created_at for event in changes)])
    assert row.last_activity_at == latest
    assert row.first_responded_at == thread.filter(author__is_staff=True).order_by("pk").first().created_at

    # Search finds every reply: the triggers' appends, made under the lock, lost none.
    assert {outcome["token"] for outcome in replied} <= _words(ticket)
    assert _document_is_rebuilt_alike(ticket)
    assert TicketDocument.objects.filter(ticket=ticket).count() == 1

    # The outbox: each agent reply, and each agent's change to a status that tells the customer, queued one email
    # to the requester and one to the CC; the requester's own replies and reopenings none, refused changes none.
    followers = {requester.email, colleague.email}
    expected = Counter()
    for outcome in replied:
        if outcome["who"] != requester.pk:
            expected.update((OutboundEmail.Kind.REPLY, outcome["reply"], address) for address in followers)
    for event in changes:
        if event.actor_id != requester.pk and event.to_value in actions.STATUS_NOTIFICATIONS:
            kind = actions.STATUS_NOTIFICATIONS[event.to_value]
            expected.update((kind, None, address) for address in followers)
    emails = OutboundEmail.objects.filter(ticket=ticket).values_list("kind", "reply_id", "recipient__email")
    assert Counter(emails) == expected


def test_of_two_processes_changing_the_status_on_the_same_version_exactly_one_lands(on_postgres, people, tmp_path):
    requester, colleague, agent, admin = people
    ticket = TicketFactory(requester=requester, ccs=[colleague])
    version = ticket.version
    targets = {agent.pk: Status.AWAITING_REPLY, admin.pk: Status.ON_HOLD}
    jobs = [
        {"ticket": ticket.pk, "steps": [{"op": "status", "who": who, "to": str(to), "expected_version": version}]}
        for who, to in targets.items()
    ]

    outcomes = _in_processes(jobs, tmp_path)

    assert sorted(outcome["result"] for outcome in outcomes) == ["done", "stale"]
    winner = next(outcome for outcome in outcomes if outcome["result"] == "done")
    row = Ticket.objects.get(pk=ticket.pk)
    assert (row.status, row.version) == (winner["to"], version + 1)
    events = TicketEvent.objects.filter(ticket=ticket, kind=EventKind.STATUS)
    assert [(e.actor_id, e.from_value, e.to_value) for e in events] == [(winner["who"], Status.OPEN, winner["to"])]
    awaiting = 2 if winner["to"] == Status.AWAITING_REPLY else 0
    assert OutboundEmail.objects.filter(ticket=ticket).count() == awaiting
