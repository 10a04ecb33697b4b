"""Load a large benchmark data set into PostgreSQL: `manage.py seed_bench [--requests N] [--seed S] [--reset]`.

At the default scale: 2,000 organisations, 100,000 people, 1,000,000 requests, 4,000,000 replies, CCs, the events
the request pages show, a few thousand chats, in the six languages, over three years. Everything scales with
`--requests` (10,000 is plenty for CI). The rows the benchmark runner relies on are fixed (see WELL_KNOWN below).

Like `seed_demo` it writes history directly, as an import would, rather than through `workflow.actions`: one
action per row would take days at this scale. The rows are what the actions would have left (the CREATED
event, the description as first reply, consistent denormalised fields), and the whole load is one transaction,
so a failure leaves the database as it was.

Speed: rows go in with COPY (psycopg's write_row). Every index except the primary keys, and the unique and
foreign-key constraints, are dropped first and rebuilt once the rows are in; tables that were empty are truncated
in the same transaction, so that COPY ... FREEZE writes them already frozen and visible (no VACUUM afterwards).

Measured on 2 shared cores (PostgreSQL 15): 1,000,000 requests in about 12 minutes, of which generating and
copying the rows take 2, and rebuilding `reply_body_document` 8: PostgreSQL evaluates `portal_search_document`
(migration tickets/0011) for each of the 4,000,000 replies, on one core, and Japanese or Korean text costs five
times what other text does (its two-character grams). Keeping the GIN indexes during COPY overlaps that work with
the Python side and was about 15 % faster at 200,000 requests, but left the GIN indexes three to six times larger
than a build after the load; the benchmark should search indexes as compact as a restored database's.
"""

from __future__ import annotations

import math
import random
import time
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import accumulate

from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from accounts.models import Organisation, OrganisationAccess, User
from tickets import bench_data
from tickets.models import Chat, ChatMessage, EventKind, Reply, Ticket, TicketDocument, TicketEvent
from workflow.models import PriorityPolicy

PASSWORD = "bench-password-2026"
LARGEST_ORGANISATION = "Bench Largest Org"
CONTACT_EMAIL = "bench-contact@bench.example"
CUSTOMER_EMAIL = "bench-customer@bench.example"
AGENT_EMAIL = "bench-agent@bench.example"
WELL_KNOWN = (CONTACT_EMAIL, CUSTOMER_EMAIL, AGENT_EMAIL)
LONG_THREAD_SUBJECT = "Bench long thread"
LONG_THREAD_REPLIES = 300
LONG_THREAD_CHAT_MESSAGES = 40
RARE_REQUESTS = 5
MINIMUM_REQUESTS = 1000

DAY = 86400.0
HOUR = 3600.0
SPAN = 3 * 365 * DAY

PRIORITIES = ["S1", "S2", "S3", "S4"]
PRIORITY_CUM_WEIGHTS = [5, 20, 70, 100]  # S1 5 %, S2 15 %, S3 50 %, S4 30 %
# Median hours until an agent answers, by priority: most first responses are on time, some are late.
AGENT_MEDIAN_HOURS = [0.5, 2.0, 6.0, 16.0]
CUSTOMER_MEDIAN_HOURS = 10.0
OPEN, AWAITING, ON_HOLD, SOLVED = range(4)
STATUSES = ["open", "awaiting_reply", "on_hold", "solved"]
WEB, EMAIL, CHAT = range(3)
CHANNELS = ["web", "email", "chat"]
# Reply kinds, stored per reply between the passes.
DESCRIPTION, FOLLOW_UP, AGENT_REPLY, INTERNAL_NOTE = range(4)
MESSAGE_KINDS = ["opening", "followup", "agent", "internal"]
# Where a ticket carries one of the two search words.
NO_WORD, COMMON_IN_SUBJECT, COMMON_IN_BODY, RARE_IN_SUBJECT, RARE_IN_BODY = range(5)

SOLVED_REASONS = ["Solved with the customer.", "Fixed in the current release.", "Answered; the customer confirmed."]
ON_HOLD_REASONS = ["Waiting for engineering.", "Waiting for the next release.", ""]


@dataclass(frozen=True)
class Plan:
    """How many of everything, from the number of requests."""

    requests: int

    @property
    def organisations(self) -> int:
        return max(3, self.requests // 500)

    @property
    def people(self) -> int:
        return max(30, self.requests // 10)

    @property
    def replies(self) -> int:
        return 4 * self.requests

    @property
    def largest(self) -> int:
        return self.requests // 10

    @property
    def customer_own(self) -> int:
        return min(500, self.requests // 20)

    @property
    def customer_cc(self) -> int:
        return min(200, self.requests // 50)

    @property
    def agents(self) -> int:
        return max(3, self.requests // 20_000)

    @property
    def chats(self) -> int:
        return max(5, self.requests // 200)


@dataclass
class Deferred:
    """Indexes and constraints dropped for the load, with the statements that recreate them as they were."""

    unique: list[tuple[str, str, str]] = field(default_factory=list)  # (table, name, definition)
    indexes: list[tuple[str, str, str]] = field(default_factory=list)  # (table, name, CREATE INDEX …)
    foreign_keys: list[tuple[str, str, str]] = field(default_factory=list)


class Command(BaseCommand):
    help = "Load a large benchmark data set (PostgreSQL only): --requests N scales everything."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--requests", type=int, default=1_000_000, help="number of requests (default 1,000,000)")
        parser.add_argument("--seed", type=int, default=2026, help="random seed: the same seed gives the same data")
        parser.add_argument(
            "--reset",
            action="store_true",
            help="empty the portal's tables first (TRUNCATE; priority policies and groups stay)",
        )
        parser.add_argument(
            "--force", action="store_true", help="add to a database that already holds requests (deletes nothing)"
        )

    def handle(self, *args, requests: int, seed: int, reset: bool, force: bool, **options) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("seed_bench needs PostgreSQL (DATABASE_URL=postgres://…); it loads with COPY.")
        if requests < MINIMUM_REQUESTS:
            raise CommandError(f"--requests must be at least {MINIMUM_REQUESTS:,}.")
        started = time.monotonic()
        name = connection.settings_dict["NAME"]
        self.stdout.write(f"Seeding {requests:,} requests into {name} (seed {seed}); one transaction.")
        with transaction.atomic():
            seeder = Seeder(Plan(requests), random.Random(seed), self.stdout.write)
            seeder.prepare(reset=reset, force=force)
            seeder.load()
            seeder.finish()
        seeder.vacuum_unfrozen()
        seeder.summary(time.monotonic() - started)


class Seeder:
    """One load. COPY streams one table at a time, so the requests pass decides everything about each request
    (its thread's times, authors, status, CCs, chat) and keeps it in compact arrays for the later passes."""

    def __init__(self, plan: Plan, rng: random.Random, write) -> None:
        self.plan = plan
        self.rng = rng
        self.write = write
        self.now = timezone.now().timestamp()
        self.counts: dict[tuple[str, str], int] = {}
        self.frozen: set[str] = set()
        self.unfrozen: list[str] = []
        self.models = [
            Organisation,
            User,
            User.groups.through,
            OrganisationAccess,
            Ticket,
            Ticket._meta.get_field("ccs").remote_field.through,
            Reply,
            TicketEvent,
            Chat,
            ChatMessage,
        ]
        self.tables = [model._meta.db_table for model in self.models]
        # Written by the database from the rows above (migration tickets/0012), once they are all in: the triggers
        # that keep it row by row are off during the load.
        self.documents = TicketDocument._meta.db_table
        self.triggered = [Ticket._meta.db_table, Reply._meta.db_table, Chat._meta.db_table, ChatMessage._meta.db_table]
        connection.ensure_connection()
        self.raw = connection.connection  # psycopg 3, for COPY; it shares Django's transaction

    # --- Before and after ---------------------------------------------------------------------------------

    def prepare(self, *, reset: bool, force: bool) -> None:
        self._sql("SET LOCAL synchronous_commit = off")
        self._sql("SET LOCAL maintenance_work_mem = '1GB'")
        if reset:
            with self._step("reset"):
                tables = self._portal_tables()
                self._sql(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
                self.write(f"  emptied {len(tables)} tables (and what references them)")
        existing = Ticket.objects.count()
        if existing and not force:
            raise CommandError(
                f"The database already holds {existing:,} requests. --reset empties the portal's tables first; "
                "--force adds to them."
            )
        if (
            User.objects.filter(email__in=WELL_KNOWN).exists()
            or Organisation.objects.filter(name=LARGEST_ORGANISATION).exists()
        ):
            raise CommandError("The benchmark's people are already here (a previous seed_bench); use --reset.")
        self.policies = {policy.priority: policy for policy in PriorityPolicy.objects.all()}
        self.agents_group = Group.objects.filter(name="Agents").first()
        if len(self.policies) != len(PRIORITIES) or self.agents_group is None:
            raise CommandError("The priority policies or the Agents group are missing: run `manage.py migrate`.")
        with self._step("drop indexes"):
            self.deferred = self._drop_indexes_and_constraints()
            for table in self.triggered:
                # Rolled back with everything else if the load fails.
                self._sql(self._sql_for("ALTER TABLE {} DISABLE TRIGGER USER", table))
            empty = [
                table
                for table in self.tables
                if not self._value(self._sql_for("SELECT EXISTS (SELECT FROM {})", table))
            ]
            if empty:
                # Nothing is deleted: these are empty. Truncating them in this transaction lets COPY FREEZE them.
                self._sql(f"TRUNCATE {', '.join(empty)}")
            self.frozen = set(empty)
            # The documents are INSERTed, not copied: vacuumed (and analysed) after the load like a table that was
            # not empty.
            self.unfrozen = [*(table for table in self.tables if table not in self.frozen), self.documents]
            self.base = {
                table: self._value(self._sql_for("SELECT COALESCE(MAX(id), 0) FROM {}", table)) for table in self.tables
            }
            deferred = self.deferred
            self.write(
                f"  {len(deferred.indexes)} indexes, {len(deferred.unique)} unique and "
                f"{len(deferred.foreign_keys)} foreign-key constraints, rebuilt after the load"
            )

    def load(self) -> None:
        self.pools = bench_data.build_pools(self.rng)
        self._organisations()
        self._people()
        self._tickets()
        self._ccs()
        self._replies()
        self._events()
        self._chats()

    def finish(self) -> None:
        deferred = self.deferred
        with self._step("search documents"):
            self._documents()
        with self._step("unique constraints"):
            for table, name, definition in deferred.unique:
                self._timed(name, f"ALTER TABLE {table} ADD CONSTRAINT {connection.ops.quote_name(name)} {definition}")
        with self._step("indexes"):
            for _table, name, definition in deferred.indexes:
                self._timed(name, definition)
        with self._step("analyze"):
            # Before the foreign keys: their validation queries are planned with these statistics.
            for table in self.frozen:
                self._sql(f"ANALYZE {table}")
        with self._step("foreign keys"):
            for table, name, definition in deferred.foreign_keys:
                self._timed(name, f"ALTER TABLE {table} ADD CONSTRAINT {connection.ops.quote_name(name)} {definition}")
        for table in self.triggered:
            self._sql(self._sql_for("ALTER TABLE {} ENABLE TRIGGER USER", table))
        with self._step("sequences"):
            for table in self.tables:
                self._sql(
                    self._sql_for(
                        "SELECT setval(pg_get_serial_sequence('{0}', 'id'), MAX(id)) FROM {0} HAVING MAX(id) > 0", table
                    )
                )

    def vacuum_unfrozen(self) -> None:
        """Tables that held rows before could not be frozen while loading: vacuum them (autovacuum may be off)."""
        if self.unfrozen:
            with self._step("vacuum"):
                for table in self.unfrozen:
                    self._sql(f"VACUUM (ANALYZE) {table}")

    def summary(self, elapsed: float) -> None:
        self.write("")
        self.write("Loaded:")
        for (label, table), count in self.counts.items():
            self.write(f"  {label:<22} {table:<30} {count:>12,}")
        size = self._value("SELECT pg_size_pretty(pg_database_size(current_database()))")
        self.write(f"Total {elapsed:,.1f} s ({elapsed / 60:.1f} min); database size {size}.")
        self.write(f"Common word: {bench_data.COMMON_WORD} (in {self.common_count:,} requests)")
        self.write(f"Rare word: {bench_data.RARE_WORD} (in {self.rare_count} requests)")
        self.write(
            f"Sign in with password {PASSWORD}: {CONTACT_EMAIL} (organisation-level access to "
            f"{LARGEST_ORGANISATION}, {self.plan.largest:,} requests), {CUSTOMER_EMAIL} "
            f"({self.plan.customer_own} own + {self.plan.customer_cc} CC'd), {AGENT_EMAIL} (agent). "
            f"Long thread: request #{self.long_thread_id} “{LONG_THREAD_SUBJECT}”."
        )

    # --- Organisations and people -----------------------------------------------------------------------------

    def _organisations(self) -> None:
        rng, plan = self.rng, self.plan
        codes = list(bench_data.LANGUAGE_WEIGHTS)
        languages = ["en"] + rng.choices(codes, list(bench_data.LANGUAGE_WEIGHTS.values()), k=plan.organisations - 1)
        taken = set(Organisation.objects.values_list("name", flat=True)) | {LARGEST_ORGANISATION}
        names = [LARGEST_ORGANISATION, *bench_data.organisation_names(languages[1:], rng, taken)]
        base = self.base[Organisation._meta.db_table]
        self.org_ids = [base + 1 + index for index in range(plan.organisations)]
        self.org_language = languages
        rows = (
            (org_id, name, _at(self.now - SPAN - rng.uniform(30 * DAY, 730 * DAY)))
            for org_id, name in zip(self.org_ids, names, strict=True)
        )
        self._copy("organisations", Organisation, ("id", "name", "created_at"), rows)

    def _people(self) -> None:
        """Customers by organisation (the largest first, starting with the two well-known people), then agents."""
        rng, plan = self.rng, self.plan
        largest_people = max(3, plan.people // 10)
        others = plan.organisations - 1
        weights = [1 / (rank + 5) for rank in range(others)]
        spare = plan.people - largest_people - others  # every other organisation has at least one person
        total = sum(weights)
        sizes = [1 + int(spare * weight / total) for weight in weights]
        for index in range(plan.people - largest_people - sum(sizes)):
            sizes[index % others] += 1
        sizes.insert(0, largest_people)

        base = self.user_base = self.base[User._meta.db_table]
        self.emails: list[str] = []
        self.members: list[list[int]] = []  # per organisation: who opens requests and is copied on them
        password = make_password(PASSWORD)  # hashed once: every bench person has the same password
        window = self.now - SPAN
        rows: list[tuple] = []
        technical_contacts: list[tuple[int, int]] = []
        for org_index, size in enumerate(sizes):
            org_id, language = self.org_ids[org_index], self.org_language[org_index]
            members = []
            for position in range(size):
                user_id = base + 1 + len(self.emails)
                if org_index == 0 and position == 0:
                    email, name, contact, admin = CONTACT_EMAIL, "Bench Contact", True, False
                    self.contact_id = user_id
                elif org_index == 0 and position == 1:
                    email, name, contact, admin = CUSTOMER_EMAIL, "Bench Customer", False, False
                    self.customer_id = user_id
                else:
                    email = f"person{user_id}@org{org_id}.bench.example"
                    name = bench_data.person_name(language, rng)
                    roll = rng.random()
                    contact, admin = roll < 0.05, 0.05 <= roll < 0.08
                    members.append(user_id)
                    if contact:
                        technical_contacts.append((user_id, org_id))
                self.emails.append(email)
                roll = rng.random()
                if email in WELL_KNOWN:
                    person_language, zone = "en", "UTC"
                else:
                    # Someone who never signed in has no language yet; a few read the portal in English.
                    person_language = "en" if roll < 0.05 else ("" if roll < 0.15 else language)
                    zone = rng.choice(bench_data.TIME_ZONES[language])
                joined = _at(window - rng.uniform(0, 30 * DAY))
                rows.append(
                    (user_id, password, None, False, email, name, contact, admin, False, True, joined, org_id)
                    + (person_language, zone)
                )
            self.members.append(members)

        self.agent_ids = []
        for index in range(plan.agents):
            user_id = base + 1 + len(self.emails)
            email = AGENT_EMAIL if index == 0 else f"agent{user_id}@support.bench.example"
            name = "Bench Agent" if index == 0 else bench_data.agent_name(rng)
            self.emails.append(email)
            self.agent_ids.append(user_id)
            joined = _at(window - rng.uniform(0, 30 * DAY))
            rows.append(
                (user_id, password, None, False, email, name, False, False, True, True, joined, None, "en", "UTC")
            )
        self.agent_id = self.agent_ids[0]
        columns = (
            "id", "password", "last_login", "is_superuser", "email", "full_name", "is_technical_contact",
            "is_org_admin", "is_staff", "is_active", "date_joined", "organisation_id", "language", "time_zone",
        )  # fmt: skip
        self._copy("people", User, columns, rows)

        group_base = self.base[User.groups.through._meta.db_table]
        rows = ((group_base + 1 + index, user_id, self.agents_group.pk) for index, user_id in enumerate(self.agent_ids))
        self._copy("agents group", User.groups.through, ("id", "user_id", "group_id"), rows)

        # The well-known contact holds organisation-level access; so do a fifth of the other technical contacts.
        grants = [(self.contact_id, self.org_ids[0])]
        grants += [contact for contact in technical_contacts if rng.random() < 0.2]
        grant_base = self.base[OrganisationAccess._meta.db_table]
        rows = (
            (grant_base + 1 + index, _at(window + rng.uniform(0, 30 * DAY)), None, None, org_id, None, user_id)
            for index, (user_id, org_id) in enumerate(grants)
        )
        columns = ("id", "granted_at", "revoked_at", "granted_by_id", "organisation_id", "revoked_by_id", "user_id")
        self._copy("organisation access", OrganisationAccess, columns, rows)

    # --- Requests -----------------------------------------------------------------------------------------------

    def _assign_requests(self) -> None:
        """Decide, for every request, its time, organisation, requester, priority, size and search words."""
        rng, plan, count = self.rng, self.plan, self.plan.requests
        start, end = self.now - SPAN, self.now - HOUR
        # More requests lately than three years ago, as a customer base grows.
        self.created = array("d", sorted(start + (end - start) * math.sqrt(rng.random()) for _ in range(count)))

        largest = rng.sample(range(count), plan.largest)
        customer_own = largest[: plan.customer_own]
        customer_cc = largest[plan.customer_own : plan.customer_own + plan.customer_cc]
        others = [index for index in range(1, plan.organisations)]
        others_weights = list(accumulate(len(self.members[index]) for index in others))
        self.org_of = array("l", rng.choices(others, cum_weights=others_weights, k=count))
        for index in largest:
            self.org_of[index] = 0
        self.requester = array("q", bytes(8 * count))
        for index in range(count):
            members = self.members[self.org_of[index]]
            # Some people open many more requests than others.
            self.requester[index] = members[int(len(members) * rng.random() ** 1.6)]
        for index in customer_own:
            self.requester[index] = self.customer_id
        self.customer_cc = set(customer_cc)
        target = self.now - 60 * DAY
        self.long_thread = min(customer_own, key=lambda index: abs(self.created[index] - target))

        self.priority = bytearray(rng.choices(range(4), cum_weights=PRIORITY_CUM_WEIGHTS, k=count))
        self.priority[self.long_thread] = 1
        candidates = [index for index in range(count) if index != self.long_thread]
        self.chat_tickets = set(rng.sample(candidates, plan.chats))

        self.reply_count = array("H", [1]) * count
        self.reply_count[self.long_thread] = LONG_THREAD_REPLIES
        weights = [rng.expovariate(1.0) for _ in range(count)]
        weights[self.long_thread] = 0.0
        cumulative = list(accumulate(weights))
        remaining = plan.replies - (count - 1) - LONG_THREAD_REPLIES
        population = range(count)
        while remaining > 0:
            batch = min(remaining, 500_000)
            for index in rng.choices(population, cum_weights=cumulative, k=batch):
                self.reply_count[index] += 1
            remaining -= batch

        # The search words: never in a chat's request (its description is a fixed sentence) or the long thread.
        plain = [index for index in candidates if index not in self.chat_tickets]
        plain_set = set(plain)
        self.word = bytearray(count)
        # One is the well-known customer's own, one another request of the largest organisation.
        rare = [rng.choice([index for index in customer_own if index in plain_set])]
        rare.append(rng.choice([index for index in largest[plan.customer_own :] if index in plain_set]))
        rare += rng.sample([index for index in plain if index not in set(rare)], RARE_REQUESTS - len(rare))
        for position, index in enumerate(rare):
            self.word[index] = RARE_IN_SUBJECT if position % 2 else RARE_IN_BODY
        rare_set = set(rare)
        common = rng.sample([index for index in plain if index not in rare_set], count // 10)
        for position, index in enumerate(common):
            self.word[index] = COMMON_IN_SUBJECT if position % 2 else COMMON_IN_BODY
        self.rare_count, self.common_count = len(rare), len(common)

    def _tickets(self) -> None:
        self._assign_requests()
        count = self.plan.requests
        self.ticket_base = self.base[Ticket._meta.db_table]
        self.long_thread_id = self.ticket_base + 1 + self.long_thread
        # What the later passes need, kept compact: one entry per request or per reply.
        self.channel = bytearray(count)
        self.status = bytearray(count)
        self.status_at = array("d", bytes(8 * count))
        self.status_actor = array("q", bytes(8 * count))
        self.assignee = array("q", bytes(8 * count))
        self.assigned_at = array("d", bytes(8 * count))
        self.reply_time = array("d")
        self.reply_author = array("q")
        self.reply_kind = bytearray()
        self.cc_ticket = array("l")
        self.cc_user = array("q")
        self.chat_specs: list[tuple] = []
        columns = (
            "id", "subject", "priority", "status", "channel", "created_at", "last_activity_at",
            "priority_changed_at", "solved_at", "merged_into_id", "organisation_id", "requester_id", "assignee_id",
            "first_responded_at", "first_response_due_at", "version", "awaiting_since", "last_reminder_at",
            "next_automation_at", "reminders_sent",
        )  # fmt: skip
        self._copy("requests", Ticket, columns, self._ticket_rows(), total=count)

    def _ticket_rows(self) -> Iterator[tuple]:
        rng, now = self.rng, self.now
        first_response = [self.policies[p].first_response.total_seconds() for p in PRIORITIES]
        reminder_every = [self.policies[p].reminder_every.total_seconds() for p in PRIORITIES]
        agent_mu = [math.log(hours * HOUR) for hours in AGENT_MEDIAN_HOURS]
        customer_mu = math.log(CUSTOMER_MEDIAN_HOURS * HOUR)
        lognormal, random_, choice = rng.lognormvariate, rng.random, rng.choice
        for index in range(self.plan.requests):
            ticket_id = self.ticket_base + 1 + index
            created = self.created[index]
            org_index = self.org_of[index]
            pools = self.pools[self.org_language[org_index]]
            requester = self.requester[index]
            priority = self.priority[index]
            agent = choice(self.agent_ids)
            if index == self.long_thread:
                yield self._long_thread_row(ticket_id, created, requester, first_response)
                continue

            ccs = [self.customer_id] if index in self.customer_cc else []
            members = self.members[org_index]
            if random_() < 0.2 and len(members) > 1:
                for _ in range(1 + (random_() < 0.3) + (random_() < 0.1)):
                    person = choice(members)
                    if person != requester and person not in ccs:
                        ccs.append(person)
            for person in ccs:
                self.cc_ticket.append(index)
                self.cc_user.append(person)

            subject = pools.subject(rng)
            first_agent_at = None
            chat_end = created
            channel = WEB if random_() < 0.72 else EMAIL
            if index in self.chat_tickets:
                channel, priority = CHAT, 2  # a chat opens an S3 request, its subject the first message
                self.priority[index] = priority
                spec = self._chat_spec(index, created, requester, agent, pools)
                subject = spec[-1].splitlines()[0][:150]
                chat_end = spec[3][-1]
                first_agent_at = spec[3][1]
            word = self.word[index]
            if word == COMMON_IN_SUBJECT:
                subject = choice(pools.dashboard_subjects)
            elif word == RARE_IN_SUBJECT:
                subject = f"{subject[:140]} [{bench_data.RARE_WORD}]"
            self.channel[index] = channel

            # The thread: the description, then support and the customer in turns; some agent turns are notes.
            replies = self.reply_count[index]
            gaps, kinds, authors = [], [DESCRIPTION], [requester]
            for turn in range(1, replies):
                if turn % 2:
                    gaps.append(lognormal(agent_mu[priority], 1.0))
                    kinds.append(INTERNAL_NOTE if random_() < 0.08 else AGENT_REPLY)
                    authors.append(agent)
                else:
                    gaps.append(lognormal(customer_mu, 1.2))
                    kinds.append(FOLLOW_UP)
                    authors.append(choice(ccs) if ccs and random_() < 0.2 else requester)
            times = [created]
            if gaps:
                moment = chat_end
                room = now - 300 - moment
                total = sum(gaps)
                scale = room / total if total > room else 1.0
                for gap in gaps:
                    moment += gap * scale
                    times.append(moment)
            self.reply_time.extend(times)
            self.reply_author.extend(authors)
            self.reply_kind.extend(kinds)

            last_public = max(position for position, kind in enumerate(kinds) if kind != INTERNAL_NOTE)
            last = max(times[-1], chat_end)
            for position, kind in enumerate(kinds):
                if kind == AGENT_REPLY:
                    first_agent_at = min(first_agent_at or times[position], times[position])
                    break
            worked = first_agent_at is not None or replies > 1

            # The status follows the age of the last message: old requests are nearly all solved.
            age = now - last
            roll = random_()
            agent_waits = kinds[last_public] == AGENT_REPLY and now - times[last_public] < reminder_every[priority]
            if not worked:
                status = SOLVED if age > 30 * DAY and roll < 0.9 else OPEN
            elif age > 30 * DAY:
                status = SOLVED if roll < 0.96 else (OPEN if roll < 0.98 else ON_HOLD)
            elif agent_waits:
                status = AWAITING if roll < 0.5 else (OPEN if roll < 0.7 else (ON_HOLD if roll < 0.8 else SOLVED))
            else:
                status = OPEN if roll < 0.45 else (ON_HOLD if roll < 0.6 else SOLVED)

            assignee = agent if worked else None
            awaiting_since = next_automation = solved_at = None
            status_at = last
            if status == AWAITING:
                status_at = times[last_public]
                awaiting_since = _at(status_at)
                next_automation = _at(status_at + reminder_every[priority])
            elif status == SOLVED:
                solved_at = _at(last)
            self.status[index] = status
            self.status_at[index] = status_at
            self.status_actor[index] = requester if status == SOLVED and (not worked or roll < 0.25) else agent
            if assignee:
                self.assignee[index] = assignee
                self.assigned_at[index] = first_agent_at or times[1]
            version = replies + (status != OPEN) + (assignee is not None)
            yield (
                ticket_id, subject, PRIORITIES[priority], STATUSES[status], CHANNELS[channel], _at(created),
                _at(last), None, solved_at, None, self.org_ids[org_index], requester, assignee,
                _at(first_agent_at) if first_agent_at else None, _at(created + first_response[priority]), version,
                awaiting_since, None, next_automation, 0,
            )  # fmt: skip

    def _long_thread_row(self, ticket_id: int, created: float, requester: int, first_response: list[float]) -> tuple:
        """The customer's long conversation with one agent, 300 public replies with a chat in the middle."""
        index = self.long_thread
        step = (self.now - HOUR - created) / LONG_THREAD_REPLIES
        times = [created + turn * step + self.rng.uniform(0, step / 4) for turn in range(LONG_THREAD_REPLIES)]
        times[0] = created
        self.reply_time.extend(times)
        self.reply_author.extend(self.agent_id if turn % 2 else requester for turn in range(LONG_THREAD_REPLIES))
        self.reply_kind.extend(
            DESCRIPTION if turn == 0 else (AGENT_REPLY if turn % 2 else FOLLOW_UP)
            for turn in range(LONG_THREAD_REPLIES)
        )
        middle = LONG_THREAD_REPLIES // 2
        self._chat_spec(
            index, times[middle] + 60, requester, self.agent_id, self.pools["en"], LONG_THREAD_CHAT_MESSAGES
        )
        self.channel[index] = WEB
        self.status[index] = OPEN
        self.assignee[index] = self.agent_id
        self.assigned_at[index] = times[1]
        return (
            ticket_id, LONG_THREAD_SUBJECT, "S2", "open", "web", _at(created), _at(times[-1]), None, None, None,
            self.org_ids[0], requester, self.agent_id, _at(times[1]), _at(created + first_response[1]),
            LONG_THREAD_REPLIES + 1, None, None, None, 0,
        )  # fmt: skip

    def _chat_spec(
        self, index: int, start: float, customer: int, agent: int, pools, messages: int | None = None
    ) -> tuple:
        """A chat on request `index`: the customer writes first, an agent takes it within minutes, and they talk."""
        rng = self.rng
        messages = messages or rng.randint(4, 16)
        times, authors = [start], [customer]
        moment = start + rng.uniform(30, 300)
        for turn in range(1, messages):
            times.append(moment)
            authors.append(agent if turn % 2 else customer)
            moment += rng.uniform(15, 120)
        first = pools.chat_line("opening", rng)
        spec = (index, customer, agent, times, authors, pools.code, first)
        self.chat_specs.append(spec)
        return spec

    def _ccs(self) -> None:
        through = Ticket._meta.get_field("ccs").remote_field.through
        ticket_field = Ticket._meta.get_field("ccs")
        base = self.base[through._meta.db_table]
        first = self.ticket_base + 1
        rows = (
            (base + 1 + position, first + index, user_id)
            for position, (index, user_id) in enumerate(zip(self.cc_ticket, self.cc_user, strict=True))
        )
        columns = ("id", ticket_field.m2m_column_name(), ticket_field.m2m_reverse_name())
        self._copy("ccs", through, columns, rows)

    # --- Replies, events, chats -----------------------------------------------------------------------------

    def _replies(self) -> None:
        columns = ("id", "body", "is_public", "channel", "created_at", "author_id", "ticket_id")
        self._copy("replies", Reply, columns, self._reply_rows(), total=len(self.reply_time))

    def _reply_rows(self) -> Iterator[tuple]:
        rng = self.rng
        random_ = rng.random
        chat_opening = {}
        for code in bench_data.TEXT:
            with translation.override(code):
                chat_opening[code] = gettext("This request was started in a chat; the conversation is below.")
        reply_id = self.base[Reply._meta.db_table]
        position = 0
        time_, author_, kind_ = self.reply_time, self.reply_author, self.reply_kind
        for index in range(self.plan.requests):
            ticket_id = self.ticket_base + 1 + index
            code = self.org_language[self.org_of[index]]
            pools = self.pools[code]
            message = pools.message
            channel = CHANNELS[self.channel[index]]
            for turn in range(self.reply_count[index]):
                kind = kind_[position]
                if turn == 0:
                    word = self.word[index]
                    if index in self.chat_tickets:
                        body = chat_opening[code]
                    elif word == COMMON_IN_BODY:
                        body = f"{pools.dashboard_sentence}{pools.joiner}{message('opening', rng, 700)}"
                    elif word == RARE_IN_BODY:
                        body = f"{message('opening', rng, 700)}\n\n{pools.rare_sentence}"
                    else:
                        body = message("opening", rng)
                    via = channel
                else:
                    body = message(MESSAGE_KINDS[kind], rng)
                    via = "email" if kind == FOLLOW_UP and random_() < 0.3 else "web"
                reply_id += 1
                yield (reply_id, body, kind != INTERNAL_NOTE, via, _at(time_[position]), author_[position], ticket_id)
                position += 1

    def _events(self) -> None:
        columns = (
            "id",
            "kind",
            "automation",
            "from_value",
            "to_value",
            "reason",
            "created_at",
            "actor_id",
            "ticket_id",
        )
        self._copy("events", TicketEvent, columns, self._event_rows(), total=int(self.plan.requests * 2.8))

    def _event_rows(self) -> Iterator[tuple]:
        """What the actions would have recorded: opened, CCs, assignment, the status the request ended in."""
        rng = self.rng
        requester_solved = {}
        for code in bench_data.TEXT:
            with translation.override(code):
                requester_solved[code] = gettext("Marked solved by the requester.")
        event_id = self.base[TicketEvent._meta.db_table]
        emails, user_base = self.emails, self.user_base + 1
        cc_position, cc_count = 0, len(self.cc_ticket)
        for index in range(self.plan.requests):
            ticket_id = self.ticket_base + 1 + index
            requester = self.requester[index]
            created = _at(self.created[index])
            event_id += 1
            yield (event_id, EventKind.CREATED.value, "", "", "open", "", created, requester, ticket_id)
            ccs = []
            while cc_position < cc_count and self.cc_ticket[cc_position] == index:
                ccs.append(emails[self.cc_user[cc_position] - user_base])
                cc_position += 1
            if ccs:
                event_id += 1
                yield (event_id, EventKind.CC.value, "", "", ", ".join(ccs)[:100], "", created, requester, ticket_id)
            assignee = self.assignee[index]
            if assignee:
                event_id += 1
                email = emails[assignee - user_base]
                at = _at(self.assigned_at[index] - 1)
                yield (event_id, EventKind.ASSIGNEE.value, "", "", email, "", at, assignee, ticket_id)
            status = self.status[index]
            if status != OPEN:
                actor = self.status_actor[index]
                if status == SOLVED:
                    language = self.org_language[self.org_of[index]]
                    reason = requester_solved[language] if actor == requester else rng.choice(SOLVED_REASONS)
                elif status == ON_HOLD:
                    reason = rng.choice(ON_HOLD_REASONS)
                else:
                    reason = ""
                event_id += 1
                at = _at(self.status_at[index])
                yield (event_id, EventKind.STATUS.value, "", "open", STATUSES[status], reason, at, actor, ticket_id)

    def _chats(self) -> None:
        chat_base = self.base[Chat._meta.db_table]
        rows = []
        for number, (index, customer, agent, times, authors, _code, _first) in enumerate(self.chat_specs):
            last_customer = max(moment for moment, author in zip(times, authors, strict=True) if author == customer)
            rows.append(
                (
                    chat_base + 1 + number, Chat.State.ENDED.value, _at(times[0]), _at(times[1] - 5),
                    _at(times[-1] + 30), _at(last_customer), agent, customer, self.ticket_base + 1 + index,
                )
            )  # fmt: skip
        columns = (
            "id", "state", "started_at", "taken_at", "ended_at", "customer_seen_at", "agent_id", "customer_id",
            "ticket_id",
        )  # fmt: skip
        self._copy("chats", Chat, columns, rows)
        columns = ("id", "body", "created_at", "author_id", "chat_id")
        self._copy("chat messages", ChatMessage, columns, self._chat_message_rows(chat_base))

    def _chat_message_rows(self, chat_base: int) -> Iterator[tuple]:
        rng = self.rng
        message_id = self.base[ChatMessage._meta.db_table]
        for number, (_index, customer, _agent, times, authors, code, first) in enumerate(self.chat_specs):
            pools = self.pools[code]
            for turn, (moment, author) in enumerate(zip(times, authors, strict=True)):
                if turn == 0:
                    body = first
                else:
                    body = pools.chat_line("followup" if author == customer else "agent", rng)
                message_id += 1
                yield (message_id, body, _at(moment), author, chat_base + 1 + number)

    # --- Database helpers ------------------------------------------------------------------------------------

    def _copy(
        self, label: str, model: type[models.Model], columns: tuple[str, ...], rows: Iterable[tuple], total: int = 0
    ) -> None:
        """COPY `rows` into the model's table. COPY applies no Django defaults, only the database's own (a field's
        `db_default`), so every other column must be given."""
        table = model._meta.db_table
        needed = {f.column for f in model._meta.concrete_fields if f.db_default is models.NOT_PROVIDED}
        missing = needed - set(columns)
        if missing:
            raise CommandError(f"seed_bench does not fill {table}.{', '.join(sorted(missing))}: update it.")
        options = " WITH (FREEZE)" if table in self.frozen else ""
        started = time.monotonic()
        count = 0
        report = max(total // 4, 500_000) if total >= 1_000_000 else 0
        with (
            self.raw.cursor() as cursor,
            cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN{options}") as copy,
        ):
            write_row = copy.write_row
            for row in rows:
                write_row(row)
                count += 1
                if report and count % report == 0:
                    self.write(f"  … {count:,} {label} ({time.monotonic() - started:.1f} s)")
        self.counts[label, table] = count
        elapsed = time.monotonic() - started
        self.write(f"{label:<24} {count:>11,} rows {elapsed:8.1f} s  {count / max(elapsed, 1e-6):>10,.0f} rows/s")

    def _documents(self) -> None:
        """The search document of every new request, by the same SQL function the triggers use.

        PostgreSQL computes them in parallel when it may (CREATE TABLE AS can use parallel workers, INSERT cannot):
        this is where most of the load's time goes, every reply's text is read once more.
        """
        first = self.base[Ticket._meta.db_table] + 1
        self._sql("SET LOCAL max_parallel_workers_per_gather = 4")
        compute = "CREATE TEMPORARY TABLE bench_documents ON COMMIT DROP AS SELECT * FROM portal_ticket_documents"
        self._timed("compute", f"{compute}({first:d}, {2**63 - 1:d})")
        self._timed("copy", self._sql_for("INSERT INTO {} SELECT * FROM bench_documents", self.documents))
        self._sql("RESET max_parallel_workers_per_gather")

    def _drop_indexes_and_constraints(self) -> Deferred:
        deferred = Deferred()
        tables = [*self.tables, self.documents]
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid), c.contype
                FROM pg_constraint c
                WHERE (c.contype = 'u' AND c.conrelid = ANY(%(tables)s::regclass[]))
                   OR (c.contype = 'f' AND (c.conrelid = ANY(%(tables)s::regclass[])
                                            OR c.confrelid = ANY(%(tables)s::regclass[])))
                ORDER BY c.conrelid::regclass::text, c.conname
                """,
                {"tables": tables},
            )
            for table, name, definition, kind in cursor.fetchall():
                (deferred.foreign_keys if kind == "f" else deferred.unique).append((table, name, definition))
            cursor.execute(
                """
                SELECT i.indrelid::regclass::text, i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
                FROM pg_index i
                WHERE i.indrelid = ANY(%(tables)s::regclass[]) AND NOT i.indisprimary
                  AND NOT EXISTS (SELECT FROM pg_constraint c WHERE c.conindid = i.indexrelid
                                  AND c.conrelid = i.indrelid AND c.contype IN ('p', 'u', 'x'))
                ORDER BY i.indrelid::regclass::text, i.indexrelid::regclass::text
                """,
                {"tables": tables},
            )
            deferred.indexes = cursor.fetchall()
            for table, name, _definition in deferred.foreign_keys + deferred.unique:
                cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {connection.ops.quote_name(name)}")
            for _table, name, _definition in deferred.indexes:
                cursor.execute(f"DROP INDEX {name}")  # regclass text: already quoted where needed
        return deferred

    def _portal_tables(self) -> list[str]:
        """The tables of accounts, tickets and workflow except the priority policies, and the sessions (ids are
        reused after RESTART IDENTITY, so an old session must not sign in as somebody new)."""
        tables = ["django_session"]
        for label in ("accounts", "tickets", "workflow"):
            for model in apps.get_app_config(label).get_models(include_auto_created=True):
                if model is not PriorityPolicy:
                    tables.append(model._meta.db_table)
        return tables

    def _step(self, label: str):
        return _Step(label, self.write)

    def _timed(self, name: str, sql: str) -> None:
        started = time.monotonic()
        self._sql(sql)
        elapsed = time.monotonic() - started
        if elapsed >= 1:  # the small ones are many and quick; the step's total counts them
            self.write(f"  {name:<62} {elapsed:6.1f} s")

    @staticmethod
    def _sql_for(template: str, table: str) -> str:
        # Table names come from the models' metadata, never from input.
        return template.format(table)

    def _sql(self, sql: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql)

    def _value(self, sql: str):
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchone()[0]


class _Step:
    def __init__(self, label: str, write) -> None:
        self.label, self.write = label, write

    def __enter__(self) -> None:
        self.started = time.monotonic()

    def __exit__(self, *exc) -> None:
        if exc[0] is None:
            self.write(f"{self.label:<24} {'':>16} {time.monotonic() - self.started:8.1f} s")


def _at(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)
