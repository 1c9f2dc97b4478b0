"""Screens of the project application: list, export, form, detail, actions, my work."""

# Fixtures come from tests/projects/screens.py: imported by name, then requested by name.
# ruff: noqa: F401, F811

import datetime
import re
from io import BytesIO

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from projects.applications import workflow
from projects.models import ActivityType, Comment, Project, ProjectEvent, Status
from tests.conftest import make_user
from tests.projects.screens import (
    STATES,
    M,
    action_buttons,
    at_state,
    form_values,
    messages_of,
)

pytestmark = pytest.mark.django_db


def detail_url(project):
    return reverse("projects:detail", args=[project.pk])


def action_url(project, name):
    return reverse("projects:action", args=[project.pk, name])


# --- list -----------------------------------------------------------------------------------


class TestList:
    def test_it_shows_an_officer_only_their_localitys_projects(
        self, login, officer, other_officer, make_project, commune_b1
    ):
        mine = make_project(officer, title="Đề án của huyện A")
        make_project(other_officer, title="Đề án của huyện B", locality=commune_b1)
        response = login(officer).get(reverse("projects:list"))
        assert response.status_code == 200
        assert mine.code in response.content.decode()
        assert "Đề án của huyện B" not in response.content.decode()

    def test_its_filter_card_kept_per_process_follows_data_user_query_and_year(
        self, login, staff, officer, commune_b1, facility_a, national_source
    ):
        """The filter card is written once per process and key (ProjectFilter.markup_key): the
        options read, the user's scope, the query and the year. Each of those shows at once."""
        url = reverse("projects:list")

        def card(user, query=None):
            html = login(user).get(url, query or {}).content.decode()
            start = html.index('id="project-filters"')
            return html[start : html.index("</form>", start)]

        assert national_source.name in card(staff)
        national_source.name = "Nguồn mới <đổi tên>"
        national_source.save()
        assert "Nguồn mới &lt;đổi tên&gt;" in card(staff)
        assert commune_b1.name in card(staff)
        assert commune_b1.name not in card(officer)  # another district's commune
        assert commune_b1.name in card(staff)
        chosen = card(staff, {"funding_source": national_source.pk})
        assert f'<option value="{national_source.pk}" selected>' in chosen
        assert f'<option value="{national_source.pk}" selected>' not in card(staff)
        assert "is-invalid" in card(staff, {"status": "zzz"})
        assert "is-invalid" not in card(staff, {"status": "draft"})
        assert facility_a.name in card(staff, {"facility": facility_a.pk})
        assert 'name="sort" value="-year"' in card(staff, {"sort": "-year"})
        for today, offered in (
            (datetime.date(2026, 12, 31), 2027),
            (datetime.date(2027, 1, 1), 2028),
        ):
            with time_machine.travel(
                datetime.datetime.combine(today, datetime.time(9)), tick=False
            ):
                assert f'<option value="{offered}">' in card(staff)
                assert f'<option value="{offered + 1}">' not in card(staff)

    def test_its_statements_kept_per_query_and_scope_show_each_users_rows_of_now(
        self, login, staff, officer, make_project, commune_b1
    ):
        """A list's count and pages are compiled once per process and key (ProjectFilter.
        statement_key): the query but its page, and the user's scope. Another query, another
        user's scope and the rows written since each show at once."""
        mine = make_project(officer, title="Lớp đào tạo nghề mây tre")
        theirs = make_project(staff, title="Lớp đào tạo nghề dệt", locality=commune_b1)
        make_project(staff, title="Máy sấy chè")
        url = reverse("projects:list")

        def shown(user, query):
            response = login(user).get(url, query)
            return response.context["page"].paginator.count, [
                row["code"] for row in response.context["rows"]
            ]

        searched = {"q": "dao tao nghe", "sort": "code"}
        assert shown(staff, searched) == (2, sorted([mine.code, theirs.code]))
        assert shown(officer, searched) == (1, [mine.code])  # the officer's scope
        assert shown(staff, {**searched, "q": "may say"})[0] == 1  # another query
        newer = make_project(officer, title="Đào tạo nghề đan lát")
        assert shown(officer, searched) == (2, sorted([mine.code, newer.code]))
        assert shown(staff, searched) == (3, sorted([mine.code, theirs.code, newer.code]))
        assert shown(staff, {**searched, "page": "2"})[1] == sorted(  # pages of 20: the last
            [mine.code, theirs.code, newer.code]
        )

    @pytest.mark.parametrize("sort", ["status", "-status", "approved", "-approved", "locality"])
    def test_its_pages_sorted_by_a_column_of_ties_show_each_project_once(
        self, login, staff, make_project, settings, sort
    ):
        settings.PAGE_SIZE = 3
        made = {make_project(staff, title=f"Đề án {i}").code for i in range(8)}
        client = login(staff)
        shown = []
        for page in (1, 2, 3):
            response = client.get(reverse("projects:list"), {"sort": sort, "page": page})
            shown += [row["code"] for row in response.context["rows"]]
        assert sorted(shown) == sorted(made)

    def test_it_finds_giang_hien_typed_without_diacritics(
        self, login, staff, make_project, facility_a
    ):
        project = make_project(staff, title="Máy cán tôn", facility=facility_a)
        make_project(staff, title="Lớp đào tạo nghề")
        response = login(staff).get(reverse("projects:list"), {"q": "giang hien"})
        assert list(response.context["page"].object_list) == [project]

    def test_it_filters_by_a_locality_subtree(
        self, login, staff, make_project, district_a, commune_b1
    ):
        in_a = make_project(staff)
        make_project(staff, locality=commune_b1)
        response = login(staff).get(reverse("projects:list"), {"locality": district_a.pk})
        assert list(response.context["page"].object_list) == [in_a]

    def test_it_finds_projects_by_the_facility_name_typed_without_diacritics(
        self, login, staff, make_project, facility_a
    ):
        wanted = make_project(staff, title="Máy cán tôn", facility=facility_a)
        other = make_project(staff, title="Lớp đào tạo nghề")
        response = login(staff).get(reverse("projects:list"), {"facility_q": "giang hien"})
        codes = response.content.decode()
        assert wanted.code in codes
        assert other.code not in codes

    def test_it_filters_by_status_year_source_activity_facility_and_officer(
        self,
        login,
        staff,
        officer,
        make_project,
        facility_a,
        training,
        national_source,
        machinery,
    ):
        target = make_project(
            staff,
            facility=facility_a,
            funding_source=national_source,
            responsible_officer=staff,
            year=2025,
            start_date=datetime.date(2025, 3, 1),
            end_date=datetime.date(2025, 9, 1),
        )
        workflow.submit(project=target, by=staff)
        make_project(staff, activity_type=training)
        make_project(staff, activity_type=ActivityType.objects.get(code="SPTB"))
        client = login(staff)
        filters = {
            "status": "submitted",
            "year": "2025",
            "funding_source": national_source.pk,
            "activity_type": machinery.pk,
            "facility": facility_a.pk,
            "responsible_officer": staff.pk,
        }
        for name, value in filters.items():
            response = client.get(reverse("projects:list"), {name: value})
            assert list(response.context["page"].object_list) == [target], name

    def test_it_sorts_by_a_column_both_ways(self, login, staff, make_project):
        small = make_project(staff, requested_support=100 * M, counterpart_funds=500 * M)
        large = make_project(staff, requested_support=300 * M, counterpart_funds=300 * M)
        client = login(staff)
        up = client.get(reverse("projects:list"), {"sort": "requested"})
        down = client.get(reverse("projects:list"), {"sort": "-requested"})
        assert list(up.context["page"].object_list) == [small, large]
        assert list(down.context["page"].object_list) == [large, small]

    def test_it_pages_the_list(self, login, staff, make_project, settings):
        settings.PAGE_SIZE = 2
        for _ in range(5):
            make_project(staff)
        response = login(staff).get(reverse("projects:list"), {"page": 3})
        assert len(response.context["page"].object_list) == 1
        assert response.context["page"].paginator.num_pages == 3

    def test_an_unknown_locality_in_the_filter_is_ignored_not_an_error(
        self, login, officer, make_project, district_b
    ):
        make_project(officer)
        response = login(officer).get(reverse("projects:list"), {"locality": district_b.pk})
        assert response.status_code == 200
        assert response.context["filter"].errors

    def test_the_query_count_does_not_grow_with_the_rows(
        self,
        login,
        staff,
        manager,
        make_project,
        facility_a,
        national_source,
        django_assert_num_queries,
    ):
        client = login(staff)
        make_project(staff, facility=facility_a, responsible_officer=staff)

        def count():
            with CaptureQueriesContext(connection) as queries:
                assert client.get(reverse("projects:list")).status_code == 200
            return len(queries)

        one_row = count()
        for _ in range(22):
            make_project(staff, facility=facility_a, responsible_officer=staff)
        # Rows marked over the norm (awaiting and allowed) read stored fields: no extra query.
        for amount in (350 * M, 400 * M):
            project = make_project(
                staff,
                funding_source=national_source,
                total_cost=1000 * M,
                requested_support=amount,
                counterpart_funds=1000 * M - amount,
            )
        workflow.override_norm(project=project, by=manager, amount=400 * M, reason="Vùng cao")
        # session, user, count, page of projects (with the names of their related rows), and
        # the choices of the filter form, sources, activity types, localities and officers, in
        # one query (facilities are typed, not listed: a province has thousands)
        with django_assert_num_queries(5):
            client.get(reverse("projects:list"))
        assert count() == one_row == 5
        page = client.get(reverse("projects:list")).content.decode()
        assert 'data-norm="awaiting"' in page and 'data-norm="allowed"' in page

    def test_its_count_is_added_up_from_the_running_totals_as_the_projects_change(
        self,
        login,
        staff,
        officer,
        make_project,
        district_a,
        commune_b1,
        training,
        national_source,
    ):
        """The province-wide count over the filters the running totals are kept by comes from
        them (ProjectFilter.count_from_totals): it must be the rows' own count as projects are
        filed, change state and are deleted. An officer's list, or one narrowed to a locality,
        counts its rows."""
        first = make_project(staff)
        make_project(staff, activity_type=training, funding_source=national_source)
        make_project(staff, locality=commune_b1)
        filters = [
            {},
            {"status": "submitted"},
            {"year": str(first.year), "status": "draft"},
            {"activity_type": training.pk, "funding_source": national_source.pk},
            {"year": "not a year", "status": "draft"},  # the invalid year filters nothing
            {"sort": "-year", "page": "1"},
        ]

        def check():
            for user, query in [(staff, query) for query in filters] + [
                (officer, {}),
                (officer, {"status": "draft"}),
                (staff, {"locality": district_a.pk}),
            ]:
                response = login(user).get(reverse("projects:list"), query)
                filterset = response.context["filter"]
                from_totals = user == staff and "locality" not in query
                assert (filterset.count_from_totals() is not None) == from_totals, query
                shown = response.context["page"].paginator.count
                assert shown == filterset.qs.count(), (user, query)

        check()
        workflow.submit(project=first, by=staff)
        check()
        first.delete()
        check()
        # Filters the totals are not kept by are counted from the rows.
        response = login(staff).get(reverse("projects:list"), {"q": "x", "status": "draft"})
        assert response.context["filter"].count_from_totals() is None

    def test_it_lists_the_norm_overrides_for_an_inspector(
        self, login, viewer, officer, manager, make_project, national_source
    ):
        def filed(amount):
            return make_project(
                officer,
                funding_source=national_source,
                total_cost=1000 * M,
                requested_support=amount,
                counterpart_funds=1000 * M - amount,
            )

        within, awaiting, allowed, outrun = (filed(a) for a in (300 * M, 400 * M, 400 * M, 350 * M))
        for project in (allowed, outrun):
            workflow.override_norm(project=project, by=manager, amount=350 * M, reason="Vùng cao")
        workflow.override_norm(project=allowed, by=manager, amount=400 * M, reason="Vùng cao")
        outrun = workflow.edit_project(
            project=outrun, by=officer, requested_support=990 * M, counterpart_funds=10 * M
        )
        client = login(viewer)

        def listed(value):
            response = client.get(reverse("projects:list"), {"norm": value})
            return set(response.context["page"].object_list)

        assert listed("co") == {awaiting, allowed, outrun}
        assert listed("khong") == {within}
        assert listed("da-cho-phep") == {allowed}
        assert listed("cho-cho-phep") == {awaiting, outrun}  # 990 outran the 350 allowed


class TestExport:
    def test_it_has_a_column_of_the_norm_override(
        self, login, officer, manager, make_project, national_source
    ):
        def filed(amount, title):
            return make_project(
                officer,
                title=title,
                funding_source=national_source,
                total_cost=1000 * M,
                requested_support=amount,
                counterpart_funds=1000 * M - amount,
            )

        filed(300 * M, "A trong định mức")
        filed(400 * M, "B chờ cho phép")
        allowed = filed(400 * M, "C đã cho phép")
        workflow.override_norm(project=allowed, by=manager, amount=450 * M, reason="Vùng cao")
        response = login(officer).get(reverse("projects:export"), {"sort": "title"})
        sheet = load_workbook(BytesIO(response.getvalue())).active
        column = [c.value for c in sheet[4]].index("Vượt định mức") + 1
        assert [sheet.cell(row=r, column=column).value for r in (5, 6, 7)] == [
            None,
            "Vượt định mức — chờ Lãnh đạo cho phép",
            "Đã cho phép đến 450.000.000 ₫",
        ]
        filtered = login(officer).get(reverse("projects:export"), {"norm": "da-cho-phep"})
        sheet = load_workbook(BytesIO(filtered.getvalue())).active
        assert sheet["B5"].value == allowed.code
        assert sheet["B6"].value == "Tổng cộng"

    def test_it_exports_the_filtered_list_as_xlsx(self, login, staff, make_project, facility_a):
        wanted = make_project(staff, title="Máy cán tôn Giang Hiền", facility=facility_a)
        make_project(staff, title="Lớp đào tạo")
        response = login(staff).get(reverse("projects:export"), {"q": "giang hien"})
        assert response.status_code == 200
        assert response["Content-Type"].startswith(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        assert "attachment" in response["Content-Disposition"]
        sheet = load_workbook(BytesIO(response.getvalue())).active
        assert sheet["A1"].value == "DANH MỤC ĐỀ ÁN KHUYẾN CÔNG"
        headers = [c.value for c in sheet[4]]
        assert headers[:3] == ["STT", "Mã đề án", "Tên đề án"]
        assert "Kinh phí đề nghị hỗ trợ (đồng)" in headers
        assert sheet["B5"].value == wanted.code
        assert sheet["B6"].value == "Tổng cộng"
        money = sheet.cell(row=5, column=headers.index("Tổng kinh phí (đồng)") + 1)
        assert money.value == 600 * M
        assert money.number_format == "#,##0"
        assert sheet.freeze_panes == "C5"

    def test_an_officer_exports_only_their_locality(
        self, login, officer, other_officer, make_project, commune_b1
    ):
        make_project(officer)
        make_project(other_officer, locality=commune_b1)
        response = login(officer).get(reverse("projects:export"))
        sheet = load_workbook(BytesIO(response.getvalue())).active
        codes = [sheet.cell(row=r, column=2).value for r in range(5, sheet.max_row)]
        assert len(codes) == 1


# --- create and edit ------------------------------------------------------------------------


class TestCreate:
    def post(self, client, **overrides):
        return client.post(reverse("projects:create"), form_values(**overrides))

    def test_an_officer_creates_a_draft_with_dotted_amounts(
        self, login, officer, machinery, local_source, facility_a
    ):
        client = login(officer)
        response = self.post(
            client,
            activity_type=machinery.pk,
            funding_source=local_source.pk,
            facility=facility_a.pk,
        )
        project = Project.objects.get()
        assert response.status_code == 302
        assert response["Location"] == detail_url(project)
        assert project.code == "KCĐP-2026-001"
        assert project.status == Status.DRAFT
        assert project.total_cost == 1_075_000_000
        assert project.other_funds == 0
        # Locality left empty: the facility's locality is used.
        assert project.locality == facility_a.locality
        assert project.created_by == officer
        assert project.events.get().action == "create"

    def test_the_funds_must_add_up(self, login, officer, machinery, local_source, commune_a1):
        response = self.post(
            login(officer),
            activity_type=machinery.pk,
            funding_source=local_source.pk,
            locality=commune_a1.pk,
            counterpart_funds="700.000.000",
        )
        assert response.status_code == 200
        error = response.context["form"].errors["total_cost"][0]
        assert "phải bằng kinh phí khuyến công đề nghị hỗ trợ + vốn đối ứng + nguồn khác" in error
        assert "975.000.000 ₫" in error
        assert not Project.objects.exists()

    def test_the_end_cannot_be_before_the_start(
        self, login, officer, machinery, local_source, commune_a1
    ):
        response = self.post(
            login(officer),
            activity_type=machinery.pk,
            funding_source=local_source.pk,
            locality=commune_a1.pk,
            end_date="28/02/2026",
        )
        assert "phải trùng hoặc sau ngày bắt đầu" in response.context["form"].errors["end_date"][0]
        assert not Project.objects.exists()

    def test_a_negative_or_garbled_amount_is_refused_in_vietnamese(
        self, login, officer, machinery, local_source, commune_a1
    ):
        response = self.post(
            login(officer),
            activity_type=machinery.pk,
            funding_source=local_source.pk,
            locality=commune_a1.pk,
            counterpart_funds="-5",
            other_funds="1,5",
        )
        errors = response.context["form"].errors
        assert errors["counterpart_funds"] == ["Số tiền không được âm."]
        assert "số nguyên đồng" in errors["other_funds"][0]

    def test_a_request_above_the_norm_is_saved_as_a_draft_marked_for_the_manager(
        self, login, officer, machinery, national_source, commune_a1
    ):
        response = self.post(
            login(officer),
            activity_type=machinery.pk,
            funding_source=national_source.pk,
            locality=commune_a1.pk,
            total_cost="1.000.000.000",
            requested_support="400.000.000",
            counterpart_funds="600.000.000",
        )
        # Saved as a draft with the real figure, marked for the manager.
        assert response.status_code == 302
        project = Project.objects.get()
        assert project.requested_support == 400 * M
        assert project.status == Status.DRAFT
        warning = str(list(response.wsgi_request._messages)[-1])
        assert "vượt định mức" in warning and "300.000.000 ₫" in warning
        page = login(officer).get(detail_url(project)).content.decode()
        assert "Vượt định mức — chờ Lãnh đạo cho phép" in page
        assert "Thông tư 28/2018/TT-BTC" in page

    def test_a_facility_of_another_district_is_not_a_valid_choice(
        self, login, officer, machinery, local_source, facility_b, commune_a1
    ):
        response = self.post(
            login(officer),
            activity_type=machinery.pk,
            funding_source=local_source.pk,
            facility=facility_b.pk,
            locality=commune_a1.pk,
        )
        assert "facility" in response.context["form"].errors
        assert not Project.objects.exists()

    def test_a_locality_of_another_district_is_not_a_valid_choice(
        self, login, officer, machinery, local_source, commune_b1
    ):
        response = self.post(
            login(officer),
            activity_type=machinery.pk,
            funding_source=local_source.pk,
            locality=commune_b1.pk,
        )
        assert "locality" in response.context["form"].errors
        assert not Project.objects.exists()

    def test_the_form_offers_only_the_officers_facilities_and_localities(
        self, login, officer, facility_a, facility_b
    ):
        form = login(officer).get(reverse("projects:create")).context["form"]
        assert list(form.fields["facility"].queryset) == [facility_a]
        assert {loc.code for loc in form.fields["locality"].queryset} == {"A", "A1"}

    def test_managers_and_viewers_cannot_create(self, login, manager, viewer, client):
        for user in (manager, viewer):
            client.force_login(user)
            assert client.get(reverse("projects:create")).status_code == 403
            assert client.post(reverse("projects:create"), form_values()).status_code == 403
        assert not Project.objects.exists()


class TestEdit:
    def test_an_officer_edits_a_draft_and_the_history_shows_the_change(
        self, login, officer, make_project
    ):
        project = make_project(officer)
        client = login(officer)
        data = form_values(
            activity_type=project.activity_type_id,
            funding_source=project.funding_source_id,
            locality=project.locality_id,
            total_cost="600.000.000",
            requested_support="200.000.000",
            counterpart_funds="400.000.000",
        )
        response = client.post(reverse("projects:edit", args=[project.pk]), data)
        assert response.status_code == 302
        project.refresh_from_db()
        assert project.requested_support == 200 * M
        page = client.get(detail_url(project)).content.decode()
        assert "Sửa đề án" in page
        assert "Kinh phí khuyến công đề nghị hỗ trợ: <del>250.000.000 ₫</del>" in page

    def test_a_submitted_project_cannot_be_edited(self, login, officer, at_state):
        project = at_state("submitted")
        client = login(officer)
        response = client.post(
            reverse("projects:edit", args=[project.pk]), form_values(), follow=True
        )
        assert "Không sửa được đề án ở trạng thái “Chờ thẩm định”" in messages_of(response)[0]
        project.refresh_from_db()
        assert project.title == "Hỗ trợ ứng dụng máy cán tôn"

    def test_a_returned_project_can_be_edited(self, login, officer, at_state):
        project = at_state("returned")
        response = login(officer).get(reverse("projects:edit", args=[project.pk]))
        assert response.status_code == 200

    def test_a_higher_request_is_saved_and_marked_until_an_override_covers_it(
        self, login, officer, manager, make_project, national_source
    ):
        project = make_project(
            officer, funding_source=national_source, total_cost=1000 * M, counterpart_funds=750 * M
        )
        data = form_values(
            activity_type=project.activity_type_id,
            funding_source=national_source.pk,
            locality=project.locality_id,
            total_cost="1.000.000.000",
            requested_support="400.000.000",
            counterpart_funds="600.000.000",
        )
        client = login(officer)
        response = client.post(reverse("projects:edit", args=[project.pk]), data, follow=True)
        project.refresh_from_db()
        assert project.requested_support == 400 * M
        assert "chờ Lãnh đạo cho phép" in messages_of(response)[-1]
        workflow.override_norm(project=project, by=manager, amount=400 * M, reason="Vùng cao")
        response = client.post(reverse("projects:edit", args=[project.pk]), data, follow=True)
        assert [m for m in messages_of(response) if "vượt định mức" in m] == []
        assert "Đã cho phép vượt định mức đến 400.000.000 ₫" in response.content.decode()


# --- detail and actions ---------------------------------------------------------------------

# What each persona may do in each state (the screens must offer exactly this).
EXPECTED = {
    "draft": {"officer": {"submit"}, "staff": {"submit", "cancel"}, "manager": {"cancel"}},
    "submitted": {
        "officer": set(),
        "staff": {"return", "appraise", "cancel"},
        "manager": {"cancel"},
    },
    "returned": {"officer": {"submit"}, "staff": {"submit", "cancel"}, "manager": {"cancel"}},
    "appraised": {
        "officer": set(),
        "staff": {"cancel"},
        "manager": {"approve", "reject", "cancel"},
    },
    # Signing the contract (close-out) is centre staff's; see test_views_closeout.py.
    # A manager may grant a rule exception (order of steps) once the project is approved.
    "approved": {
        "officer": set(),
        "staff": {"start", "cancel"},
        "manager": {"cancel", "grant_exception"},
    },
    "rejected": {"officer": set(), "staff": set(), "manager": set()},
    "cancelled": {"officer": set(), "staff": set(), "manager": set()},
}
ACTIONS = ["submit", "return", "appraise", "approve", "reject", "cancel", "override_norm"]
# These projects are within the norm, so nobody, not even a manager, may override it.
REFUSED = [
    (state, who, name)
    for state in STATES
    for who in ("officer", "staff", "manager")
    for name in ACTIONS
    if name not in EXPECTED[state][who]
]


def action_data(name, allocation):
    return {
        "submit": {"comment": ""},
        "return": {"reason": "Bổ sung dự toán"},
        "appraise": {
            "recommended_amount": "200.000.000",
            "opinion": "Khả thi",
            "no_conflict": "on",
        },
        "approve": {
            "decision_number": "12/QĐ-SCT",
            "decision_date": "20/02/2026",
            "approved_amount": "200.000.000",
            "allocation": allocation.pk,
        },
        "reject": {"reason": "Không hiệu quả"},
        "cancel": {"reason": "Cơ sở rút đề án"},
        "override_norm": {"amount": "300.000.000", "reason": "Thiết bị đặc thù"},
    }[name]


class TestDetail:
    @pytest.mark.parametrize("state", STATES)
    @pytest.mark.parametrize("who", ["officer", "staff", "manager", "viewer"])
    def test_it_offers_exactly_the_actions_of_the_role_and_state(
        self, request, login, at_state, state, who
    ):
        project = at_state(state)
        user = request.getfixturevalue(who)
        response = login(user).get(detail_url(project))
        assert response.status_code == 200
        assert action_buttons(response) == EXPECTED[state].get(who, set())
        may_edit = state in {"draft", "returned"} and who in {"officer", "staff"}
        assert (
            reverse("projects:edit", args=[project.pk]) in response.content.decode()
        ) is may_edit

    def test_it_shows_figures_timeline_and_documents(self, login, staff, at_state):
        project = at_state("approved")
        page = login(staff).get(detail_url(project)).content.decode()
        assert "600.000.000 ₫" in page  # total cost
        assert "Đã phê duyệt" in page
        for label in ("Lập đề án", "Nộp đề án", "Thẩm định", "Phê duyệt"):
            assert label in page
        assert "45/QĐ-TTKC" in page
        assert "Hồ sơ, tài liệu" in page and "Ý kiến trao đổi" in page

    def test_a_manager_is_offered_the_norm_override_only_above_the_norm(
        self, login, manager, officer, make_project, national_source
    ):
        within = make_project(officer, funding_source=national_source)  # 250 of 600 million
        response = login(manager).get(detail_url(within))
        assert action_buttons(response) == {"cancel"}
        page = response.content.decode()
        assert "Thông tư 28/2018/TT-BTC" in page
        assert "300.000.000 ₫" in page  # 50% of 600 million
        above = make_project(
            officer,
            funding_source=national_source,
            total_cost=600 * M,
            requested_support=350 * M,
            counterpart_funds=250 * M,
        )
        response = login(manager).get(detail_url(above))
        assert action_buttons(response) == {"cancel", "override_norm"}
        # The override form offers the request as shown.
        assert response.context["override_form"]["amount"].initial == 350 * M

    @pytest.mark.parametrize(
        ("state", "steps"),
        [
            ("returned", ["done", "done", "returned", "todo"]),
            ("approved", ["done", "done", "done", "current"]),
            ("rejected", ["done", "done", "done", "rejected"]),
            ("cancelled", ["done", "cancelled"]),
        ],
    )
    def test_the_steps_show_where_the_project_stands(self, login, staff, at_state, state, steps):
        response = login(staff).get(detail_url(at_state(state)))
        kinds = [kind for _label, kind in response.context["steps"]]
        assert kinds[: len(steps)] == steps
        # The steps' markup, kept per process for each sequence of steps, is this project's.
        page = response.content.decode()
        markup = page[
            page.index('id="status-steps"') : page.index("</ol>", page.index('id="status-steps"'))
        ]
        classes = {
            "done": "text-bg-light border border-success text-success",
            "current": "text-bg-primary",
            "returned": "text-bg-warning",
            "rejected": "text-bg-danger",
            "cancelled": "text-bg-dark",
            "todo": "text-bg-light border text-body-tertiary fw-normal",
        }
        shown = re.findall(r'badge rounded-pill ([^"]+)"', markup)
        assert shown == [classes[kind] for kind in kinds]
        current = re.search(r'aria-current="step">([^<]+)<', markup).group(1)
        assert current == str(response.context["project"].get_status_display())

    def test_it_reads_a_list_only_when_the_project_has_rows_in_it(
        self, login, staff, officer, manager, make_project
    ):
        project = make_project(officer)
        client = login(staff)

        def read():
            with CaptureQueriesContext(connection) as queries:
                page = client.get(detail_url(project)).content.decode()
            return len(queries), page

        without, page = read()
        assert "Chưa có ý kiến nào." in page
        Comment.objects.create(project=project, author=manager, text="Ý kiến thứ nhất")
        with_one, page = read()
        # The comments are read now; their authors with the page's other users (one query).
        assert with_one == without + 1
        assert "Ý kiến thứ nhất" in page and manager.display_name in page
        Comment.objects.create(project=project, author=staff, text="Ý kiến thứ hai")
        count, page = read()
        assert count == with_one
        assert "Ý kiến thứ hai" in page and staff.display_name in page

    def test_a_viewer_sees_no_upload_or_comment_form(self, login, viewer, at_state):
        page = login(viewer).get(detail_url(at_state("draft"))).content.decode()
        assert 'id="upload-form"' not in page
        assert 'id="comment-form"' not in page


class TestActions:
    @pytest.mark.parametrize(("state", "who", "name"), REFUSED)
    def test_a_refused_action_shows_why_and_changes_nothing(
        self, request, login, at_state, allocation, state, who, name
    ):
        project = at_state(state)
        events = ProjectEvent.objects.filter(project=project).count()
        user = request.getfixturevalue(who)
        response = login(user).post(
            action_url(project, name), action_data(name, allocation), follow=True
        )
        assert response.status_code == 200
        assert response.redirect_chain[-1][0] == detail_url(project)
        message = messages_of(response)[0]
        assert message.startswith(("Bạn không có quyền", "Không thể", "Chỉ Lãnh đạo", "Đề án đang"))
        project.refresh_from_db()
        assert project.status == state
        assert ProjectEvent.objects.filter(project=project).count() == events

    def test_submit_appraise_approve_through_the_screens(
        self, login, officer, staff, manager, make_project, allocation, client
    ):
        project = make_project(officer)
        client.force_login(officer)
        # Filed in January, before the decision of 20/02 (a decision may not predate the filing).
        with time_machine.travel(datetime.datetime(2026, 1, 20, 9, tzinfo=datetime.UTC)):
            response = client.post(
                action_url(project, "submit"), {"comment": "Kính gửi"}, follow=True
            )
        assert "đã chuyển sang “Chờ thẩm định”" in messages_of(response)[0]
        client.force_login(staff)
        client.post(action_url(project, "appraise"), action_data("appraise", allocation))
        client.force_login(manager)
        response = client.post(
            action_url(project, "approve"), action_data("approve", allocation), follow=True
        )
        assert "đã chuyển sang “Đã phê duyệt”" in messages_of(response)[-1]
        project.refresh_from_db()
        assert project.status == Status.APPROVED
        assert project.recommended_amount == 200 * M
        assert project.approved_amount == 200 * M
        assert project.decision_date == datetime.date(2026, 2, 20)
        assert project.allocation == allocation

    @pytest.mark.parametrize(
        ("state", "who", "name", "target"),
        [
            ("submitted", "staff", "return", "returned"),
            ("appraised", "manager", "reject", "rejected"),
            ("approved", "manager", "cancel", "cancelled"),
            ("returned", "officer", "submit", "submitted"),
        ],
    )
    def test_other_transitions_through_the_screens(
        self, request, login, at_state, allocation, state, who, name, target
    ):
        project = at_state(state)
        login(request.getfixturevalue(who)).post(
            action_url(project, name), action_data(name, allocation)
        )
        project.refresh_from_db()
        assert project.status == target

    def test_a_reason_is_required_and_nothing_changes_without_it(self, login, staff, at_state):
        project = at_state("submitted")
        response = login(staff).post(action_url(project, "return"), {"reason": "  "})
        assert response.status_code == 200
        assert "reason" in response.context["form"].errors
        project.refresh_from_db()
        assert project.status == Status.SUBMITTED

    def test_appraisal_needs_the_no_conflict_declaration(self, login, staff, at_state, allocation):
        project = at_state("submitted")
        data = action_data("appraise", allocation) | {"no_conflict": ""}
        response = login(staff).post(action_url(project, "appraise"), data)
        assert "không có xung đột lợi ích" in response.context["form"].errors["no_conflict"][0]
        project.refresh_from_db()
        assert project.status == Status.SUBMITTED

    def test_an_approval_beyond_what_is_left_is_refused_on_the_form(
        self, login, manager, at_state, allocation
    ):
        allocation.amount = 100 * M
        allocation.save()
        project = at_state("appraised")
        response = login(manager).post(
            action_url(project, "approve"), action_data("approve", allocation)
        )
        assert response.status_code == 200
        assert "Không đủ kinh phí" in response.context["form"].non_field_errors()[0]
        project.refresh_from_db()
        assert project.status == Status.APPRAISED

    def test_the_approval_form_offers_the_allocations_of_source_and_year_with_what_is_left(
        self, login, manager, at_state, allocation, national_source
    ):
        from projects.models import Allocation

        Allocation.objects.create(
            year=2026,
            funding_source=national_source,
            decision_number="9/QĐ",
            decision_date=datetime.date(2026, 1, 5),
            amount=5 * M,
        )
        project = at_state("appraised")
        response = login(manager).get(action_url(project, "approve"))
        field = response.context["form"].fields["allocation"]
        assert list(field.queryset) == [allocation]
        assert "còn lại 1.000.000.000 ₫" in response.content.decode()

    def test_submit_is_refused_until_the_manager_overrides_the_norm(
        self, login, manager, officer, make_project, national_source
    ):
        project = make_project(
            officer,
            funding_source=national_source,
            total_cost=600 * M,
            requested_support=350 * M,
            counterpart_funds=250 * M,
        )
        response = login(officer).post(action_url(project, "submit"), {"comment": ""})
        assert "Lãnh đạo chưa cho phép vượt định mức" in str(response.context["form"].errors)
        project.refresh_from_db()
        assert project.status == Status.DRAFT
        response = login(manager).post(
            action_url(project, "override_norm"),
            {"amount": "350.000.000", "reason": "Thiết bị đặc thù"},
            follow=True,
        )
        assert "được phép đến 350.000.000 ₫" in messages_of(response)[0]
        project.refresh_from_db()
        assert project.norm_override_reason == "Thiết bị đặc thù"
        assert project.norm_override_amount == 350 * M
        page = response.content.decode()
        assert "Đã cho phép vượt định mức đến 350.000.000 ₫" in page
        assert "Thiết bị đặc thù" in page
        response = login(officer).post(action_url(project, "submit"), {"comment": ""}, follow=True)
        assert "Chờ thẩm định" in messages_of(response)[0]

    def test_an_override_without_an_amount_is_a_form_error(
        self, login, manager, officer, make_project, national_source
    ):
        project = make_project(
            officer,
            funding_source=national_source,
            total_cost=600 * M,
            requested_support=350 * M,
            counterpart_funds=250 * M,
        )
        response = login(manager).post(
            action_url(project, "override_norm"), {"amount": "", "reason": "Thiết bị đặc thù"}
        )
        assert "amount" in response.context["form"].errors
        project.refresh_from_db()
        assert project.norm_override_amount is None

    def test_an_unknown_action_is_a_404(self, login, staff, at_state):
        project = at_state("draft")
        response = login(staff).post(f"/de-an/{project.pk}/xoa-het/")
        assert response.status_code == 404


class TestScopeAndViewer:
    def urls(self, project):
        return {
            "detail": ("get", detail_url(project)),
            "edit": ("get", reverse("projects:edit", args=[project.pk])),
            "action": ("post", action_url(project, "submit")),
            "action page": ("get", action_url(project, "submit")),
            "comment": ("post", reverse("projects:comment_add", args=[project.pk])),
            "upload": ("post", reverse("projects:document_upload", args=[project.pk])),
        }

    def test_another_localitys_officer_gets_404_everywhere(self, login, other_officer, at_state):
        project = at_state("draft")
        client = login(other_officer)
        for name, (method, url) in self.urls(project).items():
            response = getattr(client, method)(url, {"reason": "x", "text": "x"})
            assert response.status_code == 404, name
        assert project.comments.count() == 0

    def test_a_viewer_reads_but_every_write_is_403(self, login, viewer, at_state):
        project = at_state("draft")
        client = login(viewer)
        assert client.get(detail_url(project)).status_code == 200
        for name, (method, url) in self.urls(project).items():
            if name == "detail":
                continue
            response = getattr(client, method)(url, {"reason": "x", "text": "x"})
            assert response.status_code == 403, name
        project.refresh_from_db()
        assert project.status == Status.DRAFT
        assert project.comments.count() == 0

    def test_anonymous_users_are_sent_to_the_login_page(self, client, at_state):
        project = at_state("draft")
        response = client.get(detail_url(project))
        assert response.status_code == 302
        assert response["Location"].startswith("/dang-nhap/")


class TestComments:
    def test_people_who_see_the_project_comment_in_order(
        self, login, officer, staff, at_state, client
    ):
        project = at_state("submitted")
        for user, text in ((officer, "Đã gửi bổ sung"), (staff, "Đã nhận")):
            client.force_login(user)
            client.post(reverse("projects:comment_add", args=[project.pk]), {"text": text})
        assert list(project.comments.values_list("text", "author")) == [
            ("Đã gửi bổ sung", officer.pk),
            ("Đã nhận", staff.pk),
        ]
        page = client.get(detail_url(project)).content.decode()
        assert page.index("Đã gửi bổ sung") < page.index("Đã nhận")

    def test_an_empty_comment_is_refused(self, login, officer, at_state):
        project = at_state("draft")
        response = login(officer).post(
            reverse("projects:comment_add", args=[project.pk]), {"text": ""}, follow=True
        )
        assert messages_of(response) == ["Hãy nhập nội dung ý kiến."]
        assert project.comments.count() == 0


class TestNormHint:
    def test_it_names_the_limit_and_legal_basis(self, login, officer, machinery, national_source):
        response = login(officer).get(
            reverse("projects:norm_hint"),
            {
                "activity_type": machinery.pk,
                "funding_source": national_source.pk,
                "total_cost": "400.000.000",
                "requested_support": "250.000.000",
            },
        )
        page = response.content.decode()
        assert "200.000.000 ₫" in page  # 50% of 400 million
        assert "Thông tư 28/2018/TT-BTC" in page
        assert "vượt định mức" in page

    def test_it_says_when_no_norm_applies(self, login, officer, machinery, local_source):
        response = login(officer).get(
            reverse("projects:norm_hint"),
            {"activity_type": machinery.pk, "funding_source": local_source.pk},
        )
        assert "Chưa có định mức hỗ trợ" in response.content.decode()


def test_a_second_district_officer_in_the_same_district_sees_the_project(
    client, district_a, at_state
):
    colleague = make_user("canbo_a2", "district_officer", district_a)
    project = at_state("draft")
    client.force_login(colleague)
    assert client.get(detail_url(project)).status_code == 200
