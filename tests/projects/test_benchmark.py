"""`make benchmark` keeps working: a tiny province served by gunicorn and measured with the
Python load generator, and the pieces it is made of (reuse of the data, database names per
scale, reading plans, CPU time from /proc)."""

import json
import os

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from projects.management import load
from projects.management.commands import benchmark, benchmark_pages
from projects.management.commands.benchmark_reports import fill_province


def test_it_measures_the_pages_through_gunicorn_and_writes_the_json(tmp_path):
    # SQLite file, 2 workers, a fraction of a second per page: about half a minute in all.
    call_command(
        "benchmark",
        db=f"sqlite:///{tmp_path}/bench.sqlite3",
        facilities=12,
        projects=30,
        years=2,
        seconds=0.3,
        warmup=0,
        connections=2,
        workers=2,
        loader="python",
        only=["project_list", "dashboard_manager", "my_work_afresh"],
        json=str(tmp_path / "benchmark.json"),
        explain=str(tmp_path / "explain.txt"),
        stdout=open(os.devnull, "w"),  # noqa: SIM115 - closed with the process
    )
    result = json.loads((tmp_path / "benchmark.json").read_text())
    run = result["scales"]["small"]
    assert run["database"]["vendor"] == "sqlite"
    assert run["data"]["projects"] == 30
    pages = {page["key"]: page for page in run["pages"]}
    # The anchors come along with whatever page is asked for.
    assert set(pages) == {
        "floor",
        "project_list",
        "dashboard_manager",
        "my_work_afresh",  # served again with no result kept between requests
        "admin_projects",
    }
    for page in pages.values():
        assert page["requests"] > 0, page
        assert page["errors"] == 0, page  # every persona got its page, not a sign-in redirect
        assert page["queries"] > 0
        assert page["cpu_ms"] > 0
        assert page["p95_ms"] >= page["p50_ms"] > 0
    assert pages["floor"]["queries"] < pages["project_list"]["queries"]
    assert set(run["ratios"]) == {"project_list / admin_projects", "project_list / floor"}
    assert run["ratios"]["project_list / floor"]["throughput"] > 0
    assert "== project_list /de-an/" in (tmp_path / "explain.txt").read_text()


@pytest.mark.django_db
def test_it_reuses_a_province_of_the_same_size_and_refuses_other_data():
    size = {"facilities": 3, "projects": 5, "years": 1}
    fill_province(size, stdout=open(os.devnull, "w"))  # noqa: SIM115
    command = benchmark_pages.Command(stdout=open(os.devnull, "w"))  # noqa: SIM115
    assert command.fill_or_reuse(size) is None  # nothing filled
    with pytest.raises(CommandError, match="holds other data"):
        command.fill_or_reuse({**size, "projects": 6})


def test_each_scale_has_its_own_database():
    url = benchmark.database_url("postgres://postgres@127.0.0.1:5432/kc", "full")
    assert url == "postgres://postgres@127.0.0.1:5432/kc_full"
    assert benchmark.database_url("sqlite:////srv/var/b.sqlite3", "small") == (
        "sqlite:////srv/var/b-small.sqlite3"
    )


def test_it_reads_which_indexes_a_plan_uses_and_which_tables_it_reads_whole():
    postgres = """Limit  (cost=0.29..2.10 rows=25 width=8) (actual time=0.02..0.05 rows=25 loops=1)
  ->  Index Only Scan Backward using project_list_order on projects_project
  ->  Bitmap Index Scan on project_search_trgm  (cost=0.00..4.2 rows=1 width=0)
  ->  Index Scan using projects_project_pkey on projects_project  (cost=0.29..8.30 rows=1)
  ->  Seq Scan on projects_fundingsource  (cost=0.00..1.04 rows=4 width=8) (actual time=0.003..0.004 rows=4 loops=1)
  ->  Seq Scan on projects_disbursement  (cost=0.00..1.04 rows=4 width=8) (actual time=0.003..9.1 rows=76723 loops=1)"""  # noqa: E501
    page = {"indexes": [], "scans": {}}
    page["indexes"], page["scans"] = benchmark_pages.plan_summary(postgres)
    assert page["indexes"] == [
        "project_list_order",
        "project_search_trgm",
        "projects_project_pkey",
    ]
    assert page["scans"] == {"projects_disbursement": 76723, "projects_fundingsource": 4}
    # Printed: no primary keys, no small tables.
    assert benchmark_pages.reads(page) == (
        "project_list_order, project_search_trgm; whole: projects_disbursement (76,723 rows)"
    )
    sqlite = "SCAN projects_project USING INDEX project_list_order\nSCAN facilities_sector"
    assert benchmark_pages.plan_summary(sqlite) == (
        ["project_list_order"],
        {"facilities_sector": None},
    )


def test_it_reads_cpu_time_of_a_process_and_of_none():
    assert load.cpu_seconds(os.getpid()) > 0
    assert load.cpu_seconds(2**22 + 1) is None
    assert load.percentile([5, 1, 4, 2, 3], 50) == 3
    assert load.percentile([float(n) for n in range(1, 101)], 95) == 95.0


def test_growth_is_also_given_in_units_of_each_scales_floor():
    """The scales are measured minutes apart on a machine whose speed drifts: a page that took
    twice the floor's CPU at both scales has not grown, though both got slower."""
    from projects.management.commands.benchmark import growth

    def run(floor, page):
        return {
            "pages": [
                {"key": "floor", "cpu_ms": floor, "p50_ms": 10.0, "queries": 2},
                {"key": "project_list", "cpu_ms": page, "p50_ms": 20.0, "queries": 5},
            ]
        }

    found = growth(run(3.0, 6.0), run(4.5, 9.0))
    assert found["project_list"]["cpu"] == 1.5
    assert found["project_list"]["cpu_per_floor"] == 1.0
    assert growth(run(3.0, 6.0), run(3.0, 12.0))["project_list"]["cpu_per_floor"] == 2.0
