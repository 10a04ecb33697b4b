"""`manage.py bench_load`: the load part of the benchmark (issue #10).

Serves the portal as in production (gunicorn with `portal/gunicorn.conf.py`, DEBUG off, static files by
whitenoise) on a free loopback port, and drives it from a second process with locust
(`portal/loadtest/locustfile.py`): N customers sign in through the sign-in form, then list, search, open requests
and reply, with think time between actions. Sign-ins are a warm-up: once every user is in, the statistics start
afresh and run for --seconds. Meanwhile /proc tells each gunicorn worker's peak memory and where the machine's
CPU went (gunicorn, its PostgreSQL sessions, locust, other jobs: a shared machine shows in the figures).

Prints requests/s, p95, errors and each worker's peak resident memory against the targets (zero errors, p95 under
250 ms, every worker under 200 MB) and appends the report to var/bench/load-<timestamp>.txt; locust's CSV files
and both processes' logs are kept in var/bench/load-<timestamp>/. Needs PostgreSQL (DATABASE_URL) with people
whose password is --password (`manage.py seed_bench`), and `pip install -r requirements-bench.txt`.
"""

from __future__ import annotations

import csv
import json
import os
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.models import Case, Exists, OuterRef, When
from django.db.models.functions import MD5

from accounts.models import User
from tickets.models import Ticket

TARGET_P95_MS = 250
TARGET_WORKER_MB = 200
# Customers looked at for ones with the bench password.
MAX_CANDIDATES = 500
# locust's own time limit: the sign-in warm-up (at most 120 s in the locustfile) plus the measured seconds plus
# slack. The locustfile ends the run itself; this only bounds a run that hangs.
LOCUST_SLACK_SECONDS = 150
SAMPLE_SECONDS = 0.5
# gunicorn kills a worker stuck for 30 s (its timeout) but PostgreSQL goes on running the worker's query, loading
# the machine long after the run. So the server's connections give up first and notice a client that went away.
SERVER_DB_OPTIONS = "-c statement_timeout=25000 -c client_connection_check_interval=1000"
ACTIONS = ("list", "search", "page", "reply")
STARTUP_SECONDS = 60
MB = 1_000_000


@dataclass
class Worker:
    pid: int
    peak_rss_kb: int = 0  # VmHWM: the kernel's own high-water mark, so no peak falls between two samples
    last_rss_kb: int = 0


@dataclass
class Sampler:
    """Every gunicorn worker's memory, and over time the CPU time of the whole machine, of gunicorn, of the
    PostgreSQL sessions on the benchmark's database and of locust: the machine may be shared, and what none of
    them used went to other jobs."""

    database: str
    master_peak_kb: int = 0
    workers: dict[int, Worker] = field(default_factory=dict)
    # (wall clock, machine busy ticks, machine ticks, gunicorn ticks, PostgreSQL ticks, locust ticks)
    cpu: list[tuple[float, int, int, int, int, int]] = field(default_factory=list)
    _gunicorn: dict[int, int] = field(default_factory=dict)
    _postgres: dict[int, int] = field(default_factory=dict)

    def sample(self, master: int, load: int | None = None) -> None:
        self.master_peak_kb = max(self.master_peak_kb, _status_kb(master).get("VmHWM", 0))
        self._gunicorn[master] = _cpu_ticks(master) or self._gunicorn.get(master, 0)
        # A backend's title names its database: "postgres: 15/main: postgres portal_bench 127.0.0.1(52298) idle".
        backend = f" {self.database} ".encode()
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            pid = int(entry.name)
            try:
                # pid (comm) state ppid ...; comm may hold spaces and parentheses, so split after the last ')'.
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                title = (entry / "cmdline").read_bytes() if int(fields[1]) != master else b""
                status = _status_kb(pid) if int(fields[1]) == master else {}
            except OSError:
                continue  # ended meanwhile
            ticks = int(fields[11]) + int(fields[12])  # utime + stime
            if int(fields[1]) == master and status:
                worker = self.workers.setdefault(pid, Worker(pid))
                worker.peak_rss_kb = max(worker.peak_rss_kb, status.get("VmHWM", 0), status.get("VmRSS", 0))
                worker.last_rss_kb = status.get("VmRSS", 0)
                self._gunicorn[pid] = ticks
            elif title.startswith(b"postgres:") and backend in title:
                self._postgres[pid] = ticks
        busy, total = _machine_ticks()
        locust = _cpu_ticks(load) if load else 0
        self.cpu.append((time.time(), busy, total, sum(self._gunicorn.values()), sum(self._postgres.values()), locust))

    def cpu_between(self, start: float, stop: float) -> str:
        """Where the machine's CPU went between two wall-clock times, as shares of the whole machine."""
        inside = [row for row in self.cpu if start <= row[0] <= stop and row[5]]
        if len(inside) < 2:
            return "CPU: too few samples"
        first, last = inside[0], inside[-1]
        total = last[2] - first[2] or 1
        machine, gunicorn, postgres, locust = ((last[i] - first[i]) / total for i in (1, 3, 4, 5))
        return (
            f"CPU of the whole machine ({len(os.sched_getaffinity(0))} cores) while measured: {machine:.0%} busy: "
            f"gunicorn {gunicorn:.0%}, PostgreSQL sessions on {self.database} {postgres:.0%}, locust {locust:.0%}, "
            f"other jobs {machine - gunicorn - postgres - locust:.0%}"
        )


def _cpu_ticks(pid: int) -> int:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0
    fields = stat.rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def _machine_ticks() -> tuple[int, int]:
    """Busy and total ticks of all CPUs since boot (the first line of /proc/stat), in the same unit as
    /proc/<pid>/stat."""
    values = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    total = sum(values[:8])  # guest time is already counted in user
    return total - idle, total


def _status_kb(pid: int) -> dict[str, int]:
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return {}
    values = {}
    for line in lines:
        key, _, value = line.partition(":")
        if key in {"VmRSS", "VmHWM"}:
            values[key] = int(value.split()[0])
    return values


def _with_db_options(url: str) -> str:
    parts = urlsplit(url)
    query = parse_qsl(parts.query)
    if any(key == "options" for key, _value in query):
        return url  # the caller chose their own
    return urlunsplit(parts._replace(query=urlencode([*query, ("options", SERVER_DB_OPTIONS)])))


def _kill_leftovers(pids: list[int]) -> None:
    """Workers still alive after their master stopped (it was killed before it could stop them)."""
    for pid in pids:
        try:
            if b"gunicorn" in Path(f"/proc/{pid}/cmdline").read_bytes():
                os.kill(pid, signal.SIGKILL)
        except OSError:  # gone already
            continue


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _tool(name: str) -> str:
    path = Path(sys.executable).parent / name
    if not path.exists():
        raise CommandError(f"{name} is not installed in this environment: pip install -r requirements-bench.txt")
    return str(path)


def _tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


def _stop(process: subprocess.Popen, *, grace: float = 30) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@dataclass
class _Report:
    text: str
    met: bool


class Command(BaseCommand):
    help = "Load-test the portal under gunicorn with locust: requests/s, p95, errors, each worker's peak memory."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--users", type=int, default=50, help="concurrent signed-in customers (50)")
        parser.add_argument("--seconds", type=int, default=60, help="measured seconds, after every sign-in (60)")
        parser.add_argument("--spawn-rate", type=float, default=10, help="users started per second (10)")
        parser.add_argument("--think", default="1,3", help="seconds each person waits between actions: min,max (1,3)")
        parser.add_argument(
            "--weights",
            default="list=4,search=2,page=3,reply=1",
            help="how often each action is picked (list=4,search=2,page=3,reply=1); 0 leaves one out",
        )
        parser.add_argument("--password", default="bench-password-2026", help="the customers' password")
        parser.add_argument("--output", type=Path, help="the report file (default var/bench/load-<timestamp>.txt)")
        parser.add_argument("--strict", action="store_true", help="exit non-zero when a target is missed")

    def handle(self, *args, **options) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("The load benchmark runs on PostgreSQL: set DATABASE_URL=postgres://…/portal_bench.")
        if options["users"] < 1 or options["seconds"] < 1:
            raise CommandError("--users and --seconds must be at least 1.")
        try:
            low, high = (float(part) for part in options["think"].split(","))
        except ValueError:
            raise CommandError(f"--think={options['think']!r} is not min,max in seconds, e.g. 1,3.") from None
        if not 0 <= low <= high:
            raise CommandError("--think needs 0 <= min <= max.")
        think = f"{low:g}–{high:g} s"
        try:
            weights = {
                key.strip(): int(value) for key, value in (pair.split("=") for pair in options["weights"].split(","))
            }
        except ValueError:
            raise CommandError(
                f"--weights={options['weights']!r} is not e.g. list=4,search=2,page=3,reply=1."
            ) from None
        if set(weights) - set(ACTIONS) or min(weights.values()) < 0 or not sum(weights.values()):
            raise CommandError(f"--weights names {', '.join(ACTIONS)}, each 0 or more, not all 0.")
        mix = ",".join(f"{action}={weights.get(action, 0)}" for action in ACTIONS)
        gunicorn_bin, locust_bin = _tool("gunicorn"), _tool("locust")
        base = Path(settings.BASE_DIR)
        stamp = f"{datetime.now(UTC):%Y%m%d-%H%M%S}"
        output = options["output"] or base / "var" / "bench" / f"load-{stamp}.txt"
        artefacts = output.with_suffix("")
        artefacts.mkdir(parents=True, exist_ok=True)

        emails = self._customers(options["password"], wanted=options["users"])
        (artefacts / "users.txt").write_text("\n".join(emails) + "\n", encoding="utf-8")
        data_size = f"{Ticket.objects.count():,} requests, {User.objects.filter(is_staff=False).count():,} customers"
        self.stderr.write(f"bench_load: {data_size}; signing in as {min(len(emails), options['users'])} of them")
        # Whitenoise serves what collectstatic gathered; incremental, so fast when nothing changed.
        call_command("collectstatic", interactive=False, verbosity=0)
        connection.close()  # nothing of ours holds a connection while the server works

        port = _free_port()
        server_env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "portal.settings.base",
            "DEBUG": "0",
            "HTTPS": "0",  # locust talks plain HTTP on loopback; production puts TLS in the proxy in front
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECRET_KEY": secrets.token_urlsafe(48),
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "DATABASE_URL": _with_db_options(os.environ["DATABASE_URL"]),
        }
        server_cmd = [os.path.relpath(gunicorn_bin, base), "portal.wsgi:application", "-c", "portal/gunicorn.conf.py"]
        prefix = artefacts / "locust"
        locust_cmd = [
            os.path.relpath(locust_bin, base),
            *("-f", "portal/loadtest/locustfile.py", "--headless", "--only-summary"),
            *("-u", str(options["users"]), "-r", str(options["spawn_rate"])),
            *("-t", f"{options['seconds'] + LOCUST_SLACK_SECONDS}s"),
            *("--host", f"http://127.0.0.1:{port}", "--csv", str(prefix)),
        ]
        locust_env = {
            **os.environ,
            "LOAD_USERS_FILE": str(artefacts / "users.txt"),
            "LOAD_PASSWORD": options["password"],
            "LOAD_THINK": f"{low:g},{high:g}",
            "LOAD_WEIGHTS": mix,
            "LOAD_MEASURE_SECONDS": str(options["seconds"]),
            "LOAD_SUMMARY": str(artefacts / "signin.json"),
        }

        sampler = Sampler(database=settings.DATABASES["default"]["NAME"])
        with open(artefacts / "gunicorn.log", "wb") as server_log:
            # Our own environment's gunicorn and locust, fixed arguments.
            server = subprocess.Popen(  # noqa: S603
                server_cmd, cwd=base, env=server_env, stdout=server_log, stderr=server_log
            )
            try:
                self._wait_until_up(server, port, artefacts / "gunicorn.log")
                sampler.sample(server.pid)
                self.stderr.write(
                    f"bench_load: gunicorn answers on :{port} with {len(sampler.workers)} workers; locust starts"
                )
                started = time.monotonic()
                with open(artefacts / "locust.log", "wb") as locust_log:
                    load = subprocess.Popen(  # noqa: S603
                        locust_cmd, cwd=base, env=locust_env, stdout=locust_log, stderr=locust_log
                    )
                    try:
                        while load.poll() is None:
                            sampler.sample(server.pid, load.pid)
                            if time.monotonic() - started > options["seconds"] + LOCUST_SLACK_SECONDS + 30:
                                raise CommandError(f"locust did not stop; see {artefacts / 'locust.log'}")
                            time.sleep(SAMPLE_SECONDS)
                    finally:
                        _stop(load, grace=10)
                sampler.sample(server.pid)
            finally:
                _stop(server, grace=45)  # longer than gunicorn's graceful_timeout, so that it stops its workers
                _kill_leftovers(list(sampler.workers))

        report = self._report(
            sampler=sampler,
            prefix=prefix,
            summary_path=artefacts / "signin.json",
            options=options,
            think=think,
            header=[
                f"Load benchmark {stamp} UTC on {settings.DATABASES['default']['NAME']}: {data_size}",
                f"server: {shlex.join(server_cmd)}",
                f"        DEBUG=0, {len(sampler.workers)} workers seen on {len(os.sched_getaffinity(0))} cores, cache: "
                f"{'Redis' if settings.REDIS_URL else 'local memory per worker (REDIS_URL unset)'}",
                f"load:   {shlex.join(locust_cmd)}",
                f"        LOAD_MEASURE_SECONDS={options['seconds']} LOAD_THINK={low:g},{high:g} LOAD_WEIGHTS={mix}",
                f"        each user from its own loopback address; artefacts in {artefacts}",
                f"        the server's database sessions: {SERVER_DB_OPTIONS}",
            ],
        )
        with open(output, "a", encoding="utf-8") as handle:
            handle.write(report.text + "\n")
        self.stdout.write(report.text)
        self.stdout.write(f"Appended to {output}.")
        if options["strict"] and not report.met:
            raise CommandError("A load target was missed.")

    def _customers(self, password: str, wanted: int) -> list[str]:
        """Up to `wanted` active customers who have requests and whose password is `password`: seed_bench's
        people (…bench.example) first, in an order that looks random but is the same every run (by the hash of
        the email), so that they come from many organisations as real traffic does. A password hash takes half
        a second to check, so each distinct hash is checked once (seed_bench hashes the password once)."""
        with_requests = Exists(Ticket.objects.filter(requester=OuterRef("pk")))
        candidates = (
            User.objects.filter(is_staff=False, is_active=True, organisation__isnull=False)
            .exclude(password__startswith="!")
            .filter(with_requests)
            .annotate(bench=Case(When(email__endswith="bench.example", then=0), default=1))
            .order_by("bench", MD5("email"))
            .values_list("email", "password")[:MAX_CANDIDATES]
        )
        checked: dict[str, bool] = {}
        emails = []
        for email, hashed in candidates:
            if hashed not in checked:
                checked[hashed] = check_password(password, hashed)
            if checked[hashed]:
                emails.append(email)
                if len(emails) == wanted:
                    break
        if not emails:
            raise CommandError(
                f"No customer with requests has the password {password!r}: run `manage.py seed_bench` first."
            )
        return emails

    def _wait_until_up(self, server: subprocess.Popen, port: int, log: Path) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise CommandError(f"gunicorn exited with status {server.returncode}:\n{_tail(log)}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=5) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.25)
        raise CommandError(f"gunicorn did not answer within {STARTUP_SECONDS} s:\n{_tail(log)}")

    def _report(
        self, *, sampler: Sampler, prefix: Path, summary_path: Path, options: dict, think: str, header: list[str]
    ) -> _Report:
        stats_path = Path(f"{prefix}_stats.csv")
        if not stats_path.exists():
            raise CommandError(f"locust wrote no statistics; see {prefix.parent / 'locust.log'}")
        with open(stats_path, newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        total = next((row for row in rows if row["Name"] == "Aggregated"), None)
        if total is None or not int(total["Request Count"]):
            raise CommandError(f"locust measured no requests; see {prefix.parent / 'locust.log'}")
        summary = json.loads(summary_path.read_text()) if summary_path.exists() else {}
        warmup = summary.get("warmup", {})
        failures_path = Path(f"{prefix}_failures.csv")
        failures = []
        if failures_path.exists():
            with open(failures_path, newline="", encoding="utf-8") as handle:
                failures = list(csv.DictReader(handle))

        requests = int(total["Request Count"])
        errors = int(total["Failure Count"]) + int(warmup.get("failures", 0))
        p95 = float(total["95%"])
        workers = sorted(sampler.workers.values(), key=lambda worker: worker.pid)
        worst_mb = max((worker.peak_rss_kb * 1024 / MB for worker in workers), default=0.0)
        signed_in = summary.get("signed_in", 0)
        checks = {
            f"zero errors (sign-in included): {errors}": errors == 0,
            f"p95 under {TARGET_P95_MS} ms: {p95:.0f} ms": p95 < TARGET_P95_MS,
            f"each worker under {TARGET_WORKER_MB} MB: largest {worst_mb:.1f} MB": worst_mb < TARGET_WORKER_MB,
            f"all {options['users']} users signed in: {signed_in}": signed_in >= options["users"],
        }

        lines = [*header, ""]
        if warmup:
            lines.append(
                f"sign-in warm-up: {warmup['sign_ins']} sign-ins ({warmup['sign_in_failures']} failed) in "
                f"{warmup['seconds']} s, median {warmup['sign_in_median_ms']} ms, max {warmup['sign_in_max_ms']} ms; "
                f"{warmup['requests']} requests, {warmup['failures']} failed (not in the figures below)"
            )
        lines += [
            f"measured: {options['users']} signed-in users for {options['seconds']} s, think time {think}",
            "",
            f"{'requests':<22}{'count':>8}{'errors':>8}{'req/s':>8}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}"
            f"{'max ms':>8}",
        ]
        measured = [row for row in rows if int(row["Request Count"]) or int(row["Failure Count"])]
        for row in sorted(measured, key=lambda row: (row["Name"] == "Aggregated", row["Name"])):
            lines.append(
                f"{row['Name'][:21]:<22}{int(row['Request Count']):>8}{int(row['Failure Count']):>8}"
                f"{float(row['Requests/s']):>8.1f}{row['50%']:>8}{row['95%']:>8}{row['99%']:>8}"
                f"{float(row['Max Response Time']):>8.0f}"
            )
        lines += ["", f"{'gunicorn process':<22}{'peak RSS MB':>12}{'RSS at end MB':>15}"]
        lines.append(f"{'master':<22}{sampler.master_peak_kb * 1024 / MB:>12.1f}{'':>15}")
        for worker in workers:
            lines.append(
                f"{'worker ' + str(worker.pid):<22}{worker.peak_rss_kb * 1024 / MB:>12.1f}"
                f"{worker.last_rss_kb * 1024 / MB:>15.1f}"
            )
        if summary.get("measured_from"):
            lines += ["", sampler.cpu_between(summary["measured_from"], summary["measured_until"])]
        lines += ["", f"requests/s {float(total['Requests/s']):.1f}, {requests:,} requests, {errors} errors"]
        lines += [f"target met: {'yes' if ok else 'NO '}  {label}" for label, ok in checks.items()]
        for error in warmup.get("errors", []):
            lines.append(f"warm-up error: {error['occurrences']}× {error['method']} {error['name']}: {error['error']}")
        for failure in failures:
            lines.append(f"error: {failure['Occurrences']}× {failure['Method']} {failure['Name']}: {failure['Error']}")
        return _Report(text="\n".join(lines) + "\n", met=all(checks.values()))
