"""The daily scan: each kind due / not yet due / already sent / out of scope, with frozen time."""

import threading
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from khuyencong import notifications
from khuyencong.models import Notification, Reminder, Role
from khuyencong.ops import stamps
from projects.models import (
    AcceptanceReview,
    Allocation,
    CouncilMember,
    DeadlineCode,
    FollowUpAction,
    FundingSource,
    LegalDeadline,
    MonitoringVisit,
    ProgressReport,
    Status,
)
from projects.reminders import rules
from tests.conftest import make_user
from tests.projects.reminders.builders import days, make_project

NOW = datetime(2026, 3, 10, 8, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
TODAY = NOW.date()


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def go_to(frozen, day: date):
    frozen.move_to(datetime.combine(day, NOW.timetz()))


def reminded(kind) -> set[tuple[str, int, date]]:
    return set(
        Reminder.objects.filter(kind=kind.code).values_list(
            "recipient__username", "object_id", "day"
        )
    )


def who(kind) -> set[str]:
    return {username for username, _obj, _day in reminded(kind)}


@pytest.fixture
def staff2(province):
    return make_user("trungtam2", Role.CENTRE_STAFF)


@pytest.mark.django_db
class TestWaiting:
    def test_it_reminds_the_responsible_centre_staff_after_ten_days(
        self, commune_a1, staff, staff2
    ):
        project = make_project(commune_a1, changed_days_ago=10, responsible_officer=staff)
        rules.scan()
        assert reminded(rules.AWAITING_APPRAISAL) == {("trungtam", project.pk, TODAY)}
        title = Reminder.objects.get().title
        assert title == f"Đề án {project.code} chờ thẩm định đã 10 ngày"

    def test_it_reminds_all_centre_staff_when_nobody_is_responsible(
        self, commune_a1, staff, staff2, manager, officer
    ):
        make_project(commune_a1, changed_days_ago=12)
        rules.scan()
        assert who(rules.AWAITING_APPRAISAL) == {"trungtam", "trungtam2"}

    def test_it_waits_until_the_tenth_day(self, commune_a1, staff):
        make_project(commune_a1, changed_days_ago=9, responsible_officer=staff)
        assert rules.scan().items == []
        assert not Reminder.objects.exists()

    def test_it_sends_nothing_twice_the_same_day_and_repeats_a_week_later(
        self, frozen, commune_a1, staff
    ):
        make_project(commune_a1, changed_days_ago=10, responsible_officer=staff)
        assert len(rules.scan().items) == 1
        assert rules.scan().items == []
        go_to(frozen, TODAY + timedelta(days=6))
        assert rules.scan().items == []
        go_to(frozen, TODAY + timedelta(days=7))
        assert len(rules.scan().items) == 1
        assert Reminder.objects.count() == 2

    def test_it_catches_up_a_missed_day_without_sending_twice(self, frozen, commune_a1, staff):
        make_project(commune_a1, changed_days_ago=11, responsible_officer=staff)
        rules.scan()
        assert Reminder.objects.get().day == TODAY - timedelta(days=1)

    def test_it_reminds_managers_of_appraised_projects(self, commune_a1, staff, manager):
        make_project(commune_a1, status=Status.APPRAISED, changed_days_ago=10)
        make_project(commune_a1, status=Status.APPRAISED, changed_days_ago=9)
        rules.scan()
        assert who(rules.AWAITING_DECISION) == {"lanhdao"}
        assert Reminder.objects.count() == 1

    def test_it_reminds_the_officer_who_filed_a_returned_project(
        self, commune_a1, officer, other_officer, staff
    ):
        make_project(commune_a1, status=Status.RETURNED, changed_days_ago=14, created_by=officer)
        make_project(commune_a1, status=Status.RETURNED, changed_days_ago=13, created_by=officer)
        rules.scan()
        assert who(rules.AWAITING_RESUBMISSION) == {"canbo_a"}

    def test_a_returned_project_filed_by_staff_goes_to_its_author_and_the_local_officers(
        self, commune_a1, officer, other_officer, staff, staff2
    ):
        make_project(commune_a1, status=Status.RETURNED, changed_days_ago=20, created_by=staff)
        rules.scan()
        assert who(rules.AWAITING_RESUBMISSION) == {"trungtam", "canbo_a"}

    def test_a_returned_project_is_reminded_to_its_author_whoever_they_are_once(
        self, commune_a1, officer, manager
    ):
        make_project(commune_a1, status=Status.RETURNED, changed_days_ago=20, created_by=manager)
        make_project(commune_a1, status=Status.RETURNED, changed_days_ago=20, created_by=officer)
        rules.scan()
        assert sorted(
            Reminder.objects.filter(kind=rules.AWAITING_RESUBMISSION.code).values_list(
                "recipient__username", flat=True
            )
        ) == ["canbo_a", "canbo_a", "lanhdao"]  # the officer once for their own project
        assert rules.AWAITING_RESUBMISSION in notifications.kinds_for(manager)

    def test_an_inactive_author_is_not_reminded(self, commune_a1, officer, staff):
        staff.is_active = False
        staff.save()
        make_project(commune_a1, status=Status.RETURNED, changed_days_ago=20, created_by=staff)
        rules.scan()
        assert who(rules.AWAITING_RESUBMISSION) == {"canbo_a"}

    def test_it_ignores_drafts_and_inactive_officers(self, commune_a1, officer):
        make_project(commune_a1, status=Status.DRAFT, changed_days_ago=40, created_by=officer)
        officer.is_active = False
        officer.save()
        make_project(commune_a1, status=Status.RETURNED, changed_days_ago=20, created_by=officer)
        rules.scan()
        assert not Reminder.objects.exists()


@pytest.mark.django_db
class TestEndDate:
    def test_it_reminds_30_7_and_1_days_before(self, frozen, commune_a1, staff):
        project = make_project(
            commune_a1, status=Status.IN_PROGRESS, responsible_officer=staff, end_date=days(30)
        )
        sent = []
        for day in range(0, 31):
            go_to(frozen, TODAY + timedelta(days=day))
            items = rules.scan().items
            sent += [item.title for item in items if item.kind == rules.END_DATE_NEAR.code]
        assert sent == [
            f"Đề án {project.code} còn 30 ngày đến ngày kết thúc (09/04/2026)",
            f"Đề án {project.code} còn 7 ngày đến ngày kết thúc (09/04/2026)",
            f"Đề án {project.code} còn 1 ngày đến ngày kết thúc (09/04/2026)",
        ]

    def test_it_does_not_remind_31_days_before(self, commune_a1, staff):
        make_project(
            commune_a1, status=Status.IN_PROGRESS, responsible_officer=staff, end_date=days(31)
        )
        assert rules.scan().items == []

    def test_it_catches_up_the_nearest_milestone_only(self, commune_a1, staff):
        project = make_project(
            commune_a1, status=Status.IN_PROGRESS, responsible_officer=staff, end_date=days(5)
        )
        rules.scan()
        assert reminded(rules.END_DATE_NEAR) == {("trungtam", project.pk, days(-2))}

    def test_it_reminds_after_the_end_date_and_escalates_after_15_days(
        self, frozen, commune_a1, staff, manager
    ):
        make_project(
            commune_a1, status=Status.IN_PROGRESS, responsible_officer=staff, end_date=days(-1)
        )
        rules.scan()
        assert who(rules.END_DATE_PASSED) == {"trungtam"}
        assert who(rules.END_DATE_ESCALATION) == set()
        go_to(frozen, TODAY + timedelta(days=14))  # 15 days past: not yet
        rules.scan()
        assert who(rules.END_DATE_ESCALATION) == set()
        go_to(frozen, TODAY + timedelta(days=15))  # 16 days past: more than 15
        rules.scan()
        assert who(rules.END_DATE_ESCALATION) == {"lanhdao"}

    def test_it_stops_once_accepted(self, commune_a1, staff):
        make_project(
            commune_a1, status=Status.ACCEPTED, responsible_officer=staff, end_date=days(-3)
        )
        make_project(
            commune_a1,
            status=Status.AWAITING_ACCEPTANCE,
            responsible_officer=staff,
            end_date=days(-3),
            accepted_on=days(-1),
        )
        rules.scan()
        assert not Reminder.objects.filter(kind=rules.END_DATE_PASSED.code).exists()

    def test_an_officer_outside_the_projects_locality_is_not_reminded(
        self, commune_a1, other_officer, staff
    ):
        # A misassigned responsible officer: the reminder goes to the centre staff instead.
        make_project(
            commune_a1,
            status=Status.IN_PROGRESS,
            responsible_officer=other_officer,
            end_date=days(7),
        )
        rules.scan()
        assert who(rules.END_DATE_NEAR) == {"trungtam"}


@pytest.mark.django_db
class TestProgressReports:
    @pytest.fixture
    def project(self, commune_a1, officer, staff):
        # Periods of 3 months from 01/12/2025: the first ends 28/02/2026, due 07/03/2026.
        return make_project(
            commune_a1,
            status=Status.IN_PROGRESS,
            created_by=officer,
            responsible_officer=staff,
            start_date=date(2025, 12, 1),
            end_date=date(2026, 12, 31),
        )

    def test_it_reminds_the_district_and_responsible_officers_after_the_grace_days(
        self, project, other_officer
    ):
        rules.scan()
        assert reminded(rules.REPORT_MISSING) == {
            ("canbo_a", project.pk, date(2026, 3, 8)),
            ("trungtam", project.pk, date(2026, 3, 8)),
        }
        assert (
            "kỳ 01/12/2025–28/02/2026"
            in Reminder.objects.filter(kind=rules.REPORT_MISSING.code).first().title
        )

    def test_it_waits_for_the_grace_days(self, frozen, project):
        go_to(frozen, date(2026, 3, 7))
        rules.scan()
        assert not reminded(rules.REPORT_MISSING)

    def test_a_submitted_report_stops_it(self, project, officer):
        ProgressReport.objects.create(
            project=project,
            period_start=date(2025, 12, 1),
            period_end=date(2026, 2, 28),
            progress_percent=30,
            submitted_by=officer,
        )
        rules.scan()
        assert not reminded(rules.REPORT_MISSING)

    def test_a_cancelled_report_leaves_its_period_missing(self, project, officer):
        ProgressReport.objects.create(
            project=project,
            period_start=date(2025, 12, 1),
            period_end=date(2026, 2, 28),
            progress_percent=30,
            submitted_by=officer,
            cancelled_at=NOW,
            cancel_reason="Nộp nhầm đề án",
        )
        rules.scan()
        assert who(rules.REPORT_MISSING) == {"canbo_a", "trungtam"}


@pytest.mark.django_db
class TestMonitoring:
    def test_it_reminds_after_90_days_without_a_visit(self, commune_a1, staff):
        project = make_project(
            commune_a1, status=Status.IN_PROGRESS, responsible_officer=staff, start_date=days(-90)
        )
        rules.scan()
        assert reminded(rules.MONITORING_OVERDUE) == {("trungtam", project.pk, TODAY)}

    def test_a_recent_visit_resets_the_clock(self, commune_a1, staff):
        project = make_project(
            commune_a1, status=Status.IN_PROGRESS, responsible_officer=staff, start_date=days(-200)
        )
        MonitoringVisit.objects.create(
            project=project, date=days(-89), place="Tại cơ sở", progress_percent=50
        )
        rules.scan()
        assert not Reminder.objects.filter(kind=rules.MONITORING_OVERDUE.code).exists()


@pytest.mark.django_db
class TestFollowUps:
    def make_action(self, project, owner, due):
        return FollowUpAction.objects.create(
            project=project, description="Bổ sung hóa đơn", owner=owner, due_date=due
        )

    def test_it_reminds_the_owner_the_day_after_the_due_date(self, commune_a1, officer):
        project = make_project(commune_a1, status=Status.IN_PROGRESS)
        action = self.make_action(project, officer, days(-1))
        self.make_action(project, officer, days(0))
        done = self.make_action(project, officer, days(-5))
        done.done_at = NOW
        done.save()
        rules.scan()
        assert reminded(rules.FOLLOW_UP_OVERDUE) == {("canbo_a", action.pk, TODAY)}

    def test_a_cancelled_action_is_not_reminded(self, commune_a1, officer):
        project = make_project(commune_a1, status=Status.IN_PROGRESS)
        action = self.make_action(project, officer, days(-1))
        action.cancelled_at = NOW
        action.save()
        rules.scan()
        assert not reminded(rules.FOLLOW_UP_OVERDUE)

    def test_an_owner_outside_the_locality_is_not_reminded(self, commune_a1, other_officer):
        project = make_project(commune_a1, status=Status.IN_PROGRESS)
        self.make_action(project, other_officer, days(-3))
        rules.scan()
        assert not Reminder.objects.exists()


@pytest.mark.django_db
class TestAcceptanceReviews:
    @pytest.fixture
    def review(self, commune_a1, staff, manager, other_officer):
        project = make_project(
            commune_a1, status=Status.AWAITING_ACCEPTANCE, responsible_officer=staff
        )
        review = AcceptanceReview.objects.create(
            project=project, scheduled_date=days(7), place="UBND xã A Một"
        )
        CouncilMember.objects.create(review=review, user=manager, council_role="Chủ tịch")
        CouncilMember.objects.create(review=review, name="Ông Bế Văn Ba", council_role="Ủy viên")
        # A council member outside the project's locality is not told about it.
        CouncilMember.objects.create(review=review, user=other_officer, council_role="Ủy viên")
        return review

    def test_a_cancelled_review_is_not_reminded(self, review, staff):
        review.cancelled_at = NOW
        review.cancelled_by = staff
        review.save()
        rules.scan()
        assert not reminded(rules.ACCEPTANCE_SOON)

    def test_it_reminds_council_members_and_the_responsible_officer_7_and_1_days_before(
        self, frozen, review
    ):
        rules.scan()
        assert reminded(rules.ACCEPTANCE_SOON) == {
            ("lanhdao", review.pk, TODAY),
            ("trungtam", review.pk, TODAY),
        }
        go_to(frozen, TODAY + timedelta(days=5))
        assert rules.scan().items == []
        go_to(frozen, TODAY + timedelta(days=6))
        assert {item.recipient.username for item in rules.scan().items} == {
            "lanhdao",
            "trungtam",
        }

    def test_it_does_not_remind_8_days_before_or_after_the_outcome(self, frozen, review):
        go_to(frozen, TODAY - timedelta(days=1))
        assert rules.scan().items == []
        go_to(frozen, TODAY)
        review.outcome = "accepted"
        review.save()
        assert rules.scan().items == []


@pytest.mark.django_db
class TestSettlement:
    def test_it_reminds_30_days_after_acceptance(self, commune_a1, staff):
        project = make_project(
            commune_a1, status=Status.ACCEPTED, responsible_officer=staff, accepted_on=days(-30)
        )
        make_project(
            commune_a1, status=Status.ACCEPTED, responsible_officer=staff, accepted_on=days(-29)
        )
        make_project(
            commune_a1, status=Status.SETTLED, responsible_officer=staff, accepted_on=days(-90)
        )
        rules.scan()
        assert reminded(rules.SETTLEMENT_DUE) == {("trungtam", project.pk, TODAY)}


@pytest.mark.django_db
class TestSettlementDeadline:
    """TT 36/2013 Art. 18: settlement no later than 22 January of the year after acceptance."""

    @pytest.fixture
    def accepted(self, commune_a1, staff):
        return make_project(
            commune_a1,
            status=Status.ACCEPTED,
            responsible_officer=staff,
            accepted_on=date(2025, 11, 20),
        )

    def test_it_reminds_30_days_before_22_january_of_the_next_year(self, frozen, accepted):
        go_to(frozen, date(2025, 12, 22))
        rules.scan()
        assert reminded(rules.SETTLEMENT_DEADLINE) == set()
        go_to(frozen, date(2025, 12, 23))
        rules.scan()
        assert reminded(rules.SETTLEMENT_DEADLINE) == {
            ("trungtam", accepted.pk, date(2025, 12, 23))
        }
        reminder = Reminder.objects.get(kind=rules.SETTLEMENT_DEADLINE.code)
        assert "22/01/2026" in reminder.title
        assert "Thông tư 36/2013/TT-BCT, Điều 18" in reminder.body

    def test_it_flags_an_overdue_settlement_until_it_is_done(self, frozen, accepted):
        go_to(frozen, date(2026, 1, 23))
        rules.scan()
        assert reminded(rules.SETTLEMENT_DEADLINE) == {("trungtam", accepted.pk, date(2026, 1, 23))}
        assert "quá hạn" in Reminder.objects.get(kind=rules.SETTLEMENT_DEADLINE.code).title
        accepted.status = Status.SETTLED
        accepted.save()
        go_to(frozen, date(2026, 3, 1))
        rules.scan()
        assert Reminder.objects.filter(kind=rules.SETTLEMENT_DEADLINE.code).count() == 1

    def test_the_deadline_is_data(self, frozen, accepted):
        LegalDeadline.objects.filter(code=DeadlineCode.SETTLEMENT).update(
            day=31, month=3, remind_before_days=[7]
        )
        go_to(frozen, date(2026, 3, 24))
        rules.scan()
        assert "31/03/2026" in Reminder.objects.get(kind=rules.SETTLEMENT_DEADLINE.code).title


@pytest.mark.django_db
class TestNationalDeadline:
    def test_it_reminds_staff_and_district_officers_30_and_7_days_before_20_may(
        self, frozen, staff, officer, other_officer, manager
    ):
        national = FundingSource.objects.get(code="KCQG")
        go_to(frozen, date(2026, 4, 19))
        assert rules.scan().items == []
        go_to(frozen, date(2026, 4, 20))
        rules.scan()
        assert reminded(rules.NATIONAL_DEADLINE) == {
            (name, national.pk, date(2026, 4, 20)) for name in ("trungtam", "canbo_a", "canbo_b")
        }
        title = Reminder.objects.first().title
        assert title == (
            "Còn 30 ngày đến hạn đăng ký đề án khuyến công quốc gia năm 2027 (20/05/2026)"
        )
        go_to(frozen, date(2026, 5, 13))
        assert len(rules.scan().items) == 3

    def test_the_deadline_is_data_a_province_may_change(self, frozen, staff):
        LegalDeadline.objects.filter(code=DeadlineCode.NATIONAL_REGISTRATION).update(
            day=30, month=6
        )
        go_to(frozen, date(2026, 5, 31))
        assert len(rules.scan().items) == 1
        assert "30/06/2026" in Reminder.objects.get().title


@pytest.mark.django_db
class TestAllocation:
    def make_allocation(self, amount=1_000_000_000):
        return Allocation.objects.create(
            year=TODAY.year,
            funding_source=FundingSource.objects.get(code="KCĐP"),
            decision_number="15/QĐ-UBND",
            decision_date=date(2026, 1, 5),
            amount=amount,
        )

    def approve(self, locality, allocation, amount, status=Status.APPROVED):
        make_project(
            locality,
            status=status,
            allocation=allocation,
            total_cost=amount,
            requested_support=amount,
            counterpart_funds=0,
            approved_amount=amount,
        )

    def test_it_tells_managers_when_less_than_10_percent_is_left(self, commune_a1, manager, staff):
        allocation = self.make_allocation()
        self.approve(commune_a1, allocation, 600_000_000)
        self.approve(commune_a1, allocation, 310_000_000, status=Status.IN_PROGRESS)
        rules.scan()
        assert who(rules.ALLOCATION_LOW) == {"lanhdao"}
        assert Reminder.objects.get().title == (
            "Kinh phí được giao Khuyến công địa phương năm 2026 chỉ còn 90.000.000 ₫ (9%)"
        )

    def test_it_does_not_count_projects_not_yet_approved(self, commune_a1, manager):
        allocation = self.make_allocation()
        self.approve(commune_a1, allocation, 600_000_000)
        self.approve(commune_a1, allocation, 310_000_000, status=Status.APPRAISED)
        rules.scan()
        assert not Reminder.objects.exists()


@pytest.mark.django_db
class TestDeliveryOfTheScan:
    def test_it_delivers_a_vietnamese_email_with_a_link_and_a_portal_notification(
        self, commune_a1, staff
    ):
        project = make_project(commune_a1, changed_days_ago=10, responsible_officer=staff)
        rules.scan()
        notifications.send_pending()
        assert len(mail.outbox) == 1
        message = mail.outbox[0]
        assert message.subject == f"[Khuyến công] Đề án {project.code} chờ thẩm định đã 10 ngày"
        assert message.to == ["trungtam@example.test"]
        link = f"http://127.0.0.1:8000{rules.project_url(project)}"
        assert link in message.body and "Kính gửi Trungtam" in message.body
        html, mimetype = message.alternatives[0]
        assert mimetype == "text/html" and link in html
        notification = Notification.objects.get()
        assert notification.recipient == staff and notification.url == rules.project_url(project)


@pytest.mark.django_db
class TestQueryCount:
    def world(self, n, officer, staff):
        """n projects due for each project kind (and one of each other kind)."""
        for _ in range(n):
            locality = officer.localities.get()
            make_project(locality, changed_days_ago=10, responsible_officer=staff)
            make_project(locality, status=Status.APPRAISED, changed_days_ago=10)
            make_project(locality, status=Status.RETURNED, changed_days_ago=14, created_by=officer)
            make_project(
                locality, status=Status.IN_PROGRESS, end_date=days(-20), start_date=days(-200)
            )
            late = make_project(
                locality,
                status=Status.AWAITING_ACCEPTANCE,
                end_date=days(7),
                start_date=days(-120),
                created_by=officer,
            )
            FollowUpAction.objects.create(
                project=late, description="Sửa biên bản", owner=officer, due_date=days(-2)
            )
            review = AcceptanceReview.objects.create(
                project=late, scheduled_date=days(1), place="Tại cơ sở"
            )
            CouncilMember.objects.create(review=review, user=staff, council_role="Ủy viên")
            make_project(locality, status=Status.ACCEPTED, accepted_on=days(-40))

    def count_scan(self) -> tuple[int, list[str]]:
        with CaptureQueriesContext(connection) as queries:
            result = rules.scan()
        assert result.errors == 0
        return len(queries), [q["sql"] for q in queries.captured_queries]

    def test_the_scan_makes_the_same_queries_for_2_and_for_12_projects_of_each_kind(
        self, officer, staff, manager
    ):
        # Per scan: 1 user directory; per kind and batch: 1 fetch (+1 prefetch for report
        # periods and council members, +1 approved sums for allocations), 1 existence check,
        # 1 bulk insert.
        self.world(2, officer, staff)
        rules.scan()  # warms the content-type cache
        Reminder.objects.all().delete()
        small, _sql = self.count_scan()
        assert Reminder.objects.count() > 0
        Reminder.objects.all().delete()
        self.world(10, officer, staff)
        large, sql = self.count_scan()
        assert large == small, "\n".join(sql)

    def test_the_queries_grow_with_batches(self, settings, officer, staff, manager):
        self.world(3, officer, staff)
        rules.scan()
        Reminder.objects.all().delete()
        one_batch, _sql = self.count_scan()
        Reminder.objects.all().delete()
        settings.REMINDERS_BATCH_SIZE = 2
        two_batches, _sql = self.count_scan()
        assert two_batches > one_batch


@pytest.mark.django_db
class TestCommand:
    def test_dry_run_lists_what_would_be_sent_and_stores_nothing(self, commune_a1, staff, capsys):
        project = make_project(commune_a1, changed_days_ago=10, responsible_officer=staff)
        call_command("send_reminders", "--dry-run")
        out = capsys.readouterr().out
        assert "awaiting_appraisal" in out and project.code in out and "trungtam" in out
        assert "1 reminder(s) would be sent (dry run)." in out
        assert not Reminder.objects.exists() and not mail.outbox

    def test_it_scans_and_sends_once(self, commune_a1, staff, capsys):
        make_project(commune_a1, changed_days_ago=10, responsible_officer=staff)
        call_command("send_reminders")
        call_command("send_reminders", "--digest")
        assert Reminder.objects.count() == 1 and len(mail.outbox) == 1
        assert "Delivered: sent 1" in capsys.readouterr().out


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
class TestConcurrentScans:
    def run_together(self, target, monkeypatch, owner, name, *, first_call_only=False):
        """Run `target` on two threads; both reach `owner.name` before either goes past it."""
        barrier = threading.Barrier(2, timeout=20)
        original = getattr(owner, name)
        passed = threading.local()

        def waiting(*args, **kwargs):
            if not (first_call_only and getattr(passed, "done", False)):
                passed.done = True
                barrier.wait()
            return original(*args, **kwargs)

        monkeypatch.setattr(owner, name, waiting)
        errors = []

        def run():
            try:
                target()
            except Exception as exc:  # reported below, on the test thread
                errors.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert not errors, errors

    def test_two_scans_at_once_store_each_reminder_once(
        self, monkeypatch, commune_a1, staff, staff2, manager
    ):
        for _ in range(3):
            make_project(commune_a1, changed_days_ago=10)
            make_project(commune_a1, status=Status.APPRAISED, changed_days_ago=10)
        found = []
        # Both scans have checked what exists before either inserts: both believe all is new.
        self.run_together(
            lambda: found.append(len(rules.scan().items)),
            monkeypatch,
            Reminder.objects,
            "bulk_create",
        )
        # Each reports only the rows it inserted: together, exactly what is stored.
        assert sum(found) == Reminder.objects.count() == 3 * 2 + 3 * 1

    def test_two_senders_at_once_send_each_email_once(
        self, monkeypatch, commune_a1, staff, staff2, manager
    ):
        for _ in range(3):
            make_project(commune_a1, changed_days_ago=10)
        rules.scan()
        assert Reminder.objects.count() == 6
        # Both senders have listed the same due rows before either claims one.
        self.run_together(
            notifications.send_pending,
            monkeypatch,
            notifications,
            "_deliver",
            first_call_only=True,
        )
        assert len(mail.outbox) == 6
        assert (
            sorted(m.to[0] for m in mail.outbox)
            == ["trungtam2@example.test"] * 3 + ["trungtam@example.test"] * 3
        )
        assert Notification.objects.count() == 6
        assert set(Reminder.objects.values_list("state", flat=True)) == {"sent"}


@pytest.mark.django_db
class TestCatchUp:
    """The daily scan at 07:00 (REMINDERS_SCAN_TIME) missed while the broker was down."""

    def at(self, frozen, day: date, hh: int, mm: int):
        frozen.move_to(datetime(day.year, day.month, day.day, hh, mm, tzinfo=NOW.tzinfo))

    def stamped(self, day: date, hh: int, mm: int):
        stamps.stamp(
            stamps.REMINDER_SCAN,
            at=datetime(day.year, day.month, day.day, hh, mm, tzinfo=NOW.tzinfo),
        )

    def test_it_catches_up_when_no_scan_ran_since_todays_time(self, frozen):
        yesterday = TODAY - timedelta(days=1)
        self.stamped(yesterday, 7, 1)
        self.at(frozen, TODAY, 6, 59)
        assert not rules.scan_missed()  # yesterday's ran; today's is not due yet
        self.at(frozen, TODAY, 7, 10)
        assert not rules.scan_missed()  # today's may still be running
        self.at(frozen, TODAY, 7, 20)
        assert rules.scan_missed()
        self.stamped(TODAY, 7, 21)
        assert not rules.scan_missed()
        self.at(frozen, TODAY, 23, 59)
        assert not rules.scan_missed()

    def test_a_scan_missed_yesterday_is_caught_up_before_todays_time(self, frozen):
        self.stamped(TODAY - timedelta(days=2), 7, 1)
        self.at(frozen, TODAY, 6, 0)
        assert rules.scan_missed()

    def test_the_scan_time_is_a_setting_and_a_new_install_scans(self, frozen, settings):
        settings.REMINDERS_SCAN_TIME = (9, 30)
        self.at(frozen, TODAY, 9, 40)
        assert not rules.scan_missed()
        self.at(frozen, TODAY, 9, 50)
        assert rules.scan_missed()

    def test_the_catch_up_task_scans_once(self, frozen, monkeypatch, commune_a1, staff):
        from khuyencong.celery import app
        from projects.reminders import tasks

        make_project(commune_a1, changed_days_ago=10, responsible_officer=staff)
        self.stamped(TODAY - timedelta(days=1), 7, 1)
        sending = []
        monkeypatch.setattr(tasks.send_pending_reminders, "delay", lambda: sending.append(1))
        app.conf.task_always_eager = True
        try:
            assert tasks.catch_up_scan.apply().get() == 1
            assert tasks.catch_up_scan.apply().get() is None  # stamped: not missed any more
            # Even a scan run again the same day stores nothing twice.
            assert tasks.scan_reminders.apply().get() == 0
        finally:
            app.conf.task_always_eager = False
        assert Reminder.objects.count() == 1 and sending == [1, 1]

    def test_a_starting_worker_asks_for_the_catch_up(self, settings, monkeypatch):
        from khuyencong import celery

        sent = []
        monkeypatch.setattr(celery.app, "send_task", lambda name, **kw: sent.append(name))
        celery.catch_up_a_missed_scan(sender=None)
        assert sent == ["projects.reminders.tasks.catch_up_scan"]
        settings.REMINDERS_CATCH_UP_ON_WORKER_START = False
        celery.catch_up_a_missed_scan(sender=None)
        assert len(sent) == 1

    def test_beat_checks_for_a_missed_scan_regularly(self, settings):
        entry = settings.CELERY_BEAT_SCHEDULE["reminders-catch-up-scan"]
        assert entry["task"] == "projects.reminders.tasks.catch_up_scan"
        assert entry["schedule"] == settings.REMINDERS_CATCH_UP_EVERY_MINUTES * 60
