"""One scale of `manage.py benchmark`: serve the current database with gunicorn and measure
each page as users feel it. Run by `manage.py benchmark` (which sets the production
environment, khuyencong.benchmark_settings and one database per scale); not meant to be run
by hand.

Steps: migrate; fill a synthetic province of the given size, or reuse the one already there;
collect the static files; sign the personas in (session rows made directly, passed as Cookie
headers); count each page's queries through the test client and EXPLAIN ANALYZE its slowest
SELECT (the page's main query); start gunicorn with gunicorn.conf.py; then, page by page, warm
up and drive the load generator while reading the CPU time of the workers and of their
PostgreSQL backends before and after. The result is written as JSON for the caller.
"""

import datetime
import json
import logging
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
from importlib import import_module
from pathlib import Path

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from facilities.models import Facility
from khuyencong import two_factor
from khuyencong.benchmark_urls import FLOOR_PATH
from khuyencong.middleware import IdleTimeoutMiddleware
from khuyencong.models import Role, User
from projects import reports
from projects.management import load
from projects.management.commands.benchmark_reports import (
    BENCH_OFFICER,
    BENCH_USER,
    SCALES,
    fill_province,
    settle,
)
from projects.models import AcceptanceReview, Disbursement, Project, Status

# Personas other than the two the generator makes (centre staff, district officer).
EXTRA_PERSONAS = {
    "manager": ("benchmark_lanhdao", {"role": Role.MANAGER}),
    "viewer": ("benchmark_thanhtra", {"role": Role.VIEWER}),
    "admin": (
        "benchmark_quantri",
        {"role": Role.CENTRE_STAFF, "is_staff": True, "is_superuser": True},
    ),
}
# The page whose speed the goals are stated for, and its anchors.
LISTS = ("project_list", "project_search")
ANCHORS = ("admin_projects", "floor")
# Pages measured a second time with no kept result (khuyencong/unchanged.py): what the first
# request after any commit costs.
AFRESH = ("project_search", "my_work", "dashboard_staff", "dashboard_officer")


class Command(BaseCommand):
    help = "One scale of manage.py benchmark (called by it)."

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=sorted(SCALES), default="small")
        parser.add_argument("--facilities", type=int)
        parser.add_argument("--projects", type=int)
        parser.add_argument("--years", type=int)
        parser.add_argument("--seconds", type=float, default=5.0)
        parser.add_argument("--warmup", type=float, default=1.0)
        parser.add_argument("--connections", type=int, default=8)
        parser.add_argument("--loader", choices=("wrk", "python"), default="wrk")
        parser.add_argument("--only", action="append", help="Measure only these pages (keys).")
        parser.add_argument("--json", required=True, help="Where to write the result.")
        parser.add_argument("--explain", help="Where to write the plans of the main queries.")

    def handle(self, *args, **options):
        if settings.DEBUG:
            raise CommandError("The benchmark measures production settings: run with DEBUG=0.")
        # This process's own requests (query counts) need no request log; gunicorn's do.
        logging.getLogger("khuyencong.request").setLevel(logging.WARNING)
        size = dict(SCALES[options["scale"]])
        size.update({key: options[key] for key in size if options[key]})
        call_command("migrate", interactive=False, verbosity=0)
        fill_seconds = self.fill_or_reuse(size)
        call_command("collectstatic", interactive=False, verbosity=0)
        users = self.personas()
        cookies = {key: session_key(user) for key, user in users.items()}
        pages = [page for page in self.pages(users["staff"]) if keep(page, options["only"])]
        self.stdout.write(f"Counting queries and explaining the main query of {len(pages)} pages…")
        plans = [self.count_and_explain(page, cookies[page["persona"]]) for page in pages]
        run = {
            "scale": options["scale"],
            "size": size,
            "database": database_facts(),
            "data": data_facts(),
            "fill_seconds": fill_seconds,
            "loader": options["loader"],
            "seconds": options["seconds"],
            "connections": options["connections"],
        }
        kept = [page for page in pages if not page.get("afresh")]
        afresh = [page for page in pages if page.get("afresh")]
        run["workers"] = self.serve(kept, cookies, options)
        if afresh:
            self.stdout.write("Again with no result kept between requests:")
            self.serve(afresh, cookies, options, DB_KEEP_UNCHANGED_RESULTS="0")
        run["pages"] = pages
        run["ratios"] = ratios(pages)
        Path(options["json"]).write_text(json.dumps(run, ensure_ascii=False, indent=2))
        if options["explain"]:
            Path(options["explain"]).write_text("".join(plans))
        self.stdout.write(table(run))

    def serve(self, pages: list[dict], cookies: dict, options, **env) -> int:
        """Measures `pages` served by gunicorn (with `env` added to its environment); the
        number of its workers."""
        with Server(**env) as server:
            workers = len(server.workers())
            # Workers import the portal on their first request: let all of them do it first.
            if options["warmup"]:
                server.measure(
                    f"/{FLOOR_PATH}",
                    cookies["staff"],
                    loader=options["loader"],
                    seconds=3 * options["warmup"],
                    warmup=0,
                    connections=options["connections"],
                )
            self.stdout.write(
                f"gunicorn: {workers} workers on {server.base}; "
                f"{options['loader']} with {options['connections']} connections, "
                f"{options['seconds']:g} s per page after {options['warmup']:g} s warm-up."
            )
            for page in pages:
                page.update(
                    server.measure(
                        page["url"],
                        cookies[page["persona"]],
                        loader=options["loader"],
                        seconds=options["seconds"],
                        warmup=options["warmup"],
                        connections=options["connections"],
                    )
                )
                self.stdout.write(
                    f"  {page['key']}: {page['rps']:.1f} req/s, {fmt(page['cpu_ms'])} ms CPU"
                )
        return workers

    # --- data -----------------------------------------------------------------------------

    def fill_or_reuse(self, size: dict) -> float | None:
        facilities, projects = Facility.objects.count(), Project.objects.count()
        present = User.objects.filter(username=BENCH_USER).exists()
        if present and (facilities, projects) == (size["facilities"], size["projects"]):
            self.stdout.write(f"Reusing the province already there: {data_facts()}.")
            settle()  # quick when nothing changed; catches up after new migrations
            return None
        if facilities or projects:
            raise CommandError(
                f"{connection.settings_dict['NAME']} holds other data ({facilities} facilities, "
                f"{projects} projects); drop it (the benchmark creates it again) or choose another."
            )
        self.stdout.write(f"Filling a synthetic province: {size}…")
        started = time.perf_counter()
        fill_province(size, stdout=self.stdout)
        elapsed = time.perf_counter() - started
        self.stdout.write(f"Filled in {elapsed:.0f} s.")
        return round(elapsed, 1)

    def personas(self) -> dict[str, User]:
        users = {
            "staff": User.objects.get(username=BENCH_USER),
            "officer": User.objects.get(username=BENCH_OFFICER),
        }
        for key, (username, fields) in EXTRA_PERSONAS.items():
            users[key], _created = User.objects.get_or_create(
                username=username, defaults={"full_name": username, **fields}
            )
        return users

    def pages(self, staff: User) -> list[dict]:
        year = Project.objects.order_by("-year").values_list("year", flat=True).first()
        area = reports.Area(staff)
        first, last = reports.facility_years(area) or (year - 9, year)
        settled = Project.objects.filter(status=Status.SETTLED).order_by("pk")
        project = settled[settled.count() // 2] if settled.exists() else Project.objects.first()
        facility = Facility.objects.order_by("pk")[Facility.objects.count() // 2]
        rows = [
            ("floor", "floor: trivial signed-in view", "staff", f"/{FLOOR_PATH}"),
            ("project_list", "/de-an/ project list", "staff", "/de-an/"),
            (
                "project_search",
                "/de-an/ filtered + searched",
                "staff",
                "/de-an/?status=settled&q=dao+tao+nghe",
            ),
            ("project_detail", "/de-an/<id>/ project detail", "staff", f"/de-an/{project.pk}/"),
            ("facility_list", "/co-so/ facility list", "staff", "/co-so/"),
            ("facility_detail", "/co-so/<id>/ facility detail", "staff", f"/co-so/{facility.pk}/"),
            ("my_work", "/de-an/viec-cua-toi/ my work", "staff", "/de-an/viec-cua-toi/"),
            ("dashboard_staff", "/ dashboard, centre staff", "staff", "/"),
            ("dashboard_officer", "/ dashboard, district officer", "officer", "/"),
            ("dashboard_manager", "/ dashboard, manager", "manager", "/"),
            ("dashboard_viewer", "/ dashboard, viewer", "viewer", "/"),
            (
                "report_annual",
                "annual report",
                "staff",
                f"/bao-cao/ket-qua-nam/?year={year}",
            ),
            ("report_programme", "programme report", "staff", "/bao-cao/chuong-trinh/"),
            (
                "report_facilities",
                "facility statistics",
                "staff",
                f"/bao-cao/co-so-cnnt/?first_year={first}&last_year={last}",
            ),
            ("report_products", "outstanding products", "staff", "/bao-cao/san-pham-tieu-bieu/"),
            (
                "report_register",
                "project register (1 year)",
                "staff",
                f"/bao-cao/danh-muc-de-an/?year_from={year}&year_to={year}",
            ),
            (
                "admin_projects",
                "admin changelist of projects",
                "admin",
                "/quan-tri/projects/project/",
            ),
        ]
        pages = [{"key": k, "label": lb, "persona": p, "url": u} for k, lb, p, u in rows]
        # The pages whose reads are given again while nothing is committed (khuyencong/
        # unchanged.py), measured once more as the first request after a commit finds them:
        # served by a server with the kept results switched off.
        by_key = {page["key"]: page for page in pages}
        for key in AFRESH:
            pages.append(
                {
                    **by_key[key],
                    "key": f"{key}_afresh",
                    "label": f"{by_key[key]['label']}, read afresh",
                    "afresh": True,
                }
            )
        return pages

    # --- queries and plans ----------------------------------------------------------------

    def count_and_explain(self, page: dict, cookie: str) -> str:
        """Counts the page's queries (the second request: the first fills per-process
        caches) and EXPLAINs its main query: the slowest SELECT that is not one the floor runs
        too (session, user). Returns the plan's text."""
        client = Client(HTTP_HOST="127.0.0.1")
        client.cookies[settings.SESSION_COOKIE_NAME] = cookie
        page["queries"] = len(_queries(client, page["url"], keep=not page.get("afresh")))
        # The statements that read the data, as the first request after a commit runs them
        # (a kept result's page would show only the snapshot's question).
        queries = _queries(client, page["url"], keep=False)
        if page["key"] == "floor":
            self.baseline = {shape(query["sql"]) for query in queries}
        candidates = [
            query
            for query in queries
            # EXECUTE: a statement prepared on this connection ("Việc của tôi", whose EXPLAIN
            # shows the plan PostgreSQL keeps for it).
            if query["sql"].startswith(("SELECT", "EXECUTE"))
            and shape(query["sql"]) not in getattr(self, "baseline", ())
        ]
        if not candidates:
            page.update(main_query_ms=None, indexes=[], scans={})
            return f"== {page['key']} {page['url']}\n(no query besides the floor's)\n\n"
        if connection.vendor == "postgresql":
            # The server's own timing decides, not the client's (which includes fetching).
            explained = [(*explain(query["sql"]), query["sql"]) for query in candidates]
            plan, milliseconds, sql = max(explained, key=lambda e: e[1] or 0)
        else:
            sql = max(candidates, key=lambda query: float(query["time"]))["sql"]
            plan, milliseconds = explain(sql)
        indexes, scans = plan_summary(plan)
        page.update(main_query_ms=milliseconds, indexes=indexes, scans=scans)
        return f"== {page['key']} {page['url']}\n{sql}\n\n{plan}\n\n"


def _queries(client: Client, url: str, *, keep: bool) -> list[dict]:
    """The queries of the second of two requests (the first fills per-process caches), with
    the results kept while nothing is committed or without."""
    with override_settings(KEEP_UNCHANGED_RESULTS=keep):
        for _run in range(2):
            with CaptureQueriesContext(connection) as captured:
                response = client.get(url, secure=True)
            if response.status_code != 200:
                raise CommandError(f"{url}: HTTP {response.status_code} for the persona")
    return captured.captured_queries


def shape(sql: str) -> str:
    """A query without its literals: the floor's session and user queries for any persona."""
    return re.sub(r"'[^']*'|\b\d+\b", "?", sql)


def keep(page: dict, only: list[str] | None) -> bool:
    return not only or page["key"] in only or page["key"] in ANCHORS


def session_key(user: User) -> str:
    """A signed-in session for `user`, as the sign-in view leaves it (second factor verified
    where the role needs one), saved to the session store; its key is the cookie."""
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = user._meta.pk.value_to_string(user)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store[IdleTimeoutMiddleware.KEY] = int(time.time())
    if two_factor.is_required(user):
        device = two_factor.totp_device(user) or TOTPDevice.objects.create(
            user=user, name="benchmark", confirmed=True
        )
        store[DEVICE_ID_SESSION_KEY] = device.persistent_id
    store.create()
    return store.session_key


def explain(sql: str) -> tuple[str, float | None]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS OFF) {sql}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
            match = re.search(r"Execution Time: ([\d.]+) ms", plan)
            return plan, float(match.group(1)) if match else None
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
        return "\n".join(str(row[-1]) for row in cursor.fetchall()), None


_INDEX = re.compile(
    r"(?:Index Only Scan|Index Scan|Bitmap Index Scan)(?: Backward)? (?:using|on) (\w+)"
    r"|USING (?:COVERING )?INDEX (\w+)"
)
_SCAN = re.compile(
    r"Seq Scan on (\w+)(?:[^\n]*?actual time=\S+ rows=(\d+) loops=(\d+))?"
    r"|^\W*SCAN (\w+)\b(?! USING)",
    re.MULTILINE,
)
# Tables smaller than this read whole are not worth a line in the printed table.
SMALL_TABLE = 1000


def plan_summary(plan: str) -> tuple[list[str], dict[str, int | None]]:
    """The indexes a plan reads, and the tables it reads whole with the rows it read from each
    (None where the plan does not say, as SQLite's)."""
    indexes = sorted({a or b for a, b in _INDEX.findall(plan)})
    scans: dict[str, int | None] = {}
    for table, rows, loops, sqlite_table in _SCAN.findall(plan):
        read = int(rows) * int(loops) if rows else None
        name = table or sqlite_table
        scans[name] = max(read, scans.get(name) or 0) if read is not None else scans.get(name)
    return indexes, dict(sorted(scans.items()))


def reads(page: dict) -> str:
    """The printed summary: the indexes other than primary keys, the large tables read whole."""
    text = ", ".join(name for name in page["indexes"] if not name.endswith("_pkey")) or "–"
    whole = [
        name if rows is None else f"{name} ({rows:,} rows)"
        for name, rows in page["scans"].items()
        if rows is None or rows >= SMALL_TABLE
    ]
    return text + ("; whole: " + ", ".join(whole) if whole else "")


# --- facts -----------------------------------------------------------------------------------


def database_facts() -> dict:
    facts = {"vendor": connection.vendor, "name": str(connection.settings_dict["NAME"])}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
        else:
            cursor.execute("SELECT sqlite_version()")
        facts["version"] = cursor.fetchone()[0]
    return facts


def data_facts() -> dict:
    return {
        "facilities": Facility.objects.count(),
        "projects": Project.objects.count(),
        "disbursements": Disbursement.objects.count(),
        "reviews": AcceptanceReview.objects.count(),
    }


# --- the server ------------------------------------------------------------------------------


class Server:
    """gunicorn with the repository's gunicorn.conf.py on a free local port, in the environment
    this command runs in. Workers are not recycled during the run (GUNICORN_MAX_REQUESTS=0, set
    by the caller) so that their CPU time can be read from start to end."""

    def __init__(self, **env):
        self.env = env

    def __enter__(self):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.base = f"http://127.0.0.1:{port}"
        log_path = Path(settings.VAR_DIR) / "benchmark-gunicorn.log"
        self.log = log_path.open("a")
        self.log.write(f"--- {datetime.datetime.now(datetime.UTC).isoformat()}\n")
        self.log.flush()
        env = {**os.environ, **self.env, "GUNICORN_BIND": f"127.0.0.1:{port}"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(settings.BASE_DIR / "gunicorn.conf.py")],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise CommandError(f"gunicorn stopped (exit {self.process.returncode}): {log_path}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.3)
        else:
            self.__exit__(None, None, None)
            raise CommandError(f"gunicorn did not answer within 90 s: {log_path}")
        # The master answers as soon as it listens; its workers boot (import the portal) after.
        counts = []
        while len(counts) < 3 or len(set(counts[-3:])) > 1:
            counts.append(len(self.workers()))
            time.sleep(1)
        return self

    def __exit__(self, *exc):
        self.process.terminate()
        try:
            self.process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()

    def workers(self) -> list[int]:
        return load.children(self.process.pid)

    @staticmethod
    def backends() -> list[int]:
        if connection.vendor != "postgresql":
            return []
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
            )
            return [row[0] for row in cursor.fetchall()]

    def measure(self, url, cookie, *, loader, seconds, warmup, connections) -> dict:
        headers = {
            "Cookie": f"{settings.SESSION_COOKIE_NAME}={cookie}",
            # As nginx sends them (BEHIND_PROXY=1): the request came over HTTPS, from this host.
            "X-Forwarded-Proto": "https",
            "X-Forwarded-For": "127.0.0.1",
        }
        drive = load.run_wrk if loader == "wrk" else load.run_python
        address = urllib.parse.urljoin(self.base, url)
        if warmup:
            drive(address, headers, seconds=warmup, connections=connections)
        before_app, before_db = load.snapshot(self.workers()), load.snapshot(self.backends())
        result = drive(address, headers, seconds=seconds, connections=connections)
        if result.requests < connections:
            # A page slower than the duration (wrk does not count unfinished requests): measure
            # it once more, over longer.
            before_app, before_db = load.snapshot(self.workers()), load.snapshot(self.backends())
            seconds = min(60.0, seconds * 6)
            result = drive(address, headers, seconds=seconds, connections=connections)
        after_db = load.snapshot(set(self.backends()) | set(before_db))
        after_app = load.snapshot(set(self.workers()) | set(before_app))
        app, lost_app = load.spent(before_app, after_app)
        db, lost_db = load.spent(before_db, after_db)
        per_request = 1000 / result.requests if result.requests else None
        has_db = connection.vendor == "postgresql" and bool(before_db or after_db)
        return {
            "seconds": round(result.seconds, 1),
            "requests": result.requests,
            "errors": result.errors,
            "rps": round(result.rps, 2),
            "p50_ms": round(result.p50_ms, 1),
            "p95_ms": round(result.p95_ms, 1),
            "app_cpu_ms": round(app * per_request, 2) if per_request else None,
            "db_cpu_ms": round(db * per_request, 2) if per_request and has_db else None,
            "cpu_ms": round((app + db) * per_request, 2) if per_request else None,
            "processes_lost": lost_app + lost_db,
        }


# --- results ---------------------------------------------------------------------------------


def ratios(pages: list[dict]) -> dict:
    """Each list page against each anchor: throughput (req/s ÷ req/s) and CPU (the anchor's CPU
    ms per request ÷ the list's, i.e. requests served per CPU second, relative)."""
    by_key = {page["key"]: page for page in pages}
    found = {}
    for name in LISTS:
        for anchor in ANCHORS:
            mine, theirs = by_key.get(name), by_key.get(anchor)
            if not mine or not theirs:
                continue
            found[f"{name} / {anchor}"] = {
                "throughput": divide(mine["rps"], theirs["rps"]),
                "cpu": divide(theirs["cpu_ms"], mine["cpu_ms"]),
            }
    return found


def divide(a, b) -> float | None:
    return round(a / b, 3) if a is not None and b else None


def fmt(value, digits: int = 1) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def table(run: dict) -> str:
    data = run["data"]
    lines = [
        "",
        f"Scale {run['scale']}: {data['facilities']:,} facilities, {data['projects']:,} projects, "
        f"{data['disbursements']:,} disbursements, {data['reviews']:,} reviews; "
        f"{run['database']['vendor']} {run['database']['version']}; gunicorn {run['workers']} "
        f"workers, {run['loader']} -c{run['connections']}, {run['seconds']:g} s per page.",
        "",
        "| page | req/s | p50 ms | p95 ms | CPU ms/req (app + db) | queries "
        "| main query ms | main query reads |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for page in run["pages"]:
        errors = f" ({page['errors']} failed)" if page["errors"] else ""
        lines.append(
            f"| {page['label']}{errors} | {fmt(page['rps'])} | {fmt(page['p50_ms'])} "
            f"| {fmt(page['p95_ms'])} | {fmt(page['cpu_ms'])} ({fmt(page['app_cpu_ms'])} + "
            f"{fmt(page['db_cpu_ms'])}) | {page['queries']} | {fmt(page['main_query_ms'])} "
            f"| {reads(page)} |"
        )
    lines.append("")
    for name, ratio in run["ratios"].items():
        lines.append(
            f"{name}: throughput {fmt(ratio['throughput'], 2)}×, "
            f"per CPU second {fmt(ratio['cpu'], 2)}×"
        )
    return "\n".join(lines)
