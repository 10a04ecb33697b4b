"""Nothing but `workflow/actions.py` writes a request's status, priority, assignee or merge (issue #3).

The actions check the status machine, record an event and bump the version; a write anywhere else would skip
all three. This test reads the project's code and fails on any such write outside the actions, and proves on
small snippets that it flags writes and leaves comparisons, comments and strings alone.
"""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

import pytest
from django.contrib import admin
from django.test import RequestFactory

from tickets.models import Ticket

ROOT = Path(__file__).resolve().parents[2]
APPS = ("accounts", "tickets", "workflow", "portal")
THE_ACTIONS = "workflow/actions.py"
ALLOW_LIST = {
    # The demo data command creates requests as an import of historical data would: each with the status and
    # priority it had then, and its history as events. It only fills an empty demo database and never changes
    # a live request, so there is no status machine to go through and no version to guard.
    "tickets/management/commands/seed_demo.py",
    # The benchmark seeder bulk-loads a large history the same way (COPY into an empty database), on PostgreSQL
    # only, for `make bench`; it never touches a live request either.
    "tickets/management/commands/seed_bench.py",
}

FIELDS = r"(?:status|priority|assignee(?:_id)?|merged_into(?:_id)?)"
# `ticket.status = ...`, never `ticket.status == ...` (nor !=, <=, >=).
ASSIGNMENT = re.compile(rf"\.{FIELDS}\b\s*=(?!=)")
# Calls whose keyword arguments write columns: queryset updates and creating requests.
WRITING_CALLS = re.compile(
    r"\.update\(|\bTicket\.objects\.(?:create|get_or_create|update_or_create)\(|\.bulk_create\(|\bTicket\("
)
KEYWORD = re.compile(rf"\b{FIELDS}\s*=(?!=)")
# Calls that name the field as a string: `bulk_update(rows, ["status"])`, `setattr(ticket, "status", ...)`.
NAMING_CALLS = re.compile(r"\.bulk_update\(|\bsetattr\(")
NAMED_FIELD = re.compile(rf"[\"']{FIELDS}[\"']")


def _code_only(source: str) -> str:
    """`source` with comments and string literals blanked: same length and lines, so offsets still match."""
    lines = [list(line) for line in io.StringIO(source).readlines()]
    blanked = {tokenize.COMMENT, tokenize.STRING, getattr(tokenize, "FSTRING_MIDDLE", tokenize.STRING)}
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError):
        return source
    for token in tokens:
        if token.type not in blanked:
            continue
        (first_row, first_col), (last_row, last_col) = token.start, token.end
        for row in range(first_row, last_row + 1):
            line = lines[row - 1]
            start = first_col if row == first_row else 0
            end = min(last_col if row == last_row else len(line), len(line))
            for index in range(start, end):
                if line[index] not in "\r\n":
                    line[index] = " "
    return "".join("".join(line) for line in lines)


def _arguments(text: str, opening: int) -> str:
    """The text between the parenthesis at `opening` and the one that closes it."""
    depth = 0
    for index in range(opening, len(text)):
        if text[index] == "(":
            depth += 1
        elif text[index] == ")":
            depth -= 1
            if depth == 0:
                return text[opening + 1 : index]
    return text[opening + 1 :]


def writes(source: str) -> list[tuple[int, str]]:
    """(line number, line) of every write of status, priority, assignee or merged_into in `source`."""
    code = _code_only(source)
    offsets = [match.start() for match in ASSIGNMENT.finditer(code)]
    offsets += [m.start() for m in WRITING_CALLS.finditer(code) if KEYWORD.search(_arguments(code, m.end() - 1))]
    offsets += [m.start() for m in NAMING_CALLS.finditer(code) if NAMED_FIELD.search(_arguments(source, m.end() - 1))]
    lines = source.splitlines()
    numbers = sorted({source.count("\n", 0, offset) + 1 for offset in offsets})
    return [(number, lines[number - 1].strip()) for number in numbers]


def scanned_files() -> list[str]:
    found = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if {"tests", "migrations", ".venv"} & set(relative.parts):
                continue
            found.append(relative.as_posix())
    return found


# --- The project ------------------------------------------------------------------------------------------


def test_nothing_but_the_workflow_actions_writes_status_priority_assignee_or_merge():
    offenders = {
        name: writes((ROOT / name).read_text(encoding="utf-8"))
        for name in scanned_files()
        if name != THE_ACTIONS and name not in ALLOW_LIST
    }
    offenders = {name: found for name, found in offenders.items() if found}

    assert offenders == {}, "Only workflow/actions.py may write these; use an action instead:\n" + "\n".join(
        f"{name}:{number}: {line}" for name, found in offenders.items() for number, line in found
    )


def test_the_scan_covers_the_apps_code_and_skips_tests_and_migrations():
    files = scanned_files()

    for expected in (THE_ACTIONS, "workflow/views.py", "tickets/views.py", "tickets/admin.py", "accounts/models.py"):
        assert expected in files
    assert "portal/settings/base.py" in files
    assert not [name for name in files if "/tests/" in name or "/migrations/" in name]


def test_the_scan_finds_the_writes_the_actions_make():
    found = " ".join(line for _, line in writes((ROOT / THE_ACTIONS).read_text(encoding="utf-8")))

    for write in (".status =", ".priority =", ".assignee =", ".merged_into ="):
        assert write in found


@pytest.mark.parametrize("name", sorted(ALLOW_LIST))
def test_every_allow_listed_file_exists_and_still_needs_its_exception(name):
    assert writes((ROOT / name).read_text(encoding="utf-8"))


# --- The scanner itself -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "snippet",
    [
        "ticket.status = 'solved'",
        "ticket.status='solved'",
        "self.ticket.priority = Priority.S1",
        "row.merged_into = target",
        "ticket.assignee = agent",
        "ticket.assignee_id = agent.pk",
        "ticket.merged_into_id = 4",
        "Ticket.objects.filter(pk=1).update(status=Status.SOLVED)",
        "Ticket.objects.filter(pk=1).update(\n    last_activity_at=now,\n    priority='S1',\n)",
        "tickets.update(assignee=None)",
        "Ticket.objects.create(subject='x', requester=user, status='open')",
        "Ticket.objects.update_or_create(pk=1, priority='S2')",
        "Ticket.objects.bulk_create([Ticket(subject='x', priority='S1')])",
        "Ticket.objects.bulk_update(rows, ['status'])",
        "setattr(ticket, 'priority', 'S1')",
    ],
)
def test_the_scanner_flags_a_write(snippet):
    assert writes(snippet)


@pytest.mark.parametrize(
    "snippet",
    [
        "if ticket.status == 'open':\n    pass",
        "if ticket.status != Status.SOLVED:\n    pass",
        "ok = ticket.priority <= 'S2' or ticket.priority >= 'S3'",
        "# ticket.status = 'solved'",
        '"""Never write ticket.status = x here."""',
        "message = f'{ticket.status} = done'",
        "return render(request, 'queue.html', context, status=400)",
        "context.update(page=page, query=query)",
        "Ticket.objects.filter(status=Status.OPEN, priority='S1')",
        "queryset.exclude(status=Status.SOLVED)",
        "response.status_code = 200",
        "Ticket.objects.create(subject='x', requester=user)",
    ],
)
def test_the_scanner_leaves_reads_comments_and_strings_alone(snippet):
    assert writes(snippet) == []


def test_the_scanner_reports_the_line_of_the_write():
    source = "def close(ticket):\n    # mark it\n    ticket.status = 'solved'\n    ticket.save()\n"

    assert writes(source) == [(3, "ticket.status = 'solved'")]


# --- The admin --------------------------------------------------------------------------------------------


def test_the_request_admin_form_offers_no_field_that_changes_status_priority_assignee_or_merge(cast):
    request = RequestFactory().get("/")
    request.user = cast.admin
    form = admin.site.get_model_admin(Ticket).get_form(request, obj=cast.ticket)

    assert {"status", "priority", "assignee", "merged_into"} & set(form.base_fields) == set()
