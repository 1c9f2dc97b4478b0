"""Builders for project tests: a draft, and a project walked through the workflow."""

import datetime

import pytest

from projects.applications import workflow
from projects.closeout import steps
from projects.models import ActivityType, Allocation, FundingSource

M = 1_000_000
YEAR = 2026
# The close-out tests live a year earlier, so every date of a finished project is in the past.
CLOSEOUT_YEAR = 2025
DECIDED = datetime.date(CLOSEOUT_YEAR, 2, 15)
# Acceptance asked for before the reviews the close-out tests hold in November.
ASKED = datetime.date(CLOSEOUT_YEAR, 11, 1)


@pytest.fixture
def local_source(db):
    return FundingSource.objects.get(code="KCĐP")


@pytest.fixture
def national_source(db):
    return FundingSource.objects.get(code="KCQG")


@pytest.fixture
def machinery(db):
    return ActivityType.objects.get(code="UDMM")


@pytest.fixture
def training(db):
    return ActivityType.objects.get(code="DTN")


@pytest.fixture
def allocation(local_source):
    return Allocation.objects.create(
        year=YEAR,
        funding_source=local_source,
        decision_number="01/QĐ-UBND",
        decision_date=datetime.date(YEAR, 1, 10),
        amount=1000 * M,
    )


def project_fields(locality, activity_type, funding_source, **overrides):
    fields = {
        "title": "Hỗ trợ ứng dụng máy cán tôn",
        "activity_type": activity_type,
        "funding_source": funding_source,
        "year": YEAR,
        "locality": locality,
        "implementing_unit": "Trung tâm Khuyến công",
        "total_cost": 600 * M,
        "requested_support": 250 * M,
        "counterpart_funds": 350 * M,
        "other_funds": 0,
        "start_date": datetime.date(YEAR, 3, 1),
        "end_date": datetime.date(YEAR, 10, 31),
    }
    fields.update(overrides)
    return fields


@pytest.fixture
def make_project(commune_a1, machinery, local_source):
    def make(by, **overrides):
        overrides.setdefault("locality", commune_a1)
        fields = project_fields(
            overrides.pop("locality"),
            overrides.pop("activity_type", machinery),
            overrides.pop("funding_source", local_source),
            **overrides,
        )
        return workflow.create_project(by=by, **fields)

    return make


@pytest.fixture
def walk():
    """Move a project along the workflow up to `to` (submitted, appraised, approved)."""

    def do(project, to, *, officer, staff, manager, allocation=None, amount=None):
        # Filed before the decision date below: a decision may not predate the filing.
        project = workflow.submit(project=project, by=officer, today=datetime.date(YEAR, 1, 20))
        if to == "submitted":
            return project
        project = workflow.appraise(
            project=project,
            by=staff,
            recommended_amount=amount or project.requested_support,
            opinion="Đề án khả thi",
            no_conflict=True,
        )
        if to == "appraised":
            return project
        return workflow.approve(
            project=project,
            by=manager,
            decision_number="45/QĐ-TTKC",
            decision_date=datetime.date(YEAR, 2, 20),
            approved_amount=amount or project.requested_support,
            allocation=allocation,
        )

    return do


@pytest.fixture
def closeout_allocation(local_source):
    return Allocation.objects.create(
        year=CLOSEOUT_YEAR,
        funding_source=local_source,
        decision_number="01/QĐ-UBND",
        decision_date=datetime.date(CLOSEOUT_YEAR, 1, 10),
        amount=1_000_000_000,
    )


@pytest.fixture
def make_approved_project(officer, staff, manager, facility_a, closeout_allocation):
    """make_approved_project(activity="DTN", approved_amount=200_000_000, **fields) → approved.

    Filed by `officer` for `facility_a` (district A), appraised by `staff`, approved by
    `manager` on DECIDED against `closeout_allocation`.
    """

    def make(*, activity="DTN", approved_amount=200_000_000, **fields):
        requested = fields.pop("requested_support", approved_amount)
        values = {
            "title": "Đào tạo nghề dệt thổ cẩm",
            "activity_type": ActivityType.objects.get(code=activity),
            "funding_source": closeout_allocation.funding_source,
            "year": CLOSEOUT_YEAR,
            "facility": facility_a,
            "locality": facility_a.locality,
            "implementing_unit": "Trung tâm Khuyến công",
            "total_cost": requested + 100_000_000,
            "requested_support": requested,
            "counterpart_funds": 100_000_000,
            "start_date": datetime.date(CLOSEOUT_YEAR, 3, 1),
            "end_date": datetime.date(CLOSEOUT_YEAR, 12, 31),
        }
        values.update(fields)
        project = workflow.create_project(by=officer, **values)
        workflow.submit(project=project, by=officer, today=datetime.date(CLOSEOUT_YEAR, 1, 20))
        workflow.appraise(
            project=project,
            by=staff,
            recommended_amount=approved_amount,
            opinion="Đủ điều kiện",
            no_conflict=True,
        )
        return workflow.approve(
            project=project,
            by=manager,
            decision_number="15/QĐ-SCT",
            decision_date=DECIDED,
            approved_amount=approved_amount,
            allocation=closeout_allocation,
        )

    return make


def report_progress(project, by, percent=100, start=None):
    """A progress report showing `percent` of the work done: an acceptance request needs one
    (settings.ACCEPTANCE_MIN_PROGRESS_PERCENT)."""
    # The second quarter after the contract: tests of the first period's report stay free.
    start = start or project.contract_date + datetime.timedelta(days=92)
    return steps.file_progress_report(
        project=project,
        by=by,
        period_start=start,
        period_end=start + datetime.timedelta(days=90),
        progress_percent=percent,
        money_spent=0,
    )
