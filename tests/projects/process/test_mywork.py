"""Việc của tôi through the whole life of a project (projects/process/mywork.py): at each state,
exactly who finds the project in their work list, and the dashboard card agrees."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from khuyencong.models import Notification, Reminder
from projects.applications import workflow
from projects.closeout import steps
from projects.models import FollowUpAction, Status
from projects.process.mywork import waiting_for
from tests.conftest import make_user
from tests.projects.conftest import CLOSEOUT_YEAR, DECIDED
from tests.projects.screens import at_state  # noqa: F401  (a fixture, requested by name)

pytestmark = pytest.mark.django_db

CONTRACT = DECIDED + datetime.timedelta(days=10)


def holders(users, today=None) -> dict[str, set[str]]:
    """username → the keys of the groups in which the user finds any project."""
    found = {}
    for user in users:
        # The page's statements, compiled once per shape with stand-ins for the person, the day
        # and the localities, find the same work as the querysets run by the ORM, today and
        # on a later day.
        later = (today or timezone.localdate()) + datetime.timedelta(days=400)
        for day in (today, later):
            paged = waiting_for(user, day, limit=100)
            assert [(g.key, g.count, g.items) for g in paged] == [
                (g.key, g.count, g.items) for g in waiting_for(user, day)
            ]
        keys = {group.key for group in waiting_for(user, today) if group.items}
        if keys:
            found[user.username] = keys
    return found


def told(kind) -> set[str]:
    return set(Reminder.objects.filter(kind=kind).values_list("recipient__username", flat=True))


@pytest.fixture
def people(officer, other_officer, staff, manager, viewer, district_a):
    colleague = make_user("canbo_a2", "district_officer", district_a)
    return {
        "officer": officer,
        "colleague": colleague,
        "other": other_officer,
        "staff": staff,
        "manager": manager,
        "viewer": viewer,
    }


def test_it_follows_one_project_through_every_state(
    people, make_project, walk, closeout_allocation, django_capture_on_commit_callbacks
):
    officer, colleague, staff, manager = (
        people["officer"],
        people["colleague"],
        people["staff"],
        people["manager"],
    )
    everyone = list(people.values())
    a, c, s, m = officer.username, colleague.username, staff.username, manager.username

    project = make_project(
        officer,
        year=CLOSEOUT_YEAR,
        start_date=datetime.date(CLOSEOUT_YEAR, 3, 1),
        end_date=datetime.date(CLOSEOUT_YEAR, 10, 31),
    )
    assert holders(everyone) == {a: {"to_submit"}, c: {"to_submit"}}

    filed = datetime.date(CLOSEOUT_YEAR, 1, 20)
    project = workflow.submit(project=project, by=officer, today=filed)
    assert holders(everyone) == {s: {"to_appraise"}}
    assert told("step_submitted") == {s}

    project = workflow.return_for_revision(project=project, by=staff, reason="Thiếu dự toán")
    assert holders(everyone) == {a: {"to_submit"}, c: {"to_submit"}}
    assert told("step_returned") == {a}

    project = workflow.submit(project=project, by=officer, today=filed)
    project = workflow.appraise(
        project=project,
        by=staff,
        recommended_amount=200_000_000,
        opinion="Khả thi",
        no_conflict=True,
    )
    assert holders(everyone) == {m: {"to_approve"}}
    assert told("step_appraised") == {m}

    project = workflow.approve(
        project=project,
        by=manager,
        decision_number="15/QĐ-SCT",
        decision_date=DECIDED,
        approved_amount=200_000_000,
        allocation=closeout_allocation,
    )
    assert holders(everyone) == {s: {"to_sign"}}
    assert told("step_decided") == {a}

    project = steps.start(
        project=project, by=staff, contract_number="01/HĐ", contract_date=CONTRACT
    )
    # Under way and past its end date: reports are owed, a visit is due, acceptance may be asked.
    assert holders(everyone) == {
        a: {"to_report", "to_request_acceptance"},
        c: {"to_report", "to_request_acceptance"},
        s: {"to_visit"},
    }
    assert told("step_started") == {a}

    steps.record_visit(
        project=project,
        by=staff,
        date=CONTRACT + datetime.timedelta(days=20),
        place="Xưởng sản xuất",
        progress_percent=85,  # enough to ask for the acceptance review
        officers=[staff],
        actions=[
            ("Bổ sung sổ theo dõi học viên", colleague, CONTRACT + datetime.timedelta(days=40))
        ],
    )
    assert "follow_ups" in holders([colleague])[c]
    assert told("step_follow_up") == {c}
    FollowUpAction.objects.update(done_at=timezone.now())

    project = steps.request_acceptance(project=project, by=officer)
    assert holders(everyone) == {s: {"to_schedule_review"}}
    assert told("step_acceptance_requested") == {s}

    today = datetime.date.today()
    review = steps.schedule_review(
        project=project,
        by=staff,
        scheduled_date=today,
        place="Trụ sở Trung tâm",
        members=[
            {"user": staff, "council_role": "Chủ tịch"},
            {"user": colleague, "council_role": "Ủy viên"},
        ],
    )
    assert holders(everyone) == {
        s: {"council", "to_record_outcome"},
        c: {"council"},
        m: {"to_record_outcome"},
    }
    assert told("step_review_scheduled") == {c}  # the one who scheduled it knows already
    # The day before the review its outcome is not yet to be recorded.
    yesterday = today - datetime.timedelta(days=1)
    assert holders(everyone, yesterday) == {s: {"council"}, c: {"council"}}

    steps.record_review_outcome(review=review, by=manager, outcome="accepted", findings="Đạt")
    project.refresh_from_db()
    assert project.status == Status.ACCEPTED
    assert holders(everyone) == {s: {"to_settle"}, m: {"to_settle"}}
    [settle] = [g for g in waiting_for(staff) if g.key == "to_settle"]
    # Due by the deadline of the law: 22 January of the year after acceptance.
    assert settle.items[0].due == datetime.date(today.year + 1, 1, 22)
    assert told("step_review_outcome") == {a}

    steps.settle(
        project=project,
        by=staff,
        settled_amount=200_000_000,
        decision_number="99/QĐ-SCT",
        settled_on=today,
    )
    assert holders(everyone) == {}
    assert told("step_settled") == {a, m}
    # Nobody was told about their own step, and nobody outside the project's scope at all.
    assert not Reminder.objects.filter(recipient=people["other"]).exists()
    assert not Reminder.objects.filter(recipient=people["viewer"]).exists()


def test_the_outbox_row_is_written_with_the_step_and_delivery_asked_after_commit(
    officer, staff, make_project, django_capture_on_commit_callbacks
):
    project = make_project(officer)
    with django_capture_on_commit_callbacks() as callbacks:
        workflow.submit(project=project, by=officer)
        # Written in the step's transaction, not yet delivered.
        assert Reminder.objects.filter(kind="step_submitted", recipient=staff).count() == 1
        assert not Notification.objects.exists()
    assert len(callbacks) == 1


def test_a_notification_links_to_the_section_of_the_project_page(
    officer, staff, make_approved_project
):
    project = make_approved_project()
    steps.start(project=project, by=staff, contract_number="01/HĐ", contract_date=CONTRACT)
    row = Reminder.objects.get(kind="step_started")
    assert row.url == f"{project.get_absolute_url()}#kiem-tra"
    assert row.recipient == officer


def test_the_page_costs_the_same_whatever_the_number_of_projects(
    login, officer, staff, make_project, make_approved_project
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(user) -> int:
        client = login(user)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("projects:my_work")).status_code == 200
        return len(captured)

    def follow_up(project):
        FollowUpAction.objects.create(
            project=project, description="Bổ sung hồ sơ", owner=staff, due_date=CONTRACT
        )

    make_project(officer)
    project = make_approved_project()
    steps.start(project=project, by=staff, contract_number="1", contract_date=CONTRACT)
    follow_up(project)
    few = {user.username: queries(user) for user in (officer, staff)}
    for n in range(10):
        make_project(officer, title=f"Đề án {n}")
        project = make_approved_project(title=f"Đề án đã duyệt {n}", approved_amount=50_000_000)
        steps.start(project=project, by=staff, contract_number=f"{n + 2}", contract_date=CONTRACT)
        follow_up(project)
    many = {user.username: queries(user) for user in (officer, staff)}
    assert many == few


def test_an_officer_does_not_see_another_districts_drafts(login, other_officer, at_state):  # noqa: F811
    at_state("draft")
    response = login(other_officer).get(reverse("projects:my_work"))
    assert response.context["total"] == 0
    assert "Không có việc nào đang chờ bạn." in response.content.decode()


def test_overdue_items_are_marked(login, officer, staff, make_approved_project):
    project = make_approved_project()
    steps.start(project=project, by=staff, contract_number="01/HĐ", contract_date=CONTRACT)
    response = login(staff).get(reverse("projects:my_work"))
    html = response.content.decode()
    assert 'id="nhom-to_visit"' in html and "Quá hạn" in html


def test_the_dashboard_card_agrees_with_the_list(login, officer, make_project):
    make_project(officer)
    dashboard = login(officer).get(reverse("home"))
    listed = login(officer).get(reverse("projects:my_work"))
    assert dashboard.context["work_total"] == listed.context["total"] == 1


def test_the_overdue_card_lists_only_projects_in_implementation(
    login, staff, officer, make_project, make_approved_project
):
    late_draft = make_project(
        officer, end_date=datetime.date(2025, 6, 30), start_date=datetime.date(2025, 3, 1)
    )
    approved = make_approved_project()
    response = login(staff).get(reverse("home"))
    overdue = set(response.context["overdue"])
    assert approved in overdue and late_draft not in overdue


def test_a_long_group_lists_the_soonest_due_and_counts_the_rest(
    login, officer, make_project, settings
):
    from projects.process import views

    settings.PAGE_SIZE = 25
    for n in range(5):
        make_project(officer, title=f"Đề án {n}")
    views.PAGE_ITEMS, before = 3, views.PAGE_ITEMS
    try:
        response = login(officer).get(reverse("projects:my_work"))
    finally:
        views.PAGE_ITEMS = before
    [group] = [g for g in response.context["groups"] if g.key == "to_submit"]
    assert (group.count, len(group.items), group.more) == (5, 3, 2)
    assert response.context["total"] == 5
    assert "Còn 2 việc nữa" in response.content.decode()


def test_late_reports_agree_with_the_schedule_as_reports_are_filed_and_cancelled(
    officer, staff, make_approved_project
):
    from projects.closeout.schedule import missing_periods

    project = steps.start(
        project=make_approved_project(), by=staff, contract_number="1", contract_date=CONTRACT
    )
    later = project.end_date + datetime.timedelta(days=90)

    def late(today=later):
        [group] = [g for g in waiting_for(officer, today) if g.key == "to_report"]
        return group.count, [(i.project, i.due, i.note) for i in group.items]

    def expected(today=later):
        project.refresh_from_db()
        missing = missing_periods(project, today)
        if not missing:
            return 0, []
        return 1, [(project, missing[0].due, f"{len(missing)} kỳ chưa nộp")]

    owed = missing_periods(project, later)
    assert len(owed) >= 2  # the test needs more than one period
    assert late() == expected()
    first = owed[0]
    report = steps.file_progress_report(
        project=project,
        by=officer,
        period_start=first.start,
        period_end=first.end,
        progress_percent=20,
        money_spent=10_000_000,
        today=later,
    )
    assert late() == expected() and late()[1][0][1] == owed[1].due  # the next period is due
    steps.cancel_report(report=report, by=staff, reason="Nộp nhầm kỳ")
    assert late() == expected() and late()[1][0][1] == first.due  # owed again
    # Before the first period ends (plus grace), nothing is late.
    assert late(first.start) == (0, [])


def test_a_long_group_opens_in_full_a_page_at_a_time(
    login, officer, viewer, make_project, settings
):
    from projects.process import views

    settings.PAGE_SIZE = 5
    codes = [make_project(officer, title=f"Đề án {n}").code for n in range(views.PAGE_ITEMS + 3)]
    page = login(officer).get(reverse("projects:my_work"))
    [group] = [g for g in page.context["groups"] if g.key == "to_submit"]
    assert (group.count, len(group.items)) == (len(codes), views.PAGE_ITEMS)
    url = reverse("projects:my_work_group", args=["to_submit"])
    assert f'href="{url}"' in page.content.decode()
    assert f"Xem tất cả {len(codes)} việc" in page.content.decode()

    seen = []
    for number in (1, 2, 3):
        response = login(officer).get(url, {"page": number})
        assert response.status_code == 200
        assert response.context["group"].count == len(codes)
        seen += [item.project.code for item in response.context["group"].items]
    assert sorted(seen) == sorted(codes) and len(seen) == len(set(seen))
    # The same order as the page of all groups: its first items are the first ones here.
    assert seen[:5] == [item.project.code for item in group.items][:5]
    # A page past the end goes to the last one; an unknown group is not found; a viewer, whom
    # nothing waits for, finds the group empty.
    assert login(officer).get(url, {"page": 9}).url == f"{url}?page=3"
    assert login(officer).get(reverse("projects:my_work_group", args=["nope"])).status_code == 404
    empty = login(viewer).get(url)
    assert empty.context["group"].count == 0
    assert "Không có việc nào trong nhóm này." in empty.content.decode()


def test_a_group_page_costs_the_same_whatever_the_number_of_projects(login, officer, make_project):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("projects:my_work_group", args=["to_submit"])

    def queries() -> int:
        client = login(officer)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    make_project(officer)
    few = queries()
    for n in range(30):
        make_project(officer, title=f"Đề án {n}")
    assert queries() == few


def test_a_visit_since_the_cutoff_takes_a_project_off_the_visits_due(staff, make_approved_project):
    """Due for a visit: never visited, or last visited (cancelled visits aside) longer ago than
    REMIND_MONITORING_AFTER_DAYS; due that many days after the last visit."""
    from django.conf import settings

    from projects.models import MonitoringVisit

    project = steps.start(
        project=make_approved_project(), by=staff, contract_number="1", contract_date=CONTRACT
    )
    every = datetime.timedelta(days=settings.REMIND_MONITORING_AFTER_DAYS)
    today = CONTRACT + 3 * every

    def visits_due():
        [group] = [g for g in waiting_for(staff, today) if g.key == "to_visit"]
        return group.count, [(i.project, i.due) for i in group.items]

    assert visits_due() == (1, [(project, CONTRACT + every)])

    def visit(day, cancelled=False):
        return MonitoringVisit.objects.create(
            project=project,
            date=day,
            place="Xưởng",
            progress_percent=50,
            cancelled_at=timezone.now() if cancelled else None,
        )

    visit(today - every - datetime.timedelta(days=1))  # before the cutoff: still due
    assert visits_due() == (1, [(project, today - datetime.timedelta(days=1))])
    visit(today - datetime.timedelta(days=2), cancelled=True)  # a cancelled visit does not count
    assert visits_due() == (1, [(project, today - datetime.timedelta(days=1))])
    visit(today - every)  # on the cutoff day: visited recently enough
    assert visits_due() == (0, [])


def test_a_statement_compiled_for_one_person_runs_with_anothers_values(
    officer, other_officer, make_project, commune_b1
):
    """The statements are compiled once per shape (role, number of localities, page) from
    stand-ins: a person of the same shape runs them with their own id and localities (the day
    is checked against the ORM at every state, in holders())."""
    from khuyencong import access
    from projects.process import statements

    mine = make_project(officer, title="Đề án huyện A")
    theirs = make_project(other_officer, title="Đề án huyện B", locality=commune_b1)
    assert len(access.covered_locality_ids(officer)) == len(
        access.covered_locality_ids(other_officer)
    )
    statements._compiled.clear()

    def projects(user):
        return [item.project for group in waiting_for(user, limit=10) for item in group.items]

    assert projects(officer) == [mine]
    shapes = len(statements._compiled)
    assert projects(other_officer) == [theirs]
    assert len(statements._compiled) == shapes  # the same statements, not compiled again


def test_late_reports_worked_out_by_postgresql_agree_with_the_schedule(
    officer, staff, make_approved_project
):
    """The late reports of a page (compiled: PostgreSQL works out the periods, mywork.
    _late_statement) are the ones schedule.periods gives, for starts on the 29th to 31st and
    in leap years, periods of 1 to 12 months (or the default), end dates cutting a period short,
    reports filed out of order, cancelled, cancelled and filed again, or for no period; and so
    are their order, the number owed and the pages of the group."""
    from projects.closeout.schedule import add_months, missing_periods
    from projects.models import ProgressReport, Project

    projects = [
        steps.start(
            project=make_approved_project(approved_amount=100_000_000),
            by=staff,
            contract_number=str(n),
            contract_date=CONTRACT,
        )
        for n in range(6)
    ]
    starts = [
        datetime.date(2023, 1, 31),
        datetime.date(2023, 1, 29),
        datetime.date(2023, 1, 30),
        datetime.date(2024, 1, 31),
        datetime.date(2024, 2, 29),
        datetime.date(2023, 8, 31),
        datetime.date(2023, 11, 30),
        datetime.date(2023, 3, 15),
        datetime.date(2024, 12, 31),
        datetime.date(2023, 5, 31),
    ]
    every = [None, 1, 2, 3, 4, 6, 12, 0]
    lengths = [0, 27, 59, 91, 200, 400, 800, 1100]
    # Which periods (by number from 0) have a report: filed, cancelled, or cancelled then filed
    # again; -1 is a report for no period's first day.
    patterns = [
        {},
        {0: "filed"},
        {1: "filed"},
        {0: "cancelled"},
        {0: "refiled", 2: "filed"},
        {2: "filed", 0: "filed", 1: "cancelled"},
        {-1: "filed", 3: "filed"},
        {0: "filed", 1: "filed", 2: "filed", 3: "filed", 4: "filed", 5: "filed", 6: "filed"},
    ]
    cancelled_at = timezone.now()
    case = 0

    def report(project, start, end):
        return ProgressReport(
            project=project, period_start=start, period_end=end, progress_percent=10
        )

    def group(today, **kwargs):
        [found] = [g for g in waiting_for(officer, today, **kwargs) if g.key == "to_report"]
        return found.count, [(i.project.pk, i.due, i.note, i.overdue) for i in found.items]

    for start in starts:
        for days in (0, 40, 100, 400, 1000, 2000):
            today = start + datetime.timedelta(days=days)
            expected = []
            for project in projects:
                months = every[case % len(every)]
                end = start + datetime.timedelta(days=lengths[(case // 3) % len(lengths)])
                pattern = patterns[(case // 2) % len(patterns)]
                case += 1
                Project.objects.filter(pk=project.pk).update(
                    start_date=start, end_date=end, report_every_months=months
                )
                ProgressReport.objects.filter(project=project).delete()
                step = months or 3
                rows = []
                for number, state in pattern.items():
                    first = (
                        start + datetime.timedelta(days=1)
                        if number < 0
                        else add_months(start, number * step)
                    )
                    rows.append(report(project, first, first + datetime.timedelta(days=20)))
                    if state in ("cancelled", "refiled"):
                        rows[-1].cancelled_at = cancelled_at
                    if state == "refiled":
                        rows.append(report(project, first, first + datetime.timedelta(days=20)))
                ProgressReport.objects.bulk_create(rows)
                fresh = Project.objects.get(pk=project.pk)
                missing = missing_periods(fresh, today)
                if missing:
                    expected.append(
                        (
                            missing[0].due,
                            project.pk,
                            f"{len(missing)} kỳ chưa nộp",
                            missing[0].due < today,
                        )
                    )
            expected.sort()
            lines = [(pk, due, note, overdue) for due, pk, note, overdue in expected]
            assert group(today, limit=100) == (len(lines), lines), (start, today)
            assert group(today) == (len(lines), lines)  # the ORM and Python
            # A page of the group, from an offset, in the same order.
            assert group(today, limit=2, offset=2, only="to_report") == (len(lines), lines[2:4])
    assert case == len(starts) * 6 * len(projects)


def test_the_projects_to_visit_of_a_page_are_the_ones_the_orm_finds(
    staff, officer, make_project, monkeypatch
):
    """On PostgreSQL a page reads the projects never visited and the ones visited before the
    cutoff apart (two ordered parts, merged): every page of every size finds what the ORM's
    one ordered query finds (never visited first, by contract date, then by last visit)."""
    from django.conf import settings
    from django.db import connection

    from projects.models import MonitoringVisit, Project
    from projects.process import mywork
    from projects.process.statements import Statements

    if connection.vendor != "postgresql":
        pytest.skip("the parts are read apart on PostgreSQL only")
    today = timezone.localdate()
    days = datetime.timedelta
    long_ago = today - days(days=settings.REMIND_MONITORING_AFTER_DAYS + 10)
    # (contract date, visits as (day, cancelled))
    cases = [
        (today - days(400), []),
        (today - days(300), [(long_ago, False)]),
        (None, []),
        (today - days(300), [(today - days(2), True)]),  # only a cancelled visit: never visited
        (today - days(500), [(long_ago - days(50), False), (long_ago - days(100), False)]),
        (today - days(200), [(today - days(3), False)]),  # visited recently: not due
        (today - days(350), [(long_ago, False)]),  # the same last visit as the second
        (today - days(400), []),  # the same contract date as the first
    ]
    for n, (contract, visits) in enumerate(cases):
        project = make_project(officer, title=f"Đề án {n}")
        Project.objects.filter(pk=project.pk).update(
            status=Status.IN_PROGRESS,
            contract_date=contract,
            start_date=today - days(600),
            end_date=today + days(100),
        )
        for day, cancelled in visits:
            MonitoringVisit.objects.create(
                project=project,
                date=day,
                place="Xưởng",
                progress_percent=50,
                cancelled_at=timezone.now() if cancelled else None,
            )

    def page(limit, offset):
        [group] = waiting_for(staff, today, limit=limit, offset=offset, only="to_visit")
        return group.count, [(i.project.pk, i.due) for i in group.items]

    compiled = {(size, at): page(size, at) for size in (1, 2, 3, 10) for at in range(9)}
    monkeypatch.setattr(mywork, "Statements", _Plain)
    assert Statements is not _Plain
    orm = {(size, at): page(size, at) for size in (1, 2, 3, 10) for at in range(9)}
    assert compiled == orm
    assert compiled[10, 0][0] == 7 and len(compiled[10, 0][1]) == 7


class _Plain:
    """Statements as run by the ORM, whether a page is asked for or not."""

    @staticmethod
    def of(user, today, *, paged, shape):
        from projects.process.statements import Statements

        return Statements(user, today)
