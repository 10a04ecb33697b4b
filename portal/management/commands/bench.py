"""`manage.py bench`: time the portal's pages on seed_bench's data set and compare each with the floor (issue #10).

Prints a table (p50, p95, ×floor, target, queries, rows scanned) and writes it, with the full EXPLAIN ANALYZE
plan of each scenario's main query, to var/bench/bench-<timestamp>.txt. Missing a target is a finding, not an
error: the exit status is 0 unless --strict. A page that does not answer 200, or missing data, is an error.
See portal/bench.py for what is measured and how.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from portal import bench


class Command(BaseCommand):
    help = "Benchmark the portal's pages against the floor view on seed_bench's data (PostgreSQL)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--iterations", type=int, default=200, help="timed requests per scenario (200)")
        parser.add_argument("--warmup", type=int, default=20, help="untimed requests per scenario first (20)")
        parser.add_argument("--output", type=Path, help="the report file (default var/bench/bench-<timestamp>.txt)")
        parser.add_argument("--only", default="", help="only the scenarios whose name contains this, and the floor")
        parser.add_argument("--strict", action="store_true", help="exit non-zero when a target is missed")
        parser.add_argument(
            "--check-data", action="store_true", help="only say whether seed_bench's data is there (exit 1 if not)"
        )

    def handle(self, *args, **options) -> None:
        try:
            if options["check_data"]:
                self.stdout.write(bench.check_data())
                return
            if options["iterations"] < 1 or options["warmup"] < 0:
                raise CommandError("--iterations must be at least 1 and --warmup at least 0.")
            report = bench.run(
                warmup=options["warmup"],
                iterations=options["iterations"],
                only=options["only"],
                progress=lambda message: self.stderr.write(f"bench: {message}"),
            )
        except bench.BenchError as error:
            raise CommandError(str(error)) from error
        output = options["output"] or (
            Path(settings.BASE_DIR) / "var" / "bench" / f"bench-{report.started:%Y%m%d-%H%M%S}.txt"
        )
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(bench.render(report, full=True), encoding="utf-8")
        self.stdout.write(bench.render(report, full=False))
        self.stdout.write(f"Written to {output}, with the full plans.")
        if options["strict"]:
            problems = [f"{len(report.missed)} target(s) missed"] if report.missed else []
            if report.counts_vary:
                problems.append(f"the query count of My requests varies for {', '.join(report.counts_vary)}")
            if problems:
                raise CommandError(f"--strict: {'; '.join(problems)}.")
