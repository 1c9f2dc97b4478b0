"""Demo programme, annual plans and allocations. Only the `seed_demo` command calls this.

Figures from shared/seeds: the 2021–2025 programme (QĐ 470/QĐ-UBND: 18,246 billion đồng, of
which KCĐP 4,446 and KCQG 13,800; 9 demonstration models, 30 trade-fair participations, 100
managers trained, 25 facilities helped with machinery) and the 2022 budget (KCĐP 850 million,
KCQG 900 million). The other years' amounts and all decision numbers except 470/QĐ-UBND are
illustrations, and say so in their notes.
"""

import datetime

from khuyencong.demo import ILLUSTRATION, M
from projects.models import (
    Allocation,
    AnnualPlan,
    FundingSource,
    Indicator,
    PlanBudget,
    Programme,
    ProgrammeBudget,
    ReportedFigure,
    ReportedIndicator,
    Target,
)

PROGRAMME_NAME = "Chương trình khuyến công tỉnh Cao Bằng giai đoạn 2021–2025"

PROGRAMME_BUDGETS = {"KCĐP": 4_446 * M, "KCQG": 13_800 * M}
PROGRAMME_TARGETS = {"MHTD": 9, "HOICHO": 30, "QUANLY": 100, "UDMM": 25}
PLAN_TARGETS = {"MHTD": 2, "HOICHO": 6, "QUANLY": 20, "UDMM": 5}
# year: (KCĐP, KCQG); 2022 from shared/seeds/002, the rest illustrative.
PLAN_BUDGETS = {
    2022: (850 * M, 900 * M),
    2023: (900 * M, 1_200 * M),
    2024: (950 * M, 1_500 * M),
    2025: (900 * M, 1_800 * M),
    2026: (1_000 * M, 1_500 * M),
}


def seed_plans() -> dict[tuple[int, str], Allocation]:
    sources = {s.code: s for s in FundingSource.objects.all()}
    indicators = {i.code: i for i in Indicator.objects.all()}
    programme, _ = Programme.objects.get_or_create(
        name=PROGRAMME_NAME,
        defaults={
            "start_year": 2021,
            "end_year": 2025,
            "decision_number": "470/QĐ-UBND",
            "issuer": "UBND tỉnh Cao Bằng",
            "notes": (
                "Kế hoạch khuyến công của tỉnh giai đoạn 2021–2025: tổng kinh phí 18,246 tỷ "
                "đồng, trong đó khuyến công địa phương 4,446 tỷ, khuyến công quốc gia 13,800 tỷ."
            ),
        },
    )
    for code, amount in PROGRAMME_BUDGETS.items():
        ProgrammeBudget.objects.get_or_create(
            programme=programme, funding_source=sources[code], defaults={"planned_amount": amount}
        )
    for code, value in PROGRAMME_TARGETS.items():
        Target.objects.get_or_create(
            programme=programme, indicator=indicators[code], defaults={"value": value}
        )

    allocations = {}
    for number, (year, amounts) in enumerate(PLAN_BUDGETS.items(), 1):
        real = year == 2022
        plan, _ = AnnualPlan.objects.get_or_create(
            year=year,
            defaults={
                "programme": programme if year <= programme.end_year else None,
                "decision_number": f"{100 + number}/QĐ-UBND",
                "decision_date": datetime.date(year - 1, 12, 20),
                "notes": "Kinh phí theo báo cáo năm 2022." if real else ILLUSTRATION,
            },
        )
        for code, target in PLAN_TARGETS.items():
            Target.objects.get_or_create(
                plan=plan, indicator=indicators[code], defaults={"value": target}
            )
        for code, amount in zip(("KCĐP", "KCQG"), amounts, strict=True):
            PlanBudget.objects.get_or_create(
                plan=plan, funding_source=sources[code], defaults={"amount": amount}
            )
            allocation = Allocation.objects.filter(year=year, funding_source=sources[code]).first()
            if allocation is None:
                allocation = Allocation.objects.create(
                    year=year,
                    funding_source=sources[code],
                    decision_number=f"{200 + number * 2 + (code == 'KCQG')}/QĐ-UBND",
                    decision_date=datetime.date(year, 1, 15),
                    amount=amount,
                    notes="Theo báo cáo năm 2022" if real else ILLUSTRATION,
                )
            allocations[(year, code)] = allocation
    return allocations


def seed_reported_figures(users: dict) -> None:
    """What the province reported for 2022 (shared/seeds/002): 9 projects for 1 tỷ 075 triệu,
    against the plan's 850 M local + 900 M national above; the reports flag the difference."""
    source = "Báo cáo kết quả khuyến công năm 2022 (shared/seeds/002)"
    for indicator, value in (
        (ReportedIndicator.PROJECTS, 9),
        (ReportedIndicator.KC_FUNDS, 1_075 * M),
    ):
        ReportedFigure.objects.get_or_create(
            year=2022,
            indicator=indicator,
            defaults={"value": value, "source": source, "entered_by": users["trungtam"]},
        )
