"""`make benchmark`: what users feel, per page, measured in one run against two anchors.

    manage.py benchmark                        # PostgreSQL when reachable, scale small
    manage.py benchmark --scale both           # small and full, and how each page grew
    manage.py benchmark --db sqlite            # SQLite files under var/ instead

Each scale has its own database (PostgreSQL: `<name>_small`, `<name>_full`, created when
missing; SQLite: `var/benchmark-<scale>.sqlite3`), filled once with the synthetic province of
`benchmark_reports` and reused by later runs. For each scale this command runs
`benchmark_pages` in the production environment (DEBUG=0, a throwaway SECRET_KEY, behind a
proxy as with nginx, database connections kept) with the benchmark's URL configuration (the
floor view), and gathers what it measured: per page req/s, p50, p95, CPU ms per request
(gunicorn workers + their PostgreSQL backends), queries, the main query's plan; the ratios of the
project list to the admin changelist and to the floor; with both scales, the growth of each
page. Printed, and written to var/benchmark.json (plans to var/benchmark-explain.txt).
"""

import datetime
import json
import os
import platform
import secrets
import subprocess
import sys
import tempfile
import urllib.parse
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from projects.management import load
from projects.management.commands.benchmark_pages import fmt
from projects.management.commands.benchmark_reports import SCALES

POSTGRES = "postgres://postgres@127.0.0.1:5432/khuyencong_benchmark"
SQLITE = "sqlite:///"


class Command(BaseCommand):
    help = "Serve a synthetic province with gunicorn and measure each page (make benchmark)."

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=[*sorted(SCALES), "both"], default="small")
        parser.add_argument(
            "--db",
            default="auto",
            help="auto (PostgreSQL when reachable, else SQLite), postgres, sqlite, or a "
            f"postgres:// or sqlite:/// URL whose name gets the scale appended ({POSTGRES}).",
        )
        parser.add_argument("--seconds", type=float, default=5.0, help="Measured, per page.")
        parser.add_argument("--warmup", type=float, default=1.0, help="Unmeasured, per page.")
        parser.add_argument("--connections", type=int, default=8)
        parser.add_argument("--workers", type=int, help="gunicorn workers (its config's default)")
        parser.add_argument("--loader", choices=("auto", "wrk", "python"), default="auto")
        parser.add_argument("--only", action="append", help="Only this page (key); repeatable.")
        parser.add_argument("--facilities", type=int, help="A custom size (tests).")
        parser.add_argument("--projects", type=int)
        parser.add_argument("--years", type=int)
        parser.add_argument("--json", default=str(Path(settings.VAR_DIR) / "benchmark.json"))
        parser.add_argument(
            "--explain", default=str(Path(settings.VAR_DIR) / "benchmark-explain.txt")
        )
        parser.add_argument(
            "--print-database-url",
            action="store_true",
            help="Only print the database URL of the (single) scale and stop.",
        )

    def handle(self, *args, **options):
        scales = ["small", "full"] if options["scale"] == "both" else [options["scale"]]
        base = resolve_database(options["db"])
        if options["print_database_url"]:
            self.stdout.write(database_url(base, scales[-1]))
            return
        loader = options["loader"]
        if loader == "auto":
            loader = "wrk" if load.wrk_path() else "python"
        elif loader == "wrk" and not load.wrk_path():
            raise CommandError("wrk is missing: apt-get install wrk, or --loader python.")
        started = datetime.datetime.now(datetime.UTC)
        machine = machine_facts()
        runs = {}
        Path(options["explain"]).parent.mkdir(parents=True, exist_ok=True)
        Path(options["explain"]).write_text("")
        for scale in scales:
            url = database_url(base, scale)
            ensure_database(url)
            self.stdout.write(f"\n=== Scale {scale}: {redact(url)}")
            runs[scale] = self.run_scale(scale, url, loader, options)
        machine["load_average_after"] = os.getloadavg()
        result = {
            "date": started.isoformat(timespec="seconds"),
            "minutes": round(
                (datetime.datetime.now(datetime.UTC) - started).total_seconds() / 60, 1
            ),
            "machine": machine,
            "command": " ".join(["manage.py", *sys.argv[2:]]),
            "scales": runs,
        }
        if len(runs) == 2:
            result["growth"] = growth(runs["small"], runs["full"])
        Path(options["json"]).parent.mkdir(parents=True, exist_ok=True)
        Path(options["json"]).write_text(json.dumps(result, ensure_ascii=False, indent=2))
        self.stdout.write(summary(result))
        self.stdout.write(f"\nWritten: {options['json']}, {options['explain']}")

    def run_scale(self, scale: str, url: str, loader: str, options) -> dict:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "khuyencong.benchmark_settings",
            "DATABASE_URL": url,
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "BEHIND_PROXY": "1",
            # One connection per worker for the whole run, so that its backend's CPU time can be
            # read from start to end (production keeps it 60 s: one reconnect a minute).
            "DB_CONN_MAX_AGE": "3600",
            "GUNICORN_MAX_REQUESTS": "0",
        }
        if options["workers"]:
            env["GUNICORN_WORKERS"] = str(options["workers"])
        with tempfile.TemporaryDirectory() as scratch:
            out, plans = Path(scratch) / "run.json", Path(scratch) / "explain.txt"
            command = [
                sys.executable,
                str(settings.BASE_DIR / "manage.py"),
                "benchmark_pages",
                f"--scale={scale}",
                f"--seconds={options['seconds']}",
                f"--warmup={options['warmup']}",
                f"--connections={options['connections']}",
                f"--loader={loader}",
                f"--json={out}",
                f"--explain={plans}",
            ]
            for key in ("facilities", "projects", "years"):
                if options[key]:
                    command.append(f"--{key}={options[key]}")
            for page in options["only"] or ():
                command.append(f"--only={page}")
            with subprocess.Popen(
                command,
                env=env,
                cwd=settings.BASE_DIR,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            ) as child:
                for line in child.stdout:
                    self.stdout.write(line, ending="")
            if child.returncode:
                raise CommandError(f"The {scale} run failed (exit {child.returncode}).")
            with Path(options["explain"]).open("a") as target:
                target.write(f"##### scale {scale}\n\n{plans.read_text()}")
            return json.loads(out.read_text())


def resolve_database(choice: str) -> str:
    if choice == "sqlite":
        return f"{SQLITE}{Path(settings.VAR_DIR) / 'benchmark.sqlite3'}"
    if choice == "postgres":
        return POSTGRES
    if choice == "auto":
        if postgres_reachable(POSTGRES):
            return POSTGRES
        sys.stderr.write("PostgreSQL is not reachable at 127.0.0.1:5432: using SQLite.\n")
        return resolve_database("sqlite")
    if choice.startswith(("postgres://", "postgresql://", SQLITE)):
        return choice
    raise CommandError(f"--db: auto, postgres, sqlite or a URL, not {choice!r}.")


def database_url(base: str, scale: str) -> str:
    """`base` with the scale added to the database's name: one database per scale."""
    if base.startswith(SQLITE):
        path = Path(base.removeprefix(SQLITE))
        return f"{SQLITE}{path.with_name(f'{path.stem}-{scale}{path.suffix}')}"
    parts = urllib.parse.urlsplit(base)
    return urllib.parse.urlunsplit(parts._replace(path=f"{parts.path}_{scale}"))


def _maintenance(url: str):
    import psycopg

    parts = urllib.parse.urlsplit(url)
    return psycopg.connect(
        urllib.parse.urlunsplit(parts._replace(path="/postgres")), connect_timeout=3
    ), parts.path.lstrip("/")


def postgres_reachable(url: str) -> bool:
    try:
        connection, _name = _maintenance(url)
    except Exception:  # noqa: BLE001 - any failure to connect means "not reachable"
        return False
    connection.close()
    return True


def ensure_database(url: str) -> None:
    if url.startswith(SQLITE):
        Path(url.removeprefix(SQLITE)).parent.mkdir(parents=True, exist_ok=True)
        return
    from psycopg import sql

    connection, name = _maintenance(url)
    connection.autocommit = True
    with connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if exists.fetchone() is None:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def redact(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if parts.password:
        parts = parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":…@"))
    return urllib.parse.urlunsplit(parts)


def machine_facts() -> dict:
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        memory = meminfo.read_text().splitlines()[0].split(":", 1)[1].strip()
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory": memory,
        "system": platform.platform(),
        "python": platform.python_version(),
        "load_average_before": os.getloadavg(),
    }


def growth(small: dict, full: dict) -> dict:
    """Full ÷ small for each page: CPU ms per request, the same in units of the floor's CPU ms
    at each scale, p50 and queries. The scales are measured one after the other, minutes
    apart, and a shared VM's speed drifts in between (the admin's unchanged code, and the floor,
    which reads nothing that grows, have come out 1.4× "grown"): the floor's ratio takes out
    what the machine did and leaves what the data did."""
    before = {page["key"]: page for page in small["pages"]}
    floors = [
        next((p["cpu_ms"] for p in run["pages"] if p["key"] == "floor"), None)
        for run in (small, full)
    ]
    found = {}
    for page in full["pages"]:
        old = before.get(page["key"])
        if old:
            found[page["key"]] = {
                "cpu": ratio(page["cpu_ms"], old["cpu_ms"]),
                "cpu_per_floor": ratio(
                    divide(page["cpu_ms"], floors[1]), divide(old["cpu_ms"], floors[0])
                ),
                "p50": ratio(page["p50_ms"], old["p50_ms"]),
                "queries": ratio(page["queries"], old["queries"]),
            }
    return found


def divide(a, b):
    return a / b if a is not None and b else None


def ratio(a, b):
    return round(a / b, 2) if a is not None and b else None


def summary(result: dict) -> str:
    machine = result["machine"]
    lines = [
        "",
        f"{result['date']} · {machine['cores']} × {machine['cpu'] or 'CPU'}, {machine['memory']}"
        f" · load average before {machine['load_average_before'][0]:.2f}, after "
        f"{machine['load_average_after'][0]:.2f} · {result['minutes']} min",
    ]
    for scale, run in result["scales"].items():
        for name, value in run["ratios"].items():
            lines.append(
                f"{scale}: {name}: throughput {fmt(value['throughput'], 2)}×, "
                f"per CPU second {fmt(value['cpu'], 2)}×"
            )
    if "growth" in result:
        labels = {page["key"]: page["label"] for page in result["scales"]["full"]["pages"]}
        lines += [
            "",
            "Growth from small to full (full ÷ small; CPU in floors: each scale's CPU ms/req ÷ "
            "its floor's):",
            "",
            "| page | CPU ms/req | CPU in floors | p50 | queries |",
            "|---|---:|---:|---:|---:|",
        ]
        for key, value in result["growth"].items():
            lines.append(
                f"| {labels[key]} | {fmt(value['cpu'], 2)}× "
                f"| {fmt(value.get('cpu_per_floor'), 2)}× | {fmt(value['p50'], 2)}× "
                f"| {fmt(value['queries'], 2)}× |"
            )
    return "\n".join(lines)
