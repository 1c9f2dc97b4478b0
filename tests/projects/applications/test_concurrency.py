"""Two managers approve at the same moment against an allocation with room for one."""

import datetime
import threading

import pytest
from django.db import connection

from projects.applications import workflow
from projects.applications.workflow import TransitionError
from projects.models import Project, Status

M = 1_000_000


def run_together(*calls):
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def worker(index, call):
        try:
            barrier.wait(timeout=10)
            results[index] = ("ok", call())
        except TransitionError as error:
            results[index] = ("refused", str(error))
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            results[index] = ("error", repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_concurrent_approvals_never_overdraw_the_allocation(
    make_project, walk, officer, staff, manager, allocation
):
    allocation.amount = 300 * M
    allocation.save()
    projects = [
        walk(make_project(officer), "appraised", officer=officer, staff=staff, manager=manager)
        for _ in range(2)
    ]

    def approve(project):
        return lambda: workflow.approve(
            project=project,
            by=manager,
            decision_number=f"QĐ-{project.pk}",
            decision_date=datetime.date(2026, 2, 20),
            approved_amount=250 * M,
            allocation=allocation,
        )

    results = run_together(*(approve(p) for p in projects))

    outcomes = sorted(kind for kind, _ in results)
    assert outcomes == ["ok", "refused"], results
    refused = next(message for kind, message in results if kind == "refused")
    assert "Không đủ kinh phí" in refused
    approved = Project.objects.filter(status=Status.APPROVED, allocation=allocation)
    assert approved.count() == 1
    assert sum(p.approved_amount for p in approved) <= allocation.amount
