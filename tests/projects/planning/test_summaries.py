"""The reports' running totals (projects/planning/summaries.py) always equal a recomputation.

Random operations go through the real rule functions — create, edit, submit, return, appraise,
approve, reject, cancel, start, disburse, reverse, report progress, request acceptance,
schedule, decide and cancel reviews, settle, delete a draft — and after every step the stored
totals must match `summaries.compute` over all projects, which is what `manage.py summaries
--check` runs. Seeded, so a failure replays; run on PostgreSQL by CI as well.
"""

import datetime
import random
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from projects.applications import workflow
from projects.applications.workflow import TransitionError
from projects.closeout import disbursements, steps
from projects.models import (
    AcceptanceOutcome,
    AcceptanceReview,
    ActivityType,
    Allocation,
    Disbursement,
    DisbursementKind,
    FundingSource,
    Project,
    ProjectTotals,
    ProvinceTotals,
    Status,
)
from projects.planning import budget, summaries
from projects.reports import Area, annual_report, dashboard
from tests.projects.conftest import report_progress

pytestmark = pytest.mark.django_db

M = 1_000_000
YEARS = (2024, 2025)
ZERO = dict.fromkeys(summaries.SUMS, 0)


def stored() -> dict[tuple, dict]:
    """The stored totals without the all-zero rows (a group emptied keeps no meaning)."""
    rows = ProjectTotals.objects.values(*summaries.ROW, *summaries.SUMS)
    result = {}
    for row in rows:
        sums = {k: row[k] for k in summaries.SUMS}
        if sums != ZERO:
            result[tuple(row[k] for k in summaries.ROW)] = sums
    return result


def recomputed() -> dict[tuple, dict]:
    return {k: v for k, v in summaries.compute(Project.objects.all()).items() if v != ZERO}


def stored_province() -> dict[tuple, dict]:
    """The stored province-wide totals, without all-zero rows."""
    rows = ProvinceTotals.objects.values(*summaries.PROVINCE_ROW, *summaries.SUMS)
    result = {}
    for row in rows:
        sums = {k: row[k] for k in summaries.SUMS}
        if sums != ZERO:
            result[tuple(row[k] for k in summaries.PROVINCE_ROW)] = sums
    return result


def province_recomputed() -> dict[tuple, dict]:
    """A full recomputation summed over the localities (not read from ProjectTotals)."""
    cells = summaries.province_cells(summaries.compute(Project.objects.all()))
    return {k: v for k, v in cells.items() if v != ZERO}


@pytest.fixture
def world(province, district_a, commune_a1, district_b, commune_b1, officer, staff, manager):
    sources = list(FundingSource.objects.filter(code__in=["KCĐP", "KCQG"]))
    activities = list(ActivityType.objects.order_by("pk")[:3])
    assert len(sources) == 2 and len(activities) == 3
    for year in YEARS:
        for source in sources:
            Allocation.objects.create(
                year=year,
                funding_source=source,
                decision_number=f"{year}/{source.code}",
                decision_date=datetime.date(year, 1, 5),
                amount=2_000 * M,
            )
    return {
        "sources": sources,
        "activities": activities,
        "localities": [province, district_a, commune_a1, district_b, commune_b1],
        "staff": staff,
        "manager": manager,
        "officer": officer,
    }


class Story:
    """One random life of a province's projects, driven by `rng` through the rule functions."""

    def __init__(self, rng: random.Random, world: dict):
        self.rng = rng
        self.w = world
        self.done: dict[str, int] = {}
        self.refused = 0

    def pick(self, *statuses) -> Project | None:
        ids = list(
            Project.objects.filter(status__in=statuses).order_by("pk").values_list("pk", flat=True)
        )
        return Project.objects.get(pk=self.rng.choice(ids)) if ids else None

    def fields(self) -> dict:
        rng = self.rng
        year = rng.choice(YEARS)
        requested = rng.randint(5, 60) * M
        counterpart = rng.randint(0, 30) * M
        return {
            "title": f"Đề án {rng.randint(1, 9999)}",
            "activity_type": rng.choice(self.w["activities"]),
            "funding_source": rng.choice(self.w["sources"]),
            "year": year,
            "locality": rng.choice(self.w["localities"]),
            "implementing_unit": "Trung tâm Khuyến công",
            "total_cost": requested + counterpart,
            "requested_support": requested,
            "counterpart_funds": counterpart,
            "start_date": datetime.date(year, 3, 1),
            "end_date": datetime.date(year, 10, 31),
            "expected_jobs_created": rng.randint(0, 20),
            "expected_people_trained": rng.randint(0, 40),
        }

    # --- the operations ------------------------------------------------------------------

    def create(self):
        return workflow.create_project(by=self.w["staff"], **self.fields())

    def edit(self):
        project = self.pick(Status.DRAFT, Status.RETURNED)
        if project:
            # A new year, source, activity type or locality moves the project between groups.
            return workflow.edit_project(project=project, by=self.w["staff"], **self.fields())

    def submit(self):
        project = self.pick(Status.DRAFT, Status.RETURNED)
        if project:
            return workflow.submit(
                project=project, by=self.w["staff"], today=datetime.date(project.year, 1, 20)
            )

    def send_back(self):
        project = self.pick(Status.SUBMITTED)
        if project:
            return workflow.return_for_revision(
                project=project, by=self.w["staff"], reason="Bổ sung"
            )

    def appraise(self):
        project = self.pick(Status.SUBMITTED)
        if project:
            return workflow.appraise(
                project=project,
                by=self.w["staff"],
                recommended_amount=project.requested_support,
                opinion="Khả thi",
                no_conflict=True,
            )

    def approve(self):
        project = self.pick(Status.APPRAISED)
        if project is None:
            return
        if self.rng.random() < 0.15:
            return workflow.reject(project=project, by=self.w["manager"], reason="Không phù hợp")
        return workflow.approve(
            project=project,
            by=self.w["manager"],
            decision_number="15/QĐ",
            decision_date=datetime.date(project.year, 2, 20),
            approved_amount=self.rng.randint(1, project.requested_support // M) * M,
            allocation=Allocation.objects.get(
                year=project.year, funding_source=project.funding_source
            ),
        )

    def cancel(self):
        project = self.pick(
            Status.DRAFT,
            Status.SUBMITTED,
            Status.APPRAISED,
            Status.APPROVED,
            Status.IN_PROGRESS,
            Status.AWAITING_ACCEPTANCE,
        )
        if project:
            return workflow.cancel(project=project, by=self.w["manager"], reason="Cơ sở rút lui")

    def start(self):
        project = self.pick(Status.APPROVED)
        if project:
            return steps.start(
                project=project,
                by=self.w["staff"],
                contract_number="08/HĐ",
                contract_date=datetime.date(project.year, 3, 1),
            )

    def disburse(self):
        project = self.pick(
            Status.APPROVED, Status.IN_PROGRESS, Status.AWAITING_ACCEPTANCE, Status.ACCEPTED
        )
        if project is None:
            return
        advance = project.contract_date is None or self.rng.random() < 0.4
        return disbursements.disburse(
            project=project,
            by=self.w["manager"],
            kind=DisbursementKind.ADVANCE if advance else DisbursementKind.PAYMENT,
            date=datetime.date(project.year, 4, 1),
            amount=self.rng.randint(1, max(1, (project.approved_amount or 0) // M // 2)) * M,
            voucher_number=f"C-{self.rng.randint(1, 10**9)}",
        )

    def reverse(self):
        paid = list(
            Disbursement.objects.filter(reverses__isnull=True, reversal__isnull=True)
            .exclude(project__status__in=[Status.SETTLED, Status.CANCELLED])
            .order_by("pk")
        )
        if paid:
            return disbursements.reverse_disbursement(
                disbursement=self.rng.choice(paid),
                by=self.w["manager"],
                reason="Nhầm chứng từ",
                date=datetime.date(self.rng.choice(paid).project.year, 12, 31),
            )

    def finish_work(self):
        project = self.pick(Status.IN_PROGRESS)
        if project:
            report_progress(project, self.w["staff"])
            return steps.request_acceptance(
                project=project, by=self.w["staff"], today=datetime.date(project.year, 11, 1)
            )

    def review(self):
        project = self.pick(Status.IN_PROGRESS, Status.AWAITING_ACCEPTANCE)
        if project is None:
            return
        pending = project.acceptance_reviews.filter(outcome="", cancelled_at__isnull=True)
        review = pending.first()
        if review is None:
            return steps.schedule_review(
                project=project,
                by=self.w["staff"],
                scheduled_date=datetime.date(project.year, 11, self.rng.randint(5, 25)),
                place="Tại cơ sở",
                members=[
                    {"name": "Hoàng Văn Nam", "organisation": "Sở", "council_role": "Chủ tịch"}
                ],
            )
        if self.rng.random() < 0.2:
            return steps.cancel_review(review=review, by=self.w["staff"], reason="Dời lịch")
        outcome = self.rng.choices(
            [
                AcceptanceOutcome.ACCEPTED,
                AcceptanceOutcome.WITH_CONDITIONS,
                AcceptanceOutcome.NOT_ACCEPTED,
            ],
            [3, 1, 1],
        )[0]
        return steps.record_review_outcome(
            review=review,
            by=self.w["manager"],
            outcome=outcome,
            findings="Nhận xét",
            achieved_jobs_created=self.rng.randint(0, 20),
            achieved_people_trained=self.rng.randint(0, 40),
            counterpart_invested=self.rng.randint(0, 30) * M,
            required_actions="" if outcome == AcceptanceOutcome.ACCEPTED else "Bổ sung",
            follow_up_owner=None if outcome == AcceptanceOutcome.ACCEPTED else self.w["staff"],
            follow_up_due=None
            if outcome == AcceptanceOutcome.ACCEPTED
            else datetime.date(project.year, 12, 28),
        )

    def settle(self):
        project = self.pick(Status.ACCEPTED)
        if project is None:
            return
        paid = disbursements.project_money(project).disbursed
        return steps.settle(
            project=project,
            by=self.w["manager"],
            settled_amount=self.rng.randint(paid, project.approved_amount),
            decision_number="99/QĐ",
            settled_on=datetime.date(project.year, 12, 30),
        )

    def delete_draft(self):
        project = self.pick(Status.DRAFT)
        if project:
            return project.delete()

    OPERATIONS = (
        (create, 3),
        (edit, 1),
        (submit, 3),
        (send_back, 1),
        (appraise, 3),
        (approve, 4),
        (cancel, 1),
        (start, 4),
        (disburse, 5),
        (reverse, 1),
        (finish_work, 4),
        (review, 6),
        (settle, 4),
        (delete_draft, 1),
    )

    def step(self) -> None:
        """One operation that has something to act on (drafts pile up otherwise)."""
        operations, weights = zip(*self.OPERATIONS, strict=True)
        for _attempt in range(20):
            operation = self.rng.choices(operations, weights)[0]
            try:
                if operation(self) is None:
                    continue  # nothing to do it to yet
            except TransitionError:
                # A rule, a norm, an order of steps refused it: nothing was written.
                self.refused += 1
                return
            self.done[operation.__name__] = self.done.get(operation.__name__, 0) + 1
            return


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_totals_equal_a_full_recomputation_after_random_operations(world, seed):
    story = Story(random.Random(seed), world)
    for number in range(150):
        story.step()
        assert stored() == recomputed(), f"seed {seed}, step {number}: {story.done}"
        assert stored_province() == province_recomputed(), f"seed {seed}, step {number}"
    # The story reached every kind of change the totals follow, not just drafts.
    for name in ("approve", "disburse", "reverse", "review", "settle", "cancel", "edit"):
        assert story.done.get(name, 0) >= 1, repr(sorted(story.done.items()))
    assert Project.objects.filter(status=Status.SETTLED).exists()
    assert AcceptanceReview.objects.counted().exists()
    assert summaries.differences() == []
    # The allocation figures read from the totals are projects/planning/budget.py's own.
    allocations = list(Allocation.objects.all())
    assert summaries.allocation_figures(allocations) == budget.allocation_figures(allocations)


def test_a_project_moved_to_another_group_leaves_nothing_behind(world):
    staff = world["staff"]
    story = Story(random.Random(0), world)
    project = workflow.create_project(by=staff, **story.fields())
    before = (project.year, project.funding_source_id, project.activity_type_id)
    fields = story.fields()
    fields["locality"] = next(loc for loc in world["localities"] if loc != project.locality)
    workflow.edit_project(project=project, by=staff, **fields)
    rows = list(ProjectTotals.objects.filter(projects__gt=0).values_list("locality_id", flat=True))
    assert rows == [fields["locality"].pk], before
    project.delete()
    assert not ProjectTotals.objects.filter(projects__gt=0).exists()


def test_the_check_command_lists_a_difference_and_the_rebuild_repairs_it(world):
    story = Story(random.Random(5), world)
    for _ in range(40):
        story.step()
    call_command("summaries", "--check", stdout=StringIO())  # agrees: no error
    row = ProjectTotals.objects.filter(projects__gt=0).first()
    # A change that bypasses the signals, as a raw UPDATE would.
    ProjectTotals.objects.filter(pk=row.pk).update(approved=row.approved + 7)
    errors = StringIO()
    with pytest.raises(CommandError, match="lệch 1 dòng"):
        call_command("summaries", "--check", stdout=StringIO(), stderr=errors)
    assert f"approved {row.approved + 7} ≠ {row.approved}" in errors.getvalue()
    out = StringIO()
    call_command("summaries", "--rebuild", stdout=out)
    assert "Rebuilt" in out.getvalue()
    call_command("summaries", "--check", stdout=StringIO())
    assert summaries.differences() == []


def test_the_check_command_lists_a_province_wide_difference(world):
    story = Story(random.Random(6), world)
    for _ in range(30):
        story.step()
    row = ProvinceTotals.objects.filter(projects__gt=0).first()
    ProvinceTotals.objects.filter(pk=row.pk).update(disbursed=row.disbursed + 3)
    errors = StringIO()
    with pytest.raises(CommandError, match="lệch 1 dòng"):
        call_command("summaries", "--check", stdout=StringIO(), stderr=errors)
    assert f"toàn tỉnh: year={row.year}" in errors.getvalue()
    assert f"disbursed {row.disbursed + 3} ≠ {row.disbursed}" in errors.getvalue()
    summaries.rebuild()
    assert summaries.differences() == []


@pytest.mark.parametrize("seed", [4, 7])
def test_the_province_dashboard_agrees_with_the_annual_report_and_budget_use(world, seed, staff):
    """The dashboard reads ProvinceTotals province-wide and ProjectTotals for a narrower area;
    after random operations both give the annual report's and budget_use's figures."""
    from projects.reports.base import Funds, budget_use

    story = Story(random.Random(seed), world)
    for _ in range(120):
        story.step()
    for area in (Area(staff), Area(staff, world["localities"][1]), Area(world["officer"])):
        for year in YEARS:
            board = dashboard(area=area, year=year, budget_years=2)
            annual = annual_report(area=area, year=year)
            assert board.annual.totals == annual.totals
            assert board.annual.achieved == annual.achieved
            assert [(g.label, g.figures) for g in board.annual.by_activity] == [
                (g.label, g.figures) for g in annual.by_activity
            ]
            assert [(g.label, g.figures) for g in board.annual.by_locality] == [
                (g.label, g.figures) for g in annual.by_locality
            ]
            shown = {(r.year, r.source.pk): (r.allocated, r.funds) for r in board.budget}
            for r in budget_use(area, [year - 1, year]):
                if (r.year, r.source.pk) in shown:
                    assert shown[(r.year, r.source.pk)] == (r.allocated, r.funds)
                else:  # left out only when it holds nothing
                    assert r.year != year and not r.allocated and r.funds == Funds()


def test_the_dashboard_reads_the_province_totals_not_the_projects(world, staff):
    """A change that bypassed the totals does not show on the province-wide dashboard until a
    rebuild: it reads ProvinceTotals."""
    story = Story(random.Random(3), world)
    for _ in range(60):
        story.step()
    year = YEARS[0]
    before = dashboard(area=Area(staff), year=year).by_status
    project = Project.objects.filter(year=year).first()
    Project.objects.filter(pk=project.pk).update(year=YEARS[1])
    assert dashboard(area=Area(staff), year=year).by_status == before
    summaries.rebuild()
    assert dashboard(area=Area(staff), year=year).by_status != before


def test_the_annual_report_reads_the_totals_not_the_projects(world, staff):
    """After a change that bypassed the totals the report still shows the old figure: it reads
    the totals; after a rebuild it shows the new one."""
    story = Story(random.Random(2), world)
    project = workflow.create_project(by=staff, **story.fields())
    year = project.year
    workflow.submit(project=project, by=staff, today=datetime.date(year, 1, 20))
    workflow.appraise(
        project=project,
        by=staff,
        recommended_amount=project.requested_support,
        opinion="Khả thi",
        no_conflict=True,
    )
    workflow.approve(
        project=project,
        by=world["manager"],
        decision_number="1/QĐ",
        decision_date=datetime.date(year, 2, 20),
        approved_amount=5 * M,
        allocation=Allocation.objects.get(year=year, funding_source=project.funding_source),
    )
    area = Area(staff)
    assert annual_report(area=area, year=year).totals.approved == 5 * M
    Project.objects.filter(pk=project.pk).update(approved_amount=4 * M)
    assert annual_report(area=area, year=year).totals.approved == 5 * M
    summaries.rebuild()
    assert annual_report(area=area, year=year).totals.approved == 4 * M


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_writers_of_one_group_leave_exact_totals(world):
    """Four projects of one group created, then paid out, at the same moment: each writer waits
    for the group's lock and recomputes after the others commit, so no change is lost."""
    from tests.projects.applications.test_concurrency import run_together

    staff, manager = world["staff"], world["manager"]
    fields = Story(random.Random(9), world).fields()
    created = run_together(*[lambda: workflow.create_project(by=staff, **fields) for _ in range(4)])
    assert [kind for kind, _ in created] == ["ok"] * 4, created
    assert summaries.differences() == []
    projects = [project for _kind, project in created]
    for project in projects:
        project.status = Status.IN_PROGRESS
        project.approved_amount = project.requested_support
        project.allocation = Allocation.objects.get(
            year=project.year, funding_source=project.funding_source
        )
        project.decision_date = datetime.date(project.year, 2, 1)
        project.contract_date = datetime.date(project.year, 3, 1)
        project.save()
    paid = run_together(
        *[
            lambda p=p: disbursements.disburse(
                project=p,
                by=manager,
                kind=DisbursementKind.ADVANCE,
                date=datetime.date(p.year, 3, 5),
                amount=M,
                voucher_number="C-1",
            )
            for p in projects
        ]
    )
    assert [kind for kind, _ in paid] == ["ok"] * 4, paid
    assert summaries.differences() == []
    assert ProjectTotals.objects.filter(disbursed=4 * M, projects=4).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_writers_of_one_bucket_in_different_localities_leave_exact_totals(world):
    """Projects of one year, source and activity type but of different localities (so of
    different groups) created at the same moment: each writer waits for the bucket's lock, so
    the province-wide totals count every one of them."""
    from tests.projects.applications.test_concurrency import run_together

    staff = world["staff"]
    fields = Story(random.Random(11), world).fields()
    calls = [
        lambda locality=locality: workflow.create_project(
            by=staff, **{**fields, "locality": locality}
        )
        for locality in world["localities"][:4]
    ]
    created = run_together(*calls)
    assert [kind for kind, _ in created] == ["ok"] * 4, created
    assert summaries.differences() == []
    [row] = ProvinceTotals.objects.filter(year=fields["year"], status=Status.DRAFT)
    assert row.projects == 4
