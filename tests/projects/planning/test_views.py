"""Screens of programmes, plans, allocations, norms and the reference lists."""

# Fixtures come from tests/projects/screens.py: imported by name, then requested by name.
# ruff: noqa: F401, F811

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from projects.models import (
    ActivityType,
    Allocation,
    AnnualPlan,
    FundingSource,
    Indicator,
    PlanBudget,
    Programme,
    ProgrammeBudget,
    SupportNorm,
    Target,
)
from tests.projects.screens import M, at_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def programme(local_source, national_source):
    programme = Programme.objects.create(
        name="Chương trình khuyến công giai đoạn 2026–2030",
        start_year=2026,
        end_year=2030,
        decision_number="470/QĐ-UBND",
    )
    ProgrammeBudget.objects.create(
        programme=programme, funding_source=local_source, planned_amount=4_446 * M
    )
    ProgrammeBudget.objects.create(
        programme=programme, funding_source=national_source, planned_amount=13_800 * M
    )
    Target.objects.create(
        programme=programme, indicator=Indicator.objects.get(code="MHTD"), value=9
    )
    return programme


@pytest.fixture
def plan(programme, local_source):
    plan = AnnualPlan.objects.create(year=2026, programme=programme, decision_number="1/QĐ")
    PlanBudget.objects.create(plan=plan, funding_source=local_source, amount=850 * M)
    Target.objects.create(plan=plan, indicator=Indicator.objects.get(code="HOICHO"), value=6)
    return plan


class TestAllocations:
    def test_the_list_shows_allocated_approved_and_remaining(self, login, viewer, at_state):
        at_state("approved")  # 250 million of the 1 billion allocation
        response = login(viewer).get(reverse("planning:allocation_list"))
        page = response.content.decode()
        assert "1.000.000.000 ₫" in page
        assert "250.000.000 ₫" in page
        assert "750.000.000 ₫" in page

    def test_the_list_query_count_does_not_grow_with_the_rows(
        self, login, staff, allocation, local_source, national_source
    ):
        client = login(staff)

        def count():
            with CaptureQueriesContext(connection) as queries:
                assert client.get(reverse("planning:allocation_list")).status_code == 200
            return len(queries)

        one = count()
        for year in range(2015, 2026):
            for source in (local_source, national_source):
                Allocation.objects.create(
                    year=year,
                    funding_source=source,
                    decision_number=f"{year}/QĐ",
                    decision_date=datetime.date(year, 1, 2),
                    amount=100 * M,
                )
        # session, user, count, page of allocations with their source, approved sums,
        # disbursed sums (allocation_figures), the source choices of the filter
        assert count() == one == 7

    def test_the_detail_lists_the_projects_drawing_on_it_within_scope(
        self,
        login,
        officer,
        other_officer,
        staff,
        manager,
        at_state,
        allocation,
        make_project,
        walk,
        commune_b1,
    ):
        mine = at_state("approved")
        theirs = make_project(other_officer, locality=commune_b1, title="Đề án huyện B")
        walk(
            theirs,
            "approved",
            officer=other_officer,
            staff=staff,
            manager=manager,
            allocation=allocation,
        )
        url = reverse("planning:allocation_detail", args=[allocation.pk])
        page = login(officer).get(url).content.decode()
        assert mine.code in page
        assert "Đề án huyện B" not in page
        assert "500.000.000 ₫" in page  # both approvals count in the figures
        assert "Đề án huyện B" in login(staff).get(url).content.decode()

    def test_a_manager_records_an_allocation(self, login, manager, local_source):
        response = login(manager).post(
            reverse("planning:allocation_create"),
            {
                "year": 2027,
                "funding_source": local_source.pk,
                "decision_number": "15/QĐ-UBND",
                "decision_date": "15/11/2026",
                "amount": "850.000.000",
                "notes": "",
            },
        )
        allocation = Allocation.objects.get()
        assert response["Location"] == reverse("planning:allocation_detail", args=[allocation.pk])
        assert allocation.amount == 850 * M
        assert allocation.decision_date == datetime.date(2026, 11, 15)

    def test_the_amount_cannot_fall_below_what_is_approved(
        self, login, manager, at_state, allocation, local_source
    ):
        at_state("approved")
        response = login(manager).post(
            reverse("planning:allocation_edit", args=[allocation.pk]),
            {
                "year": 2026,
                "funding_source": local_source.pk,
                "decision_number": allocation.decision_number,
                "decision_date": "10/01/2026",
                "amount": "100.000.000",
            },
        )
        assert response.status_code == 200
        assert "không được thấp hơn số đã phê duyệt" in response.context["form"].errors["amount"][0]
        allocation.refresh_from_db()
        assert allocation.amount == 1000 * M

    @pytest.mark.parametrize("who", ["officer", "staff", "viewer"])
    def test_only_managers_change_allocations(self, request, login, allocation, who, local_source):
        client = login(request.getfixturevalue(who))
        assert client.get(reverse("planning:allocation_create")).status_code == 403
        response = client.post(
            reverse("planning:allocation_edit", args=[allocation.pk]), {"amount": "1"}
        )
        assert response.status_code == 403
        allocation.refresh_from_db()
        assert allocation.amount == 1000 * M


class TestProgrammesAndPlans:
    def test_the_programme_page_shows_budgets_targets_and_plans(
        self, login, officer, programme, plan, allocation
    ):
        page = (
            login(officer)
            .get(reverse("planning:programme_detail", args=[programme.pk]))
            .content.decode()
        )
        assert "18.246.000.000 ₫" in page
        assert "Mô hình trình diễn kỹ thuật" in page and ">9<" in page
        assert "850.000.000 ₫" in page  # the 2026 plan's KCĐP budget
        assert "1.000.000.000 ₫" in page  # allocated for 2026

    def test_the_plan_page_shows_budget_targets_and_allocations(
        self, login, viewer, plan, allocation
    ):
        response = login(viewer).get(reverse("planning:plan_detail", args=[2026]))
        page = response.content.decode()
        assert "Kế hoạch khuyến công năm 2026" in page
        assert "850.000.000 ₫" in page
        assert "Lượt cơ sở tham gia hội chợ, triển lãm" in page
        assert allocation.decision_number in page

    def test_the_index_lists_programmes_and_plans(self, login, officer, programme, plan):
        page = login(officer).get(reverse("planning:index")).content.decode()
        assert programme.name in page
        assert "Kế hoạch năm 2026" in page

    def test_a_manager_creates_a_programme_with_budgets_and_targets(
        self, login, manager, local_source
    ):
        indicator = Indicator.objects.get(code="QUANLY")
        data = {
            "name": "Chương trình khuyến công giai đoạn 2026–2030",
            "start_year": "2026",
            "end_year": "2030",
            "decision_number": "12/QĐ-UBND",
            "decision_date": "05/03/2026",
            "issuer": "UBND tỉnh",
            "notes": "",
            "budgets-TOTAL_FORMS": "1",
            "budgets-INITIAL_FORMS": "0",
            "budgets-0-funding_source": local_source.pk,
            "budgets-0-planned_amount": "5.000.000.000",
            "targets-TOTAL_FORMS": "1",
            "targets-INITIAL_FORMS": "0",
            "targets-0-indicator": indicator.pk,
            "targets-0-value": "100",
        }
        response = login(manager).post(reverse("planning:programme_create"), data)
        programme = Programme.objects.get()
        assert response["Location"] == reverse("planning:programme_detail", args=[programme.pk])
        assert programme.budgets.get().planned_amount == 5000 * M
        assert programme.targets.get().value == 100

    def test_the_years_of_a_programme_must_be_ordered(self, login, manager):
        data = {
            "name": "Sai năm",
            "start_year": "2030",
            "end_year": "2026",
            "budgets-TOTAL_FORMS": "0",
            "budgets-INITIAL_FORMS": "0",
            "targets-TOTAL_FORMS": "0",
            "targets-INITIAL_FORMS": "0",
        }
        response = login(manager).post(reverse("planning:programme_create"), data)
        assert response.status_code == 200
        assert "Năm kết thúc phải sau năm bắt đầu." in response.content.decode()
        assert not Programme.objects.exists()

    def test_a_manager_edits_a_plan(self, login, manager, plan, national_source):
        budget = plan.budgets.get()
        data = {
            "year": "2026",
            "programme": plan.programme_id,
            "decision_number": "2/QĐ",
            "decision_date": "",
            "notes": "",
            "budgets-TOTAL_FORMS": "2",
            "budgets-INITIAL_FORMS": "1",
            "budgets-0-id": budget.pk,
            "budgets-0-funding_source": budget.funding_source_id,
            "budgets-0-planned_amount": "",
            "budgets-0-amount": "900.000.000",
            "budgets-1-funding_source": national_source.pk,
            "budgets-1-amount": "1.500.000.000",
            "targets-TOTAL_FORMS": "0",
            "targets-INITIAL_FORMS": "0",
        }
        # One existing target: keep it.
        target = plan.targets.get()
        data.update(
            {
                "targets-TOTAL_FORMS": "1",
                "targets-INITIAL_FORMS": "1",
                "targets-0-id": target.pk,
                "targets-0-indicator": target.indicator_id,
                "targets-0-value": "8",
            }
        )
        response = login(manager).post(reverse("planning:plan_edit", args=[2026]), data)
        assert response.status_code == 302, response.context["form"].errors
        assert sorted(plan.budgets.values_list("amount", flat=True)) == [900 * M, 1500 * M]
        assert plan.targets.get().value == 8

    @pytest.mark.parametrize("who", ["officer", "staff", "viewer"])
    def test_only_managers_change_programmes_and_plans(self, request, login, programme, plan, who):
        client = login(request.getfixturevalue(who))
        for url in (
            reverse("planning:programme_create"),
            reverse("planning:programme_edit", args=[programme.pk]),
            reverse("planning:plan_create"),
            reverse("planning:plan_edit", args=[2026]),
        ):
            assert client.get(url).status_code == 403, url
            assert client.post(url, {}).status_code == 403, url


class TestNorms:
    def test_everyone_reads_the_norms_in_force(self, login, officer):
        page = login(officer).get(reverse("planning:norm_list")).content.decode()
        assert "Thông tư 28/2018/TT-BTC" in page
        assert "Đang hiệu lực" in page
        assert "đã hết hiệu lực" not in page.lower() or "Thông tư liên tịch 26/2014" not in page

    def test_expired_norms_are_shown_on_request(self, login, officer):
        page = login(officer).get(reverse("planning:norm_list"), {"hien": "tat-ca"}).content
        assert "Thông tư liên tịch 26/2014".encode() in page

    def test_a_manager_adds_a_local_norm(self, login, manager, machinery, local_source):
        response = login(manager).post(
            reverse("planning:norm_create"),
            {
                "activity_type": machinery.pk,
                "funding_source": local_source.pk,
                "max_rate_percent": "50",
                "max_amount": "250.000.000",
                "unit": "mỗi cơ sở",
                "effective_from": "01/01/2026",
                "effective_to": "",
                "legal_basis": "Nghị quyết HĐND tỉnh (thử nghiệm)",
            },
        )
        assert response.status_code == 302
        assert SupportNorm.objects.get(funding_source=local_source).max_amount == 250 * M

    def test_an_overlapping_norm_is_refused_with_a_message(
        self, login, manager, machinery, national_source
    ):
        response = login(manager).post(
            reverse("planning:norm_create"),
            {
                "activity_type": machinery.pk,
                "funding_source": national_source.pk,
                "max_rate_percent": "40",
                "effective_from": "01/01/2026",
                "legal_basis": "Trùng",
            },
        )
        assert response.status_code == 200
        assert "Đã có định mức khác" in response.content.decode()

    def test_others_cannot_change_norms(self, login, officer, staff):
        norm = SupportNorm.objects.first()
        for user in (officer, staff):
            client = login(user)
            assert client.get(reverse("planning:norm_create")).status_code == 403
            assert client.post(reverse("planning:norm_edit", args=[norm.pk]), {}).status_code == 403


class TestCatalogue:
    def test_a_manager_adds_a_funding_source_and_renames_an_activity(self, login, manager):
        client = login(manager)
        client.post(
            reverse("planning:catalogue_create", args=["sources"]),
            {"code": "NSH", "name": "Nguồn xã hội hóa", "order": "3"},
        )
        assert FundingSource.objects.filter(code="NSH").exists()
        activity = ActivityType.objects.get(code="CDS")
        client.post(
            reverse("planning:catalogue_edit", args=["activities", activity.pk]),
            {"code": "CDS", "name": "Chuyển đổi số trong khuyến công", "order": "11"},
        )
        activity.refresh_from_db()
        assert activity.name == "Chuyển đổi số trong khuyến công"
        assert not activity.is_active  # the unchecked box means "no longer used"

    def test_the_list_is_readable_by_all_and_writable_by_managers_only(self, login, officer):
        client = login(officer)
        assert "Khuyến công quốc gia" in client.get(reverse("planning:catalogue")).content.decode()
        url = reverse("planning:catalogue_create", args=["sources"])
        assert client.post(url, {"code": "X", "name": "X"}).status_code == 403

    def test_an_unknown_list_is_a_404(self, login, manager):
        url = reverse("planning:catalogue_create", args=["facilities"])
        assert login(manager).get(url).status_code == 404
