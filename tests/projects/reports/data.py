"""Small, hand-countable data for the report tests (amounts in millions of đồng, M).

Year 2024 (allocations: KCĐP 1 000 M, KCQG 2 000 M; KCĐP 2023: 500 M):

| project | source | activity | where      | status      | approved | settled | paid    | cp  |
|---------|--------|----------|------------|-------------|----------|---------|---------|-----|
| p1      | KCĐP   | MHTD     | commune A1 | settled     | 300      | 280     | 150+130 | 100 |
| p2      | KCĐP   | DTN      | district B | in progress | 200      |         | 100     | 0   |
| p3      | KCQG   | UDMM     | commune B1 | accepted    | 500      |         | 250     | 400 |
| p4      | KCQG   | UDMM     | commune A1 | cancelled   | 100      |         | 40      | 50  |
| p5      | KCĐP   | MHTD     | province   | submitted   |          |         |         | 0   |
| p7      | KCĐP   | DTN      | commune A1 | accepted    | 60       |         |         | 0   |
| p6 2023 | KCĐP   | DTN      | commune A1 | settled     | 50       | 50      | 50      | 0   |

(cp: counterpart funds.)

Acceptance reviews: p1 accepted (jobs 10, counterpart invested 120 M); p3 accepted (jobs 7), then
"with conditions" (jobs 5, invested 300 M), then not accepted (jobs 99) – only the latest
passing one counts: 5; p7 accepted (trained 25, employed 20).
"""

import datetime
import itertools

from facilities.models import Product, Recognition, Sector, YearlyFigure
from khuyencong.models import User
from projects.models import (
    AcceptanceOutcome,
    AcceptanceReview,
    ActivityType,
    Allocation,
    Disbursement,
    DisbursementKind,
    FollowUpAction,
    FundingSource,
    Indicator,
    Programme,
    ProgrammeBudget,
    Project,
    Status,
    Target,
)
from tests.conftest import make_facility

M = 1_000_000
_codes = itertools.count(1)


def source(code: str) -> FundingSource:
    return FundingSource.objects.get(code=code)


def activity(code: str) -> ActivityType:
    return ActivityType.objects.get(code=code)


def make_allocation(year: int, source_code: str, amount: int) -> Allocation:
    return Allocation.objects.create(
        year=year,
        funding_source=source(source_code),
        decision_number=f"QĐ-{year}-{source_code}-{next(_codes)}",
        decision_date=datetime.date(year, 1, 10),
        amount=amount,
    )


def make_project(
    locality,
    *,
    year: int = 2024,
    source_code: str = "KCĐP",
    activity_code: str = "MHTD",
    status: str = Status.DRAFT,
    requested: int = 1000 * M,
    approved: int | None = None,
    settled: int | None = None,
    counterpart: int = 0,
    facility=None,
    allocation: Allocation | None = None,
    end_date: datetime.date | None = None,
    **expected,
) -> Project:
    if approved is not None and allocation is None:
        allocation = Allocation.objects.filter(
            year=year, funding_source__code=source_code
        ).first() or make_allocation(year, source_code, 100_000 * M)
    n = next(_codes)
    return Project.objects.create(
        code=f"T-{year}-{n:04d}",
        title=f"Đề án thử nghiệm {n}",
        activity_type=activity(activity_code),
        funding_source=source(source_code),
        year=year,
        facility=facility,
        locality=locality,
        implementing_unit="Trung tâm Khuyến công",
        total_cost=requested + counterpart,
        requested_support=requested,
        counterpart_funds=counterpart,
        start_date=datetime.date(year, 3, 1),
        end_date=end_date or datetime.date(year, 11, 30),
        status=status,
        approved_amount=approved,
        allocation=allocation if approved is not None else None,
        settled_amount=settled,
        **{f"expected_{k}": v for k, v in expected.items()},
    )


def pay(project: Project, *amounts: int) -> None:
    for i, amount in enumerate(amounts):
        Disbursement.objects.create(
            project=project,
            kind=DisbursementKind.ADVANCE if i == 0 else DisbursementKind.PAYMENT,
            date=project.start_date + datetime.timedelta(days=30 * (i + 1)),
            amount=amount,
            voucher_number=f"CT-{project.pk}-{i}",
        )


def review(project: Project, outcome: str, on: datetime.date, **achieved) -> AcceptanceReview:
    counterpart = achieved.pop("counterpart_invested", 0)
    return AcceptanceReview.objects.create(
        project=project,
        scheduled_date=on,
        place="Tại cơ sở",
        outcome=outcome,
        counterpart_invested=counterpart,
        **{f"achieved_{k}": v for k, v in achieved.items()},
    )


def build_year(province, district_a, commune_a1, district_b, commune_b1) -> dict:
    """The 2024 table of the module docstring; returns the projects by name."""
    make_allocation(2024, "KCĐP", 1000 * M)
    make_allocation(2024, "KCQG", 2000 * M)
    make_allocation(2023, "KCĐP", 500 * M)
    p = {}
    p["p1"] = make_project(
        commune_a1,
        activity_code="MHTD",
        status=Status.SETTLED,
        approved=300 * M,
        settled=280 * M,
        counterpart=100 * M,
        jobs_created=12,
    )
    pay(p["p1"], 150 * M, 130 * M)
    review(
        p["p1"],
        AcceptanceOutcome.ACCEPTED,
        datetime.date(2024, 12, 1),
        jobs_created=10,
        counterpart_invested=120 * M,
    )
    p["p2"] = make_project(
        district_b,
        activity_code="DTN",
        status=Status.IN_PROGRESS,
        approved=200 * M,
        people_trained=30,
    )
    pay(p["p2"], 100 * M)
    p["p3"] = make_project(
        commune_b1,
        source_code="KCQG",
        activity_code="UDMM",
        status=Status.ACCEPTED,
        approved=500 * M,
        counterpart=400 * M,
        jobs_created=8,
    )
    pay(p["p3"], 250 * M)
    review(p["p3"], AcceptanceOutcome.ACCEPTED, datetime.date(2024, 10, 1), jobs_created=7)
    review(
        p["p3"],
        AcceptanceOutcome.WITH_CONDITIONS,
        datetime.date(2024, 11, 1),
        jobs_created=5,
        counterpart_invested=300 * M,
    )
    review(p["p3"], AcceptanceOutcome.NOT_ACCEPTED, datetime.date(2024, 12, 1), jobs_created=99)
    p["p4"] = make_project(
        commune_a1,
        source_code="KCQG",
        activity_code="UDMM",
        status=Status.CANCELLED,
        approved=100 * M,
        counterpart=50 * M,
    )
    pay(p["p4"], 40 * M)
    p["p5"] = make_project(province, activity_code="MHTD", status=Status.SUBMITTED)
    p["p7"] = make_project(
        commune_a1,
        activity_code="DTN",
        status=Status.ACCEPTED,
        approved=60 * M,
        people_trained=30,
        employed_after_training=25,
    )
    review(
        p["p7"],
        AcceptanceOutcome.ACCEPTED,
        datetime.date(2024, 12, 5),
        people_trained=25,
        employed_after_training=20,
    )
    p["p6"] = make_project(
        commune_a1,
        year=2023,
        activity_code="DTN",
        status=Status.SETTLED,
        approved=50 * M,
        settled=50 * M,
    )
    pay(p["p6"], 50 * M)
    return p


def build_programme() -> Programme:
    """Programme 2023–2025: 4 demonstration models, 30 jobs, 0 managers; planned 2 000 / 3 000 M."""
    programme = Programme.objects.create(
        name="Chương trình khuyến công thử nghiệm", start_year=2023, end_year=2025
    )
    ProgrammeBudget.objects.create(
        programme=programme, funding_source=source("KCĐP"), planned_amount=2000 * M
    )
    ProgrammeBudget.objects.create(
        programme=programme, funding_source=source("KCQG"), planned_amount=3000 * M
    )
    Target.objects.create(
        indicator=Indicator.objects.get(code="MHTD"), programme=programme, value=4
    )
    Target.objects.create(
        indicator=Indicator.objects.get(code="VIECLAM"), programme=programme, value=30
    )
    Target.objects.create(
        indicator=Indicator.objects.get(code="QUANLY"), programme=programme, value=0
    )
    return programme


def figure(facility, year: int, workers: int) -> YearlyFigure:
    return YearlyFigure.objects.create(facility=facility, year=year, workers=workers)


def build_facilities(commune_a1, commune_b1) -> dict:
    """Workers 7 039 (2009) → 9 000 (2015), as the seed article says; 2 → 3 facilities.

    f1 (A1, CBNLTS): 4 000 → 4 500 (and 4 200 in 2012); f2 (B1, VLXD): 3 039 → 3 500;
    f3 (B1, VLXD): 1 000 in 2015 only. Projects of 2009 and 2015 employ 215 and 700 workers.
    """
    food, materials = Sector.objects.get(code="CBNLTS"), Sector.objects.get(code="VLXD")
    f = {
        "f1": make_facility(commune_a1, food),
        "f2": make_facility(commune_b1, materials),
        "f3": make_facility(commune_b1, materials),
    }
    figure(f["f1"], 2009, 4000)
    figure(f["f1"], 2012, 4200)
    figure(f["f1"], 2015, 4500)
    figure(f["f2"], 2009, 3039)
    figure(f["f2"], 2015, 3500)
    figure(f["f3"], 2015, 1000)
    early = make_project(commune_a1, year=2009, status=Status.ACCEPTED, facility=f["f1"])
    review(
        early,
        AcceptanceOutcome.ACCEPTED,
        datetime.date(2009, 12, 1),
        jobs_created=150,
        employed_after_training=65,
    )
    late = make_project(commune_b1, year=2015, status=Status.ACCEPTED, facility=f["f2"])
    review(
        late,
        AcceptanceOutcome.ACCEPTED,
        datetime.date(2015, 12, 1),
        jobs_created=500,
        employed_after_training=200,
    )
    return f


def recognise(facility, *levels_years) -> Product:
    product = Product.objects.create(facility=facility, name=f"Sản phẩm của {facility.name}")
    for level, year in levels_years:
        Recognition.objects.create(product=product, level=level, year=year)
    return product


def add_overdue_action(project: Project, owner: User, due: datetime.date) -> FollowUpAction:
    return FollowUpAction.objects.create(
        project=project, description="Bổ sung chứng từ", owner=owner, due_date=due
    )


def grow(localities, n: int = 6, year: int = 2024) -> None:
    """More of everything (for query-count tests at a second size)."""
    for i in range(n):
        where = localities[i % len(localities)]
        src = "KCQG" if i % 2 else "KCĐP"
        p = make_project(
            where,
            year=year,
            source_code=src,
            activity_code=["MHTD", "DTN", "UDMM"][i % 3],
            status=Status.SETTLED,
            approved=10 * M,
            settled=9 * M,
        )
        pay(p, 5 * M, 4 * M)
        review(p, AcceptanceOutcome.ACCEPTED, datetime.date(year, 12, 1), jobs_created=i)
