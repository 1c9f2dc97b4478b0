"""Time the big Excel downloads and measure the worker's peak memory, at two sizes or more.

    manage.py benchmark_exports --rows 5000 --rows 50000     # on a filled database
    make benchmark-exports                                   # on make benchmark's full-scale data

Each export runs in a fresh child process (this command with --one), so its peak resident
memory (ru_maxrss) is that of one export, as a gunicorn worker would see it. The data are the
first N rows of what is in the database: fill it with `manage.py benchmark_reports --scale full`.
Memory that stays flat as rows grow is the point of the streaming writers.

"import" is the confirmation of a facility import (what its background job does: read and
check the file as the user, then save every row), over a file of --import-rows new facilities
made from the registry's own localities and sectors; it runs inside a transaction that is rolled
back, so the benchmark data stay as they were. The file is made before the clock starts.
"""

import argparse
import io
import json
import resource
import subprocess
import sys
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Subquery
from openpyxl import Workbook

from facilities import excel as facility_excel
from facilities.models import Facility
from khuyencong import excel
from khuyencong.models import Role, User
from projects import reports
from projects.applications import excel as project_excel
from projects.management.commands.benchmark_reports import BENCH_USER
from projects.models import Project
from projects.reports import excel as report_excel

EXPORTS = ("projects", "facilities", "register", "import")
# The goal is 2,000 facilities in one import; a smaller size shows how it grows.
IMPORT_SIZES = [500, 2000]


def _staff() -> User:
    staff = (
        User.objects.filter(username=BENCH_USER).first()
        or User.objects.filter(role=Role.CENTRE_STAFF, is_active=True).first()
    )
    if staff is None:
        raise CommandError("Không có cán bộ Trung tâm (hãy chạy benchmark_reports trước).")
    return staff


def _first(queryset, rows: int):
    return queryset.filter(pk__in=Subquery(queryset.order_by("pk").values("pk")[:rows]))


def build(export: str, rows: int):
    """The workbook of `export` over the first `rows` rows, as its view makes it."""
    staff = _staff()
    if export == "projects":
        projects = _first(Project.objects.for_list(), rows).order_by("-year", "code")
        return project_excel.project_list_workbook(projects, user=staff)
    if export == "facilities":
        facilities = _first(Facility.objects.for_list(), rows).order_by("name")
        return facility_excel.export_book(facilities, title="BENCHMARK", subtitle="")
    area = reports.Area(staff)
    projects = _first(area.projects(), rows)
    years = projects.order_by("year").values_list("year", flat=True)
    register = reports.project_register(
        area=area, projects=projects, first_year=years.first(), last_year=years.last()
    )
    return report_excel.build(
        heading=str(register.heading),
        period=str(register.period),
        tables=register.streamed_tables(),
        produced=register.today,
    )


def import_file(rows: int) -> io.BytesIO:
    """An import file of `rows` new facilities (no tax code, so none is taken), each under a
    locality and a sector of an existing facility, with one year of figures."""
    columns = facility_excel.import_columns()
    book = Workbook()
    sheet = book.active
    sheet.append([c.header for c in columns])
    models = Facility.objects.select_related("locality", "main_sector").order_by("pk")[:rows]
    models = list(models) or []
    if not models:
        raise CommandError("Không có cơ sở nào (hãy chạy benchmark_reports trước).")
    for n in range(rows):
        model = models[n % len(models)]
        values = {
            "name": f"Cơ sở thử nhập {n + 1}",
            "legal_form": str(model.get_legal_form_display()),
            "locality_code": model.locality.code,
            "address": model.address,
            "main_sector": model.main_sector.code,
            "representative": model.representative,
            "founded_year": model.founded_year,
            "figure_year": 2024,
            "workers": 10 + n % 90,
            "revenue": 1_000_000_000 + n,
            "production_value": 1_200_000_000 + n,
            "capital": 500_000_000,
        }
        sheet.append([values.get(c.key) for c in columns])
    handle = io.BytesIO()
    book.save(handle)
    handle.seek(0)
    return handle


def run_import(handle, user: User) -> int:
    """Read, check and save the file as the import job does, then roll it all back."""
    with transaction.atomic():
        result = facility_excel.parse_workbook(handle, user=user)
        if not result.ok:
            problems = result.file_errors or [e for r in result.bad_rows[:3] for e in r.errors]
            raise CommandError("; ".join(str(p) for p in problems))
        saved = facility_excel.save_import(rows=result.rows, by=user)
        transaction.set_rollback(True)
    return len(saved)


class Command(BaseCommand):
    help = "Time the big Excel exports and measure peak memory in a child process per run."

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, action="append", help="Sizes (repeatable).")
        parser.add_argument(
            "--import-rows",
            type=int,
            action="append",
            help=f"Sizes of the facility import (repeatable; default {IMPORT_SIZES}).",
        )
        parser.add_argument("--export", choices=EXPORTS, action="append")
        parser.add_argument("--one", choices=EXPORTS, help=argparse.SUPPRESS)

    def handle(self, *args, **options):
        sizes = options["rows"] or [5000, 50000]
        if options["one"]:
            self.stdout.write(json.dumps(self.run_one(options["one"], sizes[0])))
            return
        available = {"projects": Project.objects.count(), "facilities": Facility.objects.count()}
        available["register"] = available["projects"]
        available["import"] = facility_excel.MAX_ROWS
        self.stdout.write(
            f"{'export':<11} {'rows':>7} {'seconds':>8} {'CPU s':>7} {'peak MB':>8} {'file MB':>8}"
        )
        for export in options["export"] or EXPORTS:
            for size in (options["import_rows"] or IMPORT_SIZES) if export == "import" else sizes:
                result = self.in_child(export, min(size, available[export]))
                self.stdout.write(
                    f"{export:<11} {result['rows']:>7} {result['seconds']:>8.1f} "
                    f"{result['cpu']:>7.1f} {result['peak_mb']:>8.0f} {result['file_mb']:>8.1f}"
                )
                self.stdout.flush()

    def in_child(self, export: str, rows: int) -> dict:
        done = subprocess.run(
            [
                sys.executable,
                sys.argv[0],
                "benchmark_exports",
                "--one",
                export,
                "--rows",
                str(rows),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode:
            raise CommandError(done.stderr[-2000:])
        return json.loads(done.stdout.strip().splitlines()[-1])

    @staticmethod
    def run_one(export: str, rows: int) -> dict:
        if export == "import":
            handle = import_file(rows)
            size = len(handle.getbuffer())
            started, cpu = time.perf_counter(), time.process_time()
            if run_import(handle, _staff()) != rows:
                raise CommandError("The import saved fewer facilities than the file holds.")
        else:
            started, cpu = time.perf_counter(), time.process_time()
            with excel.save_to_file(build(export, rows)) as handle:
                size = handle.seek(0, 2)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        # Linux reports ru_maxrss in kibibytes.
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return {
            "rows": rows,
            "seconds": seconds,
            # CPU time of the export: what the wall-clock time would be on an idle machine.
            "cpu": cpu,
            "peak_mb": peak,
            "file_mb": size / 2**20,
        }
