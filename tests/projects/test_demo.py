"""The demo programme, plans, allocations and projects (`seed_demo`: projects/planning/demo.py,
projects/applications/demo.py, projects/closeout/demo.py)."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from khuyencong import access
from khuyencong.models import Locality, LocalityKind, User
from projects.applications.demo import seed_projects
from projects.closeout import schedule, steps
from projects.models import (
    AcceptanceOutcome,
    AcceptanceReview,
    Allocation,
    AnnualPlan,
    Disbursement,
    DisbursementKind,
    FollowUpAction,
    MonitoringVisit,
    Programme,
    ProgressReport,
    Project,
    ProjectEvent,
    Status,
)
from projects.planning import budget
from projects.planning.demo import PROGRAMME_NAME, seed_plans

M = 1_000_000
pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    call_command("seed_demo", stdout=StringIO())


def test_the_programme_carries_the_figures_of_the_seeds(demo):
    programme = Programme.objects.get(name=PROGRAMME_NAME)
    assert (programme.start_year, programme.end_year) == (2021, 2025)
    assert programme.decision_number == "470/QĐ-UBND"
    budgets = {b.funding_source.code: b.planned_amount for b in programme.budgets.all()}
    assert budgets == {"KCĐP": 4_446 * M, "KCQG": 13_800 * M}
    targets = {t.indicator.code: t.value for t in programme.targets.all()}
    assert targets == {"MHTD": 9, "HOICHO": 30, "QUANLY": 100, "UDMM": 25}


def test_plans_and_allocations_cover_2022_to_2026(demo):
    assert list(AnnualPlan.objects.order_by("year").values_list("year", flat=True)) == [
        2022,
        2023,
        2024,
        2025,
        2026,
    ]
    y2022 = {a.funding_source.code: a.amount for a in Allocation.objects.filter(year=2022)}
    assert y2022 == {"KCĐP": 850 * M, "KCQG": 900 * M}


def test_the_programme_report_flags_the_2022_total_reported_against_the_plan(demo, client):
    """Reported: 9 projects, 1 075 M; planned: 850 M local + 900 M national."""
    from khuyencong.models import User

    client.force_login(User.objects.get(username="trungtam"))
    programme = Programme.objects.get(name=PROGRAMME_NAME)
    page = client.get(reverse("reports:programme") + f"?programme={programme.pk}")
    check = next(t for t in page.context["tables"] if t.key == "plan_check")
    row_2022 = next(row for row in check.rows if row[0] == 2022)
    assert row_2022[1] == 1_750 * M and row_2022[4] == 1_075 * M
    assert "1.075.000.000 ₫ khác tổng các nguồn 1.750.000.000 ₫" in row_2022[-1]


def test_there_are_projects_in_every_state(demo):
    states = set(Project.objects.values_list("status", flat=True))
    assert states == set(Status.values)
    # Made through the rules: every project has its creation and transitions recorded.
    for project in Project.objects.all():
        actions = list(project.events.values_list("action", flat=True))
        assert actions[0] == "create"
        if project.status == Status.APPROVED:
            assert actions[-1] == "approve"
        if project.approved_amount is not None:
            assert project.allocation.year == project.year


def test_giang_hien_was_accepted_in_august_2017(demo):
    project = Project.objects.get(title="Hỗ trợ ứng dụng máy móc thiết bị máy cán tôn")
    assert (project.facility.name, project.year, project.funding_source.code) == (
        "Công ty TNHH Giang Hiền",
        2017,
        "KCĐP",
    )
    assert project.status == Status.ACCEPTED
    assert (project.accepted_on.year, project.accepted_on.month) == (2017, 8)
    review = project.acceptance_reviews.get()
    assert review.outcome == AcceptanceOutcome.ACCEPTED
    assert review.achieved_machines_installed == 1
    # The history carries the story's dates, not the day the command ran.
    accepted_at = timezone.localtime(project.events.get(action="accept").at)
    assert accepted_at.date() == project.accepted_on
    assert project.allocation.year == 2017


def test_ngoi_sao_sang_completed_its_machining_project_in_june_2017(demo):
    project = Project.objects.get(
        facility__name="Hợp tác xã Ngôi Sao Sáng", title__startswith="Đầu tư thiết bị", year=2017
    )
    assert project.status == Status.ACCEPTED
    assert (project.accepted_on.year, project.accepted_on.month) == (2017, 6)
    assert Allocation.objects.filter(year=2017, funding_source__code="KCĐP").exists()


def test_a_settled_project_gave_money_back_to_its_allocation(demo):
    project = Project.objects.get(status=Status.SETTLED)
    assert project.settled_amount < project.approved_amount
    figures = budget.allocation_figures([project.allocation])[project.allocation.pk]
    assert figures.released == project.approved_amount - project.settled_amount
    assert figures.remaining == figures.allocated - figures.approved + figures.released


def test_a_project_under_way_has_visits_an_overdue_action_a_missing_report_and_an_advance(demo):
    today = timezone.localdate()
    behind = [
        project
        for project in Project.objects.filter(status=Status.IN_PROGRESS)
        if schedule.missing_periods(project, today)
    ]
    assert len(behind) == 1
    project = behind[0]
    assert MonitoringVisit.objects.filter(project=project).count() >= 2
    assert FollowUpAction.objects.filter(
        project=project, done_at__isnull=True, due_date__lt=today
    ).exists()
    advance = Disbursement.objects.get(project=project, kind=DisbursementKind.ADVANCE)
    assert (
        advance.amount <= project.approved_amount * project.activity_type.max_advance_percent // 100
    )


def test_a_project_awaits_its_review_in_a_few_days(demo):
    project = Project.objects.get(status=Status.AWAITING_ACCEPTANCE)
    review = project.acceptance_reviews.get()
    assert review.outcome == "" and review.scheduled_date > timezone.localdate()
    members = list(review.members.all())
    assert any(m.user and m.user.username == "trungtam" for m in members)
    assert any(m.user is None and m.organisation for m in members)


def test_a_project_accepted_with_conditions_is_back_in_progress(demo):
    review = AcceptanceReview.objects.get(outcome=AcceptanceOutcome.WITH_CONDITIONS)
    project = review.project
    assert project.status == Status.IN_PROGRESS
    assert project.events.filter(action="reopen").exists()
    follow_up = FollowUpAction.objects.get(project=project, visit=None)
    assert follow_up.due_date > review.scheduled_date and follow_up.done_at is None


def test_the_follow_through_lists_have_something_to_show(demo, client):
    from khuyencong.models import User

    client.force_login(User.objects.get(username="trungtam"))
    for project in Project.objects.filter(status__in=steps.UNDER_WAY):
        assert client.get(project.get_absolute_url()).status_code == 200
    for name in ("upcoming_reviews", "overdue_actions", "missing_reports"):
        response = client.get(reverse(f"projects:{name}"))
        assert response.context["page"].paginator.count == 1, name


def test_the_real_facilities_of_the_seeds_are_beneficiaries(demo):
    titles = dict(Project.objects.values_list("title", "facility__name"))
    assert titles["Hỗ trợ ứng dụng máy móc thiết bị máy cán tôn"] == "Công ty TNHH Giang Hiền"
    assert (
        titles["Hỗ trợ ứng dụng máy móc thiết bị tiên tiến trong sản xuất miến dong"]
        == "Hợp tác xã nông nghiệp Cai Bộ"
    )
    bamboo = Project.objects.get(facility__name="Công ty TNHH MTV 688", activity_type__code="MHTD")
    assert bamboo.total_cost == 236 * M
    training = Project.objects.get(activity_type__code="DTN")
    assert training.facility is None
    assert training.expected_people_trained == 35
    assert training.locality.name == "Tam Kim"


def test_some_projects_are_in_the_demo_officers_communes_and_some_outside(demo):
    officer = User.objects.get(username="diaban")
    inside = access.scope_by_locality(Project.objects.all(), officer)
    assert inside.filter(status__in=[Status.DRAFT, Status.RETURNED]).exists()
    assert Project.objects.exclude(pk__in=inside.values("pk")).exists()


def test_the_demo_tree_is_two_level_since_july_2025_and_keeps_the_districts_before(demo):
    province = Locality.objects.by_code("04")
    in_force = Locality.objects.current().filter(parent=province)
    assert in_force.count() == 56
    assert {loc.kind for loc in in_force} == {LocalityKind.COMMUNE, LocalityKind.WARD}
    districts = Locality.objects.filter(kind=LocalityKind.DISTRICT)
    assert districts.count() == 9 and not districts.filter(valid_to__isnull=True).exists()
    # Records before the reform stay under the districts' communes; later ones are filed under
    # the new communes.
    old = Project.objects.filter(year__lt=2025, locality__valid_to__isnull=False)
    assert old.exists()
    assert all(p.locality.parent.kind in ("district", "city") for p in old)
    assert Project.objects.filter(year=2026, locality__in=in_force).exists()
    assert not Project.objects.filter(year=2026, locality__valid_to__isnull=False).exists()


def test_the_demo_has_officers_of_one_commune_and_of_several(demo):
    several = User.objects.get(username="diaban")
    one = User.objects.get(username="diaban3")
    assert several.localities.count() > 1
    assert [loc.name for loc in one.localities.all()] == ["Tam Kim"]
    # The Tam Kim officer sees Tam Kim's projects from before the merger, not Tĩnh Túc's.
    tam_kim = access.scope_by_locality(Project.objects.all(), one)
    assert tam_kim.filter(year__lt=2025).exists()
    assert not tam_kim.filter(locality__name="Tĩnh Túc").exists()
    assert (
        access.scope_by_locality(Project.objects.all(), several)
        .filter(locality__name="Tĩnh Túc")
        .exists()
    )


def test_no_allocation_is_overdrawn(demo):
    figures = budget.allocation_figures(Allocation.objects.all())
    assert all(f.remaining >= 0 for f in figures.values())


def test_the_reports_running_totals_agree_with_the_demo_records(demo):
    from projects.planning import summaries

    assert summaries.differences() == []
    # The demo's timeline restamps records with .update(); none of it is a counted field.
    assert summaries.compute(Project.objects.all())


def test_running_it_again_changes_nothing(demo):
    from khuyencong.models import User

    def counts():
        return [
            model.objects.count()
            for model in (
                Project,
                ProjectEvent,
                Allocation,
                MonitoringVisit,
                FollowUpAction,
                ProgressReport,
                Disbursement,
                AcceptanceReview,
            )
        ]

    before = counts()
    seed_projects({u.username: u for u in User.objects.all()}, seed_plans())
    call_command("seed_demo", stdout=StringIO())
    assert counts() == before
