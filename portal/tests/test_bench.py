"""`manage.py bench` (issue #10) at tiny scale, and the floor view it measures every page against."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from portal import bench
from portal.tests.factories import UserFactory

FLOOR_URL = "/bench/floor/"
COLUMNS = ["scenario", "user", "p50 ms", "p95 ms", "×floor", "target", "met", "queries", "rows scanned"]


# --- The floor view -----------------------------------------------------------------------------------------


def test_the_floor_is_at_its_documented_address():
    assert reverse("bench_floor") == FLOOR_URL


@pytest.mark.django_db
def test_the_floor_is_not_found_unless_switched_on(client, settings):
    settings.DEBUG = False
    client.force_login(UserFactory())

    assert client.get(FLOOR_URL).status_code == 404


@pytest.mark.django_db
def test_the_floor_is_not_found_for_a_visitor_either_while_off(client, settings):
    settings.DEBUG = False

    assert client.get(FLOOR_URL).status_code == 404


@pytest.mark.django_db
def test_the_floor_renders_the_base_template_for_a_signed_in_person(client, settings):
    settings.BENCHMARK_FLOOR = True
    client.force_login(UserFactory(full_name="Fay Floor"))

    response = client.get(FLOOR_URL)

    assert response.status_code == 200
    assert [template.name for template in response.templates][:2] == ["bench_floor.html", "base.html"]
    assert 'id="main-content"' in response.text
    assert "Fay Floor" in response.text  # the header's profile menu: the same signed-in page as any other


@pytest.mark.django_db
def test_the_floor_sends_a_visitor_to_sign_in(client, settings):
    settings.BENCHMARK_FLOOR = True

    response = client.get(FLOOR_URL)

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


@pytest.mark.django_db
def test_the_floor_costs_the_session_and_the_user_only(client, settings, django_assert_max_num_queries):
    settings.BENCHMARK_FLOOR = True
    client.force_login(UserFactory())

    with django_assert_max_num_queries(2):
        assert client.get(FLOOR_URL).status_code == 200


@pytest.mark.django_db
def test_the_floor_refuses_a_post(client, settings):
    settings.BENCHMARK_FLOOR = True
    client.force_login(UserFactory())

    assert client.post(FLOOR_URL).status_code == 405


# --- The runner's arithmetic --------------------------------------------------------------------------------


def test_p95_is_the_nearest_rank():
    values = [float(n) for n in range(1, 201)]

    assert bench.percentile(values, 0.95) == 190.0
    assert bench.percentile([7.0], 0.95) == 7.0


def test_rows_scanned_counts_what_each_scan_read_in_every_loop():
    plan = {
        "Node Type": "Limit",
        "Actual Rows": 25,
        "Actual Loops": 1,
        "Plans": [
            {
                "Node Type": "Nested Loop",
                "Actual Rows": 25,
                "Actual Loops": 1,
                "Plans": [
                    {"Node Type": "Seq Scan", "Actual Rows": 10, "Rows Removed by Filter": 990, "Actual Loops": 1},
                    {"Node Type": "Index Scan", "Actual Rows": 2, "Actual Loops": 10},
                ],
            }
        ],
    }

    assert bench.rows_scanned(plan) == 1000 + 20
    assert bench.plan_notes(plan) == ["Seq Scan on ?: 1,000 rows read"]


def test_the_deep_page_is_page_200_or_the_last_one_there_is():
    assert bench.deep_page(100_000, 25) == 200
    assert bench.deep_page(700, 25) == 28
    assert bench.deep_page(0, 25) == 1


@pytest.mark.django_db
def test_it_asks_for_the_seeder_when_the_data_is_missing():
    with pytest.raises(CommandError, match="run manage.py seed_bench first"):
        call_command("bench", iterations=1, warmup=0, stdout=StringIO(), stderr=StringIO())


@pytest.mark.django_db
def test_check_data_fails_without_the_data():
    with pytest.raises(CommandError, match="seed_bench"):
        call_command("bench", check_data=True, stdout=StringIO())


# --- A whole run, on PostgreSQL ---------------------------------------------------------------------------


def report_rows(text: str) -> list[dict[str, str]]:
    """The result table's rows, as dicts keyed by column: cells are separated by two spaces or more."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("scenario "))
    assert re.split(r"\s{2,}", lines[start].strip()) == COLUMNS
    rows = []
    for line in lines[start + 2 :]:
        if not line.strip():
            break
        cells = re.split(r"\s{2,}", line.strip())
        assert len(cells) == len(COLUMNS), line
        rows.append(dict(zip(COLUMNS, cells, strict=True)))
    return rows


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_run_on_seeded_data_reports_every_scenario(on_postgres, tmp_path, settings):
    # As in production: HTTPS redirect and two-factor set-up for staff on; the run must still get every page.
    settings.SECURE_SSL_REDIRECT = True
    settings.MFA_REQUIRED_FOR_STAFF = True
    call_command("seed_bench", requests=2000, seed=1, stdout=StringIO())
    output = tmp_path / "b.txt"
    printed = StringIO()

    call_command("bench", iterations=5, warmup=1, output=output, stdout=printed, stderr=StringIO())

    text = output.read_text(encoding="utf-8")
    rows = report_rows(text)
    assert report_rows(printed.getvalue()) == rows
    by_scenario = {(row["scenario"], row["user"]): row for row in rows}
    deep = {
        user: name for name, user in by_scenario if re.fullmatch(r"My requests, (page 200|last page \(\d+\))", name)
    }
    expected = [(bench.FLOOR, persona) for persona in bench.PERSONAS]
    for name in [
        bench.MY_PAGE_1,
        bench.MY_CREATED,
        bench.MY_STATUS,
        bench.SEARCH_COMMON,
        bench.SEARCH_RARE,
        bench.REQUEST_PAGE,
    ]:
        expected += [(name, persona) for persona in bench.CUSTOMERS]
    expected += [(deep[persona], persona) for persona in bench.CUSTOMERS]
    expected += [(bench.QUEUE, "agent"), (bench.SHORT_PAGE, "customer")]
    expected += [(bench.CHANGED_PAGE, "customer"), (bench.CHANGED_PAGE, "agent")]
    assert set(expected) <= set(by_scenario)
    for comparison in [(bench.SHORT_PAGE, "customer"), (bench.CHANGED_PAGE, "customer"), (bench.CHANGED_PAGE, "agent")]:
        assert by_scenario[comparison]["target"] == "-"  # for comparison only
    # The just-changed page reads the conversation again (the replies among its queries); the kept one does not.
    assert int(by_scenario[(bench.CHANGED_PAGE, "customer")]["queries"]) > int(
        by_scenario[(bench.REQUEST_PAGE, "customer")]["queries"]
    )

    for row in rows:
        p50, p95, ratio = float(row["p50 ms"]), float(row["p95 ms"]), float(row["×floor"])
        assert 0 < p50 <= p95
        assert ratio > 0
        assert int(row["queries"]) > 0
        assert int(row["rows scanned"].replace(",", "")) >= 0
        assert row["met"] in {"yes", "no", "-"}
    for persona in bench.PERSONAS:
        assert by_scenario[(bench.FLOOR, persona)]["×floor"] == "1.0"
    for persona in bench.CUSTOMERS:
        page_1 = by_scenario[(bench.MY_PAGE_1, persona)]["queries"]
        assert by_scenario[(deep[persona], persona)]["queries"] == page_1
        assert f"{persona}: " in text and "constant: no" not in text

    requests = int(re.search(r"Responses: ([\d,]+) requests, every one 200\.", text)[1].replace(",", ""))
    assert requests >= (1 + 5) * len(rows)
    assert re.search(r"Machine: \d+ cores", text)
    assert re.search(r"Cache: .+ keeps what its readers share there for \d+ s", text)
    assert "PostgreSQL 1" in text
    assert "Execution Time" in text  # the full plans are in the file
