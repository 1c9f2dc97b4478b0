"""The demo programme, plans, allocations and projects (projects/demo.py)."""

from io import StringIO

import pytest
from django.core.management import call_command

from projects import budget
from projects.demo import PROGRAMME_NAME, seed_projects
from projects.models import Allocation, AnnualPlan, Programme, Project, ProjectEvent, Status

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


def test_there_are_projects_in_every_state_of_the_application_workflow(demo):
    states = set(Project.objects.values_list("status", flat=True))
    assert states == {
        Status.DRAFT,
        Status.SUBMITTED,
        Status.RETURNED,
        Status.APPRAISED,
        Status.APPROVED,
        Status.REJECTED,
        Status.CANCELLED,
    }
    # Made through the workflow: every project has its creation and transitions recorded.
    for project in Project.objects.all():
        actions = list(project.events.values_list("action", flat=True))
        assert actions[0] == "create"
        if project.status == Status.APPROVED:
            assert actions[-1] == "approve"
            assert project.allocation.year == project.year


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


def test_some_projects_are_in_the_demo_officers_district_and_some_outside(demo):
    inside = Project.objects.filter(locality__path__startswith="04/052/")
    assert inside.filter(status__in=[Status.DRAFT, Status.RETURNED]).exists()
    assert Project.objects.exclude(locality__path__startswith="04/052/").exists()


def test_no_allocation_is_overdrawn(demo):
    figures = budget.allocation_figures(Allocation.objects.all())
    assert all(f.remaining >= 0 for f in figures.values())


def test_running_it_again_changes_nothing(demo):
    from khuyencong.models import User

    counts = (Project.objects.count(), ProjectEvent.objects.count(), Allocation.objects.count())
    seed_projects({u.username: u for u in User.objects.all()})
    call_command("seed_demo", stdout=StringIO())
    assert (
        Project.objects.count(),
        ProjectEvent.objects.count(),
        Allocation.objects.count(),
    ) == counts
