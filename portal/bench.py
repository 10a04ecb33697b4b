"""The benchmark behind `manage.py bench` (issue #10): how long the portal's pages take on a large data set, and
how far each is from the floor, the least any page of this stack can cost.

Every page goes through the whole stack in-process (`django.test.Client`, so the real middleware, session, auth
and templates; the client only skips the socket and the WSGI server). The personas and the data are the ones
`manage.py seed_bench` loads. Scenarios are interleaved: each timed round requests every scenario once, so
background load on the machine falls on all of them alike, the floor included. The figures are p50 and p95 of
the wall time around `client.get`.

For each scenario one more request is made with its queries captured: their count, and the main query, the
SELECT that takes longest under EXPLAIN ANALYZE (the faster of two runs of each), whose plan is kept. "Rows
scanned" is what the scan nodes of that plan read: the rows they returned plus those their filter or recheck
removed, times their loops.
"""

from __future__ import annotations

import json
import math
import os
import platform
import statistics
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from time import perf_counter
from urllib.parse import urlsplit

import django
from django.conf import settings
from django.db import connection
from django.db.models import Count
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Organisation, User
from tickets.models import Chat, ChatMessage, Reply, Ticket
from tickets.thread import thread_changed
from workflow.models import Priority, Status

# The well-known rows of seed_bench's data set.
LARGEST_ORGANISATION = "Bench Largest Org"
PERSONAS = {
    "customer": "bench-customer@bench.example",
    "contact": "bench-contact@bench.example",
    "agent": "bench-agent@bench.example",
}
CUSTOMERS = ("customer", "contact")
LONG_THREAD_SUBJECT = "Bench long thread"
COMMON_WORD = "dashboard"
RARE_WORD = "zyxwvut"
DEEP_PAGE = 200
STATUS_FILTER = Status.OPEN
QUEUE_PRIORITY = Priority.S1

# Scenario names: the report's rows, and what `--only` matches.
FLOOR = "Floor"
MY_PAGE_1 = "My requests, page 1"
MY_CREATED = "My requests, created ascending"
MY_STATUS = f"My requests, status {STATUS_FILTER.value}"
MY_DEEP = f"My requests, page {DEEP_PAGE}"
MY_LAST = "My requests, last page ({page})"  # when the persona sees fewer than DEEP_PAGE pages
SEARCH_COMMON = f"Search, common word ({COMMON_WORD})"
SEARCH_RARE = f"Search, rare word ({RARE_WORD})"
REQUEST_PAGE = "Request page, long thread"
# For comparison, not a target of the issue: what a request page costs with (nearly) nothing in its thread.
SHORT_PAGE = "Request page, shortest thread"
# For comparison too: the long thread's page when its conversation has just changed, so that it is read and
# written again instead of coming from the cache (tickets.thread), as on the first view after every new message.
CHANGED_PAGE = "Request page, long thread, just changed"
QUEUE = f"Agent queue, priority {QUEUE_PRIORITY.value}"

SCAN_NODES = {"Seq Scan", "Index Scan", "Index Only Scan", "Bitmap Heap Scan"}
LARGE_SCAN = 10_000  # scans reading at least this many rows are named in a plan's notes

MISSING_DATA = "The benchmark data is missing ({what}): run manage.py seed_bench first."


class BenchError(Exception):
    """The run cannot go on: the data is missing, or a page did not answer 200."""


@dataclass(frozen=True)
class Scenario:
    name: str
    persona: str
    url: str
    target: int | None  # its p95 must stay within this many times the persona's floor p95
    # Around each request, untimed: what the scenario needs set up first and put back after.
    around: Callable[[], AbstractContextManager] | None = field(default=None, compare=False)


@dataclass
class QueryPlan:
    sql: str
    execution_ms: float | None  # None where EXPLAIN ANALYZE is not available (SQLite)
    rows_scanned: int | None
    notes: list[str] = field(default_factory=list)
    text: str = ""


@dataclass
class Result:
    scenario: Scenario
    timings_ms: list[float] = field(default_factory=list)
    queries: int = 0
    main: QueryPlan | None = None

    @property
    def p50(self) -> float:
        return statistics.median(self.timings_ms)

    @property
    def p95(self) -> float:
        return percentile(self.timings_ms, 0.95)


@dataclass
class Dataset:
    users: dict[str, User]
    long_thread: Ticket
    visible: dict[str, int]  # requests each customer persona sees
    short_thread: Ticket | None = None  # the plain customer's own request with the fewest replies, no chat


@dataclass
class Report:
    started: datetime
    header: list[str]
    results: list[Result]
    floors: dict[str, float]
    query_counts: dict[str, dict[str, int]]
    requests_made: int
    load_after: tuple[float, ...]

    def ratio(self, result: Result) -> float:
        return result.p95 / self.floors[result.scenario.persona]

    def met(self, result: Result) -> bool | None:
        if result.scenario.target is None:
            return None
        return self.ratio(result) <= result.scenario.target

    @property
    def missed(self) -> list[Result]:
        return [result for result in self.results if self.met(result) is False]

    @property
    def counts_vary(self) -> list[str]:
        return [persona for persona, counts in self.query_counts.items() if len(set(counts.values())) > 1]


def percentile(values: list[float], fraction: float) -> float:
    """Nearest rank: the smallest value with at least `fraction` of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(fraction * len(ordered))) - 1]


# --- The data set -----------------------------------------------------------------------------------------


def load_dataset() -> Dataset:
    users = {user.email: user for user in User.objects.filter(email__in=PERSONAS.values())}
    missing = [email for email in PERSONAS.values() if email not in users]
    if not Organisation.objects.filter(name=LARGEST_ORGANISATION).exists():
        missing.insert(0, f"organisation {LARGEST_ORGANISATION!r}")
    long_thread = Ticket.objects.filter(subject=LONG_THREAD_SUBJECT).order_by("pk").first()
    if long_thread is None:
        missing.append(f"request {LONG_THREAD_SUBJECT!r}")
    if missing:
        raise BenchError(MISSING_DATA.format(what=", ".join(missing)))
    personas = {persona: users[email] for persona, email in PERSONAS.items()}
    visible = {persona: Ticket.objects.visible_to(personas[persona]).count() for persona in CUSTOMERS}
    short_thread = (
        Ticket.objects.filter(requester=personas["customer"], chats__isnull=True)
        .annotate(replies_count=Count("replies"))
        .order_by("replies_count", "pk")
        .first()
    )
    return Dataset(users=personas, long_thread=long_thread, visible=visible, short_thread=short_thread)


def deep_page(visible: int, per_page: int) -> int:
    return max(1, min(DEEP_PAGE, math.ceil(visible / per_page)))


def build_scenarios(data: Dataset, *, per_page: int) -> list[Scenario]:
    """Every scenario of the issue, in report order. The floor comes first for each persona measured."""
    my = reverse("tickets:my_requests")
    detail = reverse("tickets:detail", args=[data.long_thread.pk])
    readers = [p for p in PERSONAS if Ticket.objects.sees(data.users[p], data.long_thread.pk)]
    if not set(readers) & set(CUSTOMERS):
        raise BenchError(f"Neither customer persona can see request #{data.long_thread.pk} ({LONG_THREAD_SUBJECT!r}).")
    scenarios = [Scenario(FLOOR, persona, reverse("bench_floor"), None) for persona in PERSONAS]
    per_customer = [
        (MY_PAGE_1, "", 3),
        (MY_CREATED, "?sort=created", 5),
        (MY_STATUS, f"?status={STATUS_FILTER.value}", 5),
        (None, "?page={page}", 5),
        (SEARCH_COMMON, f"?q={COMMON_WORD}", 8),
        (SEARCH_RARE, f"?q={RARE_WORD}", 8),
    ]
    for name, query, target in per_customer:
        for persona in CUSTOMERS:
            if name is None:  # the deep page: page 200, or the last one the persona has
                page = deep_page(data.visible[persona], per_page)
                name_here = MY_DEEP if page == DEEP_PAGE else MY_LAST.format(page=page)
                scenarios.append(Scenario(name_here, persona, my + query.format(page=page), target))
            else:
                scenarios.append(Scenario(name, persona, my + query, target))
    scenarios += [Scenario(REQUEST_PAGE, persona, detail, 3) for persona in readers]
    changed = partial(conversation_changed, data.long_thread.pk)
    scenarios += [Scenario(CHANGED_PAGE, persona, detail, None, changed) for persona in readers if persona != "contact"]
    if data.short_thread is not None:
        short = reverse("tickets:detail", args=[data.short_thread.pk])
        scenarios.append(Scenario(SHORT_PAGE, "customer", short, None))
    scenarios.append(Scenario(QUEUE, "agent", f"{reverse('workflow:queue')}?priority={QUEUE_PRIORITY.value}", None))
    return scenarios


@contextmanager
def conversation_changed(ticket_id: int) -> Iterator[None]:
    """The request as on the first view after a new message: its conversation has a new thread_version, so its kept
    copy is not found and it is read and written again. The version is put back after, so that the other
    scenarios, interleaved with this one, still find the copy kept for them."""
    version = Ticket.objects.values_list("thread_version", flat=True).get(pk=ticket_id)
    thread_changed(ticket_id)
    try:
        yield
    finally:
        Ticket.objects.filter(pk=ticket_id).update(thread_version=version)


def select(scenarios: list[Scenario], only: str) -> list[Scenario]:
    """The scenarios whose name contains `only` (any case), with the floors of the personas they need."""
    if not only:
        return scenarios
    chosen = [s for s in scenarios if s.name != FLOOR and only.lower() in s.name.lower()]
    if not chosen:
        raise BenchError(f"No scenario matches {only!r}.")
    personas = {s.persona for s in chosen}
    return [s for s in scenarios if s.name == FLOOR and s.persona in personas] + chosen


# --- Measuring --------------------------------------------------------------------------------------------


def bench_settings():
    """What the run needs: the floor switched on, the test client's host allowed, DEBUG off (as in production,
    and so that no query is logged while timing), no HTTPS redirect, no two-factor set-up for the agent."""
    # The test client speaks plain HTTP: the HTTPS redirect would answer every page with a 301. The seeded agent
    # has no authenticator app, which production would send to the set-up page first.
    return override_settings(
        BENCHMARK_FLOOR=True,
        DEBUG=False,
        SECURE_SSL_REDIRECT=False,
        MFA_REQUIRED_FOR_STAFF=False,
        ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"],
    )


class Browsers:
    """One signed-in test client per persona, and a count of the requests made (each one answered 200, or the
    run stopped with BenchError)."""

    def __init__(self, users: dict[str, User]) -> None:
        self.clients = {}
        for persona, user in users.items():
            self.clients[persona] = Client()
            self.clients[persona].force_login(user)
        self.requests = 0

    def get(self, scenario: Scenario, *, timings: list[float] | None = None, captured: list[str] | None = None):
        """One request of the scenario; its time appended to `timings`, its queries' SQL to `captured`."""
        client = self.clients[scenario.persona]
        try:
            with scenario.around() if scenario.around else nullcontext():
                with CaptureQueriesContext(connection) if captured is not None else nullcontext() as queries:
                    start = perf_counter()
                    response = client.get(scenario.url)
                    elapsed = perf_counter() - start
        except Exception as error:
            raise BenchError(f"{scenario.name} as {scenario.persona} ({scenario.url}) raised {error!r}") from error
        self.requests += 1
        if response.status_code != 200:
            raise BenchError(
                f"{scenario.name} as {scenario.persona} ({scenario.url}) answered {response.status_code}, not 200."
            )
        if timings is not None:
            timings.append(elapsed * 1000)
        if captured is not None:
            captured += [query["sql"] for query in queries.captured_queries]
        return response

    def capture(self, scenario: Scenario) -> list[str]:
        """The SQL of one more request of the scenario (not of what is set up around it)."""
        captured: list[str] = []
        self.get(scenario, captured=captured)
        return captured

    def sign_out(self) -> None:
        for client in self.clients.values():
            client.logout()  # deletes the sessions force_login wrote


def measure(
    scenarios: list[Scenario], browsers: Browsers, *, warmup: int, iterations: int, progress: Callable[[str], None]
) -> list[Result]:
    """Warm-up rounds, then timed rounds; each round requests every scenario once."""
    results = [Result(scenario) for scenario in scenarios]
    for _ in range(warmup):
        for scenario in scenarios:
            browsers.get(scenario)
    step = max(1, iterations // 10)
    for round_number in range(1, iterations + 1):
        for result in results:
            browsers.get(result.scenario, timings=result.timings_ms)
        if round_number % step == 0 or round_number == iterations:
            progress(f"round {round_number}/{iterations}")
    return results


def analyse(result: Result, browsers: Browsers) -> None:
    """Count the scenario's queries and find its main query (on PostgreSQL, by EXPLAIN ANALYZE)."""
    queries = browsers.capture(result.scenario)
    result.queries = len(queries)
    selects = [sql for sql in queries if sql.lstrip().upper().startswith(("SELECT", "WITH"))]
    if not selects:
        return
    if connection.vendor != "postgresql":
        result.main = QueryPlan(sql=selects[0], execution_ms=None, rows_scanned=None)
        return
    # The faster of two runs of each: one run of a sub-millisecond query can take longer than the real main
    # query when the machine is busy.
    plans = [min(explain(sql), explain(sql), key=lambda plan: plan.execution_ms or 0) for sql in selects]
    result.main = max(plans, key=lambda plan: plan.execution_ms or 0)
    result.main.text = explain_text(result.main.sql)


def query_counts(browsers: Browsers, persona: str, visible: int, per_page: int) -> dict[str, int]:
    """Queries of My requests on page 1 and on the deep page, at the configured page size and at 4× it."""
    my = reverse("tickets:my_requests")
    counts = {}
    for size in (per_page, per_page * 4):
        with override_settings(REQUESTS_PER_PAGE=size):
            for page in (1, deep_page(visible, size)):
                scenario = Scenario(f"My requests, page {page}", persona, f"{my}?page={page}", None)
                counts[f"page {page} of {size}"] = len(browsers.capture(scenario))
    return counts


# --- EXPLAIN ----------------------------------------------------------------------------------------------


def explain(sql: str) -> QueryPlan:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}")
        document = cursor.fetchone()[0]
    if isinstance(document, str):
        document = json.loads(document)
    top = document[0]
    notes = plan_notes(top["Plan"])
    jit = top.get("JIT", {}).get("Timing", {}).get("Total")
    if jit:
        notes.append(f"JIT compilation {jit:.0f} ms")
    return QueryPlan(
        sql=sql, execution_ms=top.get("Execution Time"), rows_scanned=rows_scanned(top["Plan"]), notes=notes
    )


def explain_text(sql: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


def plan_nodes(node: dict) -> Iterator[dict]:
    yield node
    for child in node.get("Plans", []):
        yield from plan_nodes(child)


def node_rows_read(node: dict) -> float:
    per_loop = (
        node.get("Actual Rows", 0)
        + node.get("Rows Removed by Filter", 0)
        + node.get("Rows Removed by Index Recheck", 0)
    )
    return per_loop * node.get("Actual Loops", 1)


def rows_scanned(plan: dict) -> int:
    return round(sum(node_rows_read(node) for node in plan_nodes(plan) if node["Node Type"] in SCAN_NODES))


def plan_notes(plan: dict) -> list[str]:
    """What an optimiser looks at first: sequential scans, large scans, sorts, joins and aggregates that go
    through many rows."""
    notes = []
    for node in plan_nodes(plan):
        kind = node["Node Type"]
        loops = node.get("Actual Loops", 1)
        if not loops:
            continue  # never executed
        repeated = f" in {loops:,} loops" if loops > 1 else ""
        if kind == "Seq Scan" or (kind in SCAN_NODES and node_rows_read(node) >= LARGE_SCAN):
            index = f" using {node['Index Name']}" if node.get("Index Name") else ""
            read = round(node_rows_read(node))
            notes.append(f"{kind} on {node.get('Relation Name', '?')}{index}: {read:,} rows read{repeated}")
        elif kind in {"Sort", "Incremental Sort"}:
            space = (
                f", {node['Sort Space Used']} kB {node.get('Sort Space Type', '')}" if "Sort Space Used" in node else ""
            )
            method = node.get("Sort Method") or ", ".join(node.get("Full-sort Groups", {}).get("Sort Methods Used", []))
            notes.append(f"{kind} ({method or '?'}{space.rstrip()}) of {sum_children(node):,} rows")
        elif node.get("Rows Removed by Join Filter", 0) * loops >= LARGE_SCAN:
            removed = round(node["Rows Removed by Join Filter"] * loops)
            notes.append(f"{kind} join filter discarding {removed:,} row pairs")
        elif kind == "Aggregate" and sum_children(node) >= LARGE_SCAN:
            notes.append(f"Aggregate over {sum_children(node):,} rows")
    return notes


def sum_children(node: dict) -> int:
    return round(sum(child.get("Actual Rows", 0) * child.get("Actual Loops", 1) for child in node.get("Plans", [])))


# --- The report -------------------------------------------------------------------------------------------


def header(data: Dataset, *, warmup: int, iterations: int, per_page: int, started: datetime) -> list[str]:
    database = settings.DATABASES["default"]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            server = f"PostgreSQL {cursor.fetchone()[0]}"
        where = f"{database['NAME']} on {database.get('HOST') or 'local socket'}:{database.get('PORT') or 5432}"
    else:
        import sqlite3

        server = f"SQLite {sqlite3.sqlite_version} (targets are set for PostgreSQL)"
        where = str(database["NAME"])
    try:
        import psycopg

        driver = f", psycopg {psycopg.__version__}"
    except ImportError:
        driver = ""
    thread = data.long_thread
    chats = Chat.objects.filter(ticket=thread).count()
    chat_messages = ChatMessage.objects.filter(chat__ticket=thread).count()
    return [
        f"Support portal benchmark (manage.py bench), {started:%Y-%m-%d %H:%M:%S %Z}",
        f"Machine: {os.cpu_count()} cores (os.cpu_count()), {platform.platform()}, load average "
        + " ".join(f"{load:.2f}" for load in os.getloadavg()),
        f"Versions: Python {platform.python_version()}, Django {django.get_version()}{driver}, {server}",
        f"Database: {where}",
        f"Data: {Ticket.objects.count():,} requests, {Reply.objects.count():,} replies, "
        f"{ChatMessage.objects.count():,} chat messages, {User.objects.count():,} people, "
        f"{Organisation.objects.count():,} organisations",
        f"Personas: customer ({PERSONAS['customer']}) sees {data.visible['customer']:,} requests, "
        f"contact ({PERSONAS['contact']}) {data.visible['contact']:,}, agent ({PERSONAS['agent']}) all",
        f"Long thread: request #{thread.pk}, {thread.replies.count():,} replies, {chats} chat(s) with "
        f"{chat_messages:,} messages",
        f"Shortest thread (for comparison): the customer's request #{data.short_thread.pk}, "
        f"{data.short_thread.replies.count():,} replies, no chat"
        if data.short_thread
        else "Shortest thread: the customer has no request without a chat",
        f"Cache: {cache_in_use()}; a request page keeps what its readers share there for "
        f"{settings.REQUEST_PAGE_CACHE_SECONDS} s at most (REQUEST_PAGE_CACHE_SECONDS)",
        f"Method: in-process Django test client (middleware, sessions, auth, templates), DEBUG off, page size "
        f"{per_page}; {warmup} warm-up then {iterations} timed rounds, each requesting every scenario once",
    ]


def cache_in_use() -> str:
    backend = settings.CACHES["default"]["BACKEND"]
    if "Redis" in backend:
        where = urlsplit(settings.REDIS_URL)
        return f"Redis ({where.hostname}:{where.port or 6379}{where.path})"  # not the password, if any
    return f"this process's memory ({backend.rsplit('.', 1)[-1]}; set REDIS_URL to measure with Redis)"


def table(report: Report) -> list[str]:
    columns = ["scenario", "user", "p50 ms", "p95 ms", "×floor", "target", "met", "queries", "rows scanned"]
    rows = []
    for result in report.results:
        met = report.met(result)
        main = result.main
        rows.append(
            [
                result.scenario.name,
                result.scenario.persona,
                f"{result.p50:.1f}",
                f"{result.p95:.1f}",
                f"{report.ratio(result):.1f}",
                f"{result.scenario.target}×" if result.scenario.target else "-",
                "-" if met is None else ("yes" if met else "no"),
                str(result.queries),
                f"{main.rows_scanned:,}" if main and main.rows_scanned is not None else "n/a",
            ]
        )
    widths = [max(len(row[i]) for row in [columns, *rows]) for i in range(len(columns))]

    def line(cells: list[str]) -> str:
        return "  ".join(
            cell.ljust(width) if i < 2 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return [line(columns), line(["-" * width for width in widths]), *(line(row) for row in rows)]


def summary(report: Report) -> list[str]:
    with_target = [result for result in report.results if result.scenario.target]
    lines = [
        f"Targets: {len(with_target) - len(report.missed)} of {len(with_target)} met (p95 within N× the "
        "same user's floor p95)."
    ]
    lines += [
        f"  missed: {r.scenario.name}, {r.scenario.persona}: {report.ratio(r):.1f}× > {r.scenario.target}×"
        for r in report.missed
    ]
    lines += ["", "Queries per page of My requests (constant: the same at every page and page size):"]
    for persona, counts in report.query_counts.items():
        constant = "yes" if len(set(counts.values())) == 1 else "no"
        shown = ", ".join(f"{label}: {count}" for label, count in counts.items())
        lines.append(f"  {persona}: {shown}; constant: {constant}")
    lines.append(f"Responses: {report.requests_made:,} requests, every one 200.")
    load = " ".join(f"{value:.2f}" for value in report.load_after)
    lines.append(f"Load average after the timed rounds: {load} (other work on the machine inflates every figure).")
    return lines


def main_queries(report: Report, *, full: bool) -> list[str]:
    lines = ["Main query of each scenario (the SELECT with the longest EXPLAIN ANALYZE execution time):"]
    for result in report.results:
        main = result.main
        if main is None:
            continue
        took = f"{main.execution_ms:.1f} ms" if main.execution_ms is not None else "not explained"
        notes = "; ".join(main.notes) or "no large scan, no sort"
        lines.append(f"- {result.scenario.name}, {result.scenario.persona}: {took}; {notes}")
        if full:
            lines += [f"  GET {result.scenario.url}", "", indent(main.sql), "", indent(main.text or "(no plan)"), ""]
    return lines


def indent(text: str) -> str:
    return "\n".join(f"    {line}" for line in text.splitlines())


def render(report: Report, *, full: bool) -> str:
    parts = [*report.header, "", *table(report), "", *summary(report), "", *main_queries(report, full=full)]
    return "\n".join(parts).rstrip() + "\n"


def run(*, warmup: int, iterations: int, only: str = "", progress: Callable[[str], None] = print) -> Report:
    started = datetime.now(UTC)
    with bench_settings():
        per_page = settings.REQUESTS_PER_PAGE
        data = load_dataset()
        scenarios = select(build_scenarios(data, per_page=per_page), only)
        heading = header(data, warmup=warmup, iterations=iterations, per_page=per_page, started=started)
        browsers = Browsers(data.users)
        try:
            progress(f"{len(scenarios)} scenarios: {warmup} warm-up and {iterations} timed rounds")
            results = measure(scenarios, browsers, warmup=warmup, iterations=iterations, progress=progress)
            load_after = os.getloadavg()
            progress("counting queries, explaining the main ones")
            for result in results:
                analyse(result, browsers)
            counts = {
                persona: query_counts(browsers, persona, data.visible[persona], per_page) for persona in CUSTOMERS
            }
        finally:
            browsers.sign_out()
    return Report(
        started=started,
        header=heading,
        results=results,
        floors={result.scenario.persona: result.p95 for result in results if result.scenario.name == FLOOR},
        query_counts=counts,
        requests_made=browsers.requests,
        load_after=load_after,
    )


def check_data() -> str:
    """One line on the data set, or BenchError when seed_bench has not run."""
    load_dataset()
    return f"Benchmark data present: {Ticket.objects.count():,} requests."
