"""Builders for projects at a given point of their life, through the workflow rules."""

import datetime

import pytest

from projects import workflow
from projects.models import ActivityType, Allocation, FundingSource

YEAR = 2025
DECIDED = datetime.date(YEAR, 2, 15)


@pytest.fixture
def allocation(db):
    return Allocation.objects.create(
        year=YEAR,
        funding_source=FundingSource.objects.get(code="KCĐP"),
        decision_number="01/QĐ-UBND",
        decision_date=datetime.date(YEAR, 1, 10),
        amount=1_000_000_000,
    )


@pytest.fixture
def make_approved_project(officer, staff, manager, facility_a, allocation):
    """make_approved_project(activity="DTN", approved_amount=200_000_000, **fields) → approved.

    Filed by `officer` for `facility_a` (district A), appraised by `staff`, approved by
    `manager` on DECIDED against `allocation`.
    """

    def make(*, activity="DTN", approved_amount=200_000_000, **fields):
        requested = fields.pop("requested_support", approved_amount)
        values = {
            "title": "Đào tạo nghề dệt thổ cẩm",
            "activity_type": ActivityType.objects.get(code=activity),
            "funding_source": allocation.funding_source,
            "year": YEAR,
            "facility": facility_a,
            "locality": facility_a.locality,
            "implementing_unit": "Trung tâm Khuyến công",
            "total_cost": requested + 100_000_000,
            "requested_support": requested,
            "counterpart_funds": 100_000_000,
            "start_date": datetime.date(YEAR, 3, 1),
            "end_date": datetime.date(YEAR, 12, 31),
        }
        values.update(fields)
        project = workflow.create_project(by=officer, **values)
        workflow.submit(project=project, by=officer, today=datetime.date(YEAR, 1, 20))
        workflow.appraise(
            project=project,
            by=staff,
            recommended_amount=approved_amount,
            opinion="Đủ điều kiện",
            no_conflict=True,
            today=datetime.date(YEAR, 2, 1),
        )
        return workflow.approve(
            project=project,
            by=manager,
            decision_number="15/QĐ-SCT",
            decision_date=DECIDED,
            approved_amount=approved_amount,
            allocation=allocation,
        )

    return make
