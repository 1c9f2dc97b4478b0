"""Demo projects after approval. Only the `seed_demo` command calls this, after the plans and
the applications.

From shared/seeds/001: Công ty TNHH Giang Hiền's rolling-machine project accepted in August 2017
and HTX Ngôi Sao Sáng's machining project completed in June 2017 (both KCĐP 2017, on an added
2017 allocation); Công ty 688's bamboo-mat model (2022) settled below its approved amount, so its
allocation shows money released. Three more projects are dated from the day the command runs, so
"now" always has an in-progress project with an overdue follow-up action, a missing progress
report and an advance; one awaiting an acceptance review a few days ahead; and one sent back to
work after an acceptance "with conditions".

Everything goes through projects/applications/workflow.py, steps.py and disbursements.py, with the
story's own
`today` where a rule takes one; `Timeline` then gives events, history and records the dates the
story says they happened on. Amounts, names of outside council members and document numbers
are illustrations.
"""

import datetime

from django.utils import timezone

from facilities.demo import demo_facility
from khuyencong.demo import CENTRE, ILLUSTRATION, M
from khuyencong.localities import REFORM_YEAR
from khuyencong.models import Locality, User
from projects.applications import workflow
from projects.closeout import disbursements, exceptions, steps
from projects.closeout.schedule import report_periods
from projects.models import (
    AcceptanceOutcome,
    AcceptanceReview,
    ActivityType,
    Allocation,
    Disbursement,
    DisbursementKind,
    ExceptionRule,
    FollowUpAction,
    FundingSource,
    MonitoringVisit,
    ProgressReport,
    Project,
    ProjectDocument,
    ProjectEvent,
)

DAY = datetime.timedelta(days=1)
ALLOCATIONS_2017 = {"KCĐP": ("12/QĐ-UBND", datetime.date(2017, 1, 16), 700 * M)}
SCHEDULE_MONTHS = 3  # the stories file reports by quarter, whatever the portal's default is


class Timeline:
    """Restamps what a demo story records with the day the story says it happened.

    Rule functions stamp events, history and records with the current time; the stories call
    `on(day)` after each step, and whatever still carries a time from this run gets 09:00 of
    that day (always before the run started, so a later step never restamps it).
    """

    STAMPED = (
        (ProjectEvent, "at"),
        (MonitoringVisit, "created_at"),
        (ProgressReport, "submitted_at"),
        (Disbursement, "created_at"),
        (FollowUpAction, "done_at"),
        (AcceptanceReview, "recorded_at"),
        (ProjectDocument, "uploaded_at"),
    )

    def __init__(self):
        self.since = timezone.now()
        self.project = None

    def on(self, day: datetime.date) -> None:
        moment = timezone.make_aware(datetime.datetime.combine(day, datetime.time(9)))
        moment = min(moment, self.since - datetime.timedelta(seconds=1))
        pk = self.project.pk
        for model, field in self.STAMPED:
            model.objects.filter(project_id=pk, **{f"{field}__gte": self.since}).update(
                **{field: moment}
            )
        Project.history.filter(id=pk, history_date__gte=self.since).update(history_date=moment)
        for field in ("status_changed_at", "created_at", "appraised_at"):
            Project.objects.filter(pk=pk, **{f"{field}__gte": self.since}).update(**{field: moment})


def _allocation(year: int, code: str) -> Allocation:
    """The allocation a story's project draws on; 2017 and years after the plans are added."""
    source = FundingSource.objects.get(code=code)
    allocation = Allocation.objects.filter(year=year, funding_source=source).first()
    if allocation:
        return allocation
    number, decided, amount = ALLOCATIONS_2017.get(code) if year == 2017 else (None, None, None)
    return Allocation.objects.create(
        year=year,
        funding_source=source,
        decision_number=number or f"{year % 100:02d}/QĐ-UBND",
        decision_date=decided or datetime.date(year, 1, 15),
        amount=amount or 1_000 * M,
        notes=ILLUSTRATION,
    )


def _members(users, *outside, chair="trungtam", also=()):
    """Council: a chair from the centre, other portal users, then outside members."""
    seats = [{"user": users[chair], "council_role": "Chủ tịch hội đồng"}]
    seats += [{"user": users[name], "council_role": "Ủy viên"} for name in also]
    seats += [
        {"name": name, "organisation": organisation, "council_role": role}
        for name, organisation, role in outside
    ]
    return seats


def _report(project, by, period, tl, *, progress, spent, problems="", day=None):
    """File a period's report three days after it ends (or on `day`)."""
    day = day or period.end + 3 * DAY
    steps.file_progress_report(
        project=project,
        by=by,
        period_start=period.start,
        period_end=period.end,
        progress_percent=progress,
        money_spent=spent,
        problems=problems,
        content=f"Báo cáo tiến độ kỳ {period.number}. {ILLUSTRATION}.",
        today=day,
    )
    tl.on(day)


def _periods(project, until):
    project = Project.objects.get(pk=project.pk)
    return report_periods(project, until)


def _begin(spec, users, tl) -> Project:
    """Create, submit, appraise, approve and sign the contract, each on the story's day."""
    fac = spec["facility"]
    locality = fac.locality if fac else Locality.objects.get(code=spec["locality"])
    if spec.get("year", spec["start"].year) >= REFORM_YEAR:
        locality = locality.today  # filed after 1/7/2025: under the new commune
    total, support, counterpart = spec["money"]
    start = spec["start"]
    year = spec.get("year", start.year)
    creator, staff, manager = users[spec["by"]], users["trungtam"], users["lanhdao"]
    days = spec["days"]  # submitted, appraised, decided, contract: days before the start
    submitted, appraised, decided, signed = (start - n * DAY for n in days)
    project = workflow.create_project(
        by=creator,
        title=spec["title"],
        activity_type=ActivityType.objects.get(code=spec["activity"]),
        funding_source=FundingSource.objects.get(code=spec["source"]),
        year=year,
        facility=fac,
        locality=locality,
        implementing_unit=fac.name if fac else CENTRE,
        description=f"{spec['title']}. {ILLUSTRATION}.",
        total_cost=total,
        requested_support=support,
        counterpart_funds=counterpart,
        other_funds=total - support - counterpart,
        start_date=start,
        end_date=spec["end"],
        responsible_officer=staff,
        **spec["outcomes"],
    )
    tl.project = project
    tl.on(submitted - 5 * DAY)
    workflow.submit(
        project=project, by=creator, comment="Đề nghị Trung tâm thẩm định.", today=submitted
    )
    tl.on(submitted)
    workflow.appraise(
        project=project,
        by=staff,
        recommended_amount=support,
        opinion="Đề án phù hợp nội dung khuyến công, dự toán hợp lý, cơ sở có đủ vốn đối ứng.",
        no_conflict=True,
    )
    tl.on(appraised)
    workflow.approve(
        project=project,
        by=manager,
        decision_number=spec["decision"],
        decision_date=decided,
        approved_amount=support,
        allocation=_allocation(year, spec["source"]),
    )
    tl.on(decided)
    project = steps.start(
        project=project,
        by=staff,
        contract_number=spec["contract"],
        contract_date=signed,
        report_every_months=SCHEDULE_MONTHS,
    )
    tl.on(signed)
    return project


def _allow_advance(project, users, amount, reason, day, tl):
    """The manager allows an advance above the default limit (unconfirmed for machinery)."""
    exceptions.grant_exception(
        project=project,
        by=users["lanhdao"],
        rule=ExceptionRule.ADVANCE_LIMIT,
        amount=amount,
        reason=reason,
    )
    tl.on(day)


def _pay(project, by, kind, day, amount, voucher, tl, note=""):
    disbursements.disburse(
        project=project,
        by=by,
        kind=kind,
        date=day,
        amount=amount,
        voucher_number=voucher,
        note=note,
        today=day,
    )
    tl.on(day)


def _visit(project, by, day, tl, *, officers, progress, findings, problems="", actions=()):
    visit = steps.record_visit(
        project=project,
        by=by,
        date=day,
        place=project.facility.name if project.facility_id else project.locality.full_name,
        progress_percent=progress,
        findings=findings,
        problems=problems,
        officers=officers,
        actions=actions,
        today=day,
    )
    tl.on(day)
    return visit


def _accept(project, users, day, tl, *, members, by="lanhdao", **outcome):
    """Ask for acceptance four days before, hold the review and record its outcome on `day`."""
    asked = day - 4 * DAY
    project = steps.request_acceptance(
        project=project, by=users[outcome.pop("asked_by", "trungtam")], today=asked
    )
    tl.on(asked)
    review = steps.schedule_review(
        project=project,
        by=users["trungtam"],
        scheduled_date=day,
        place=outcome.pop("place", project.facility.name if project.facility_id else CENTRE),
        members=members,
        checklist={key: True for key in ("contract", "report", "invoices", "handover", "photos")},
    )
    tl.on(asked + DAY)
    steps.record_review_outcome(review=review, by=users[by], today=day, **outcome)
    tl.on(day)
    return Project.objects.get(pk=project.pk)


def _giang_hien(spec, users, tl, today):
    """Rolling machine: contract March 2017, accepted 22/08/2017 (shared/seeds/001)."""
    staff = users["trungtam"]
    project = _begin(spec, users, tl)
    _allow_advance(
        project, users, 60 * M, "Cơ sở phải đặt cọc 40% giá trị máy cán.", spec["start"], tl
    )
    _pay(project, staff, DisbursementKind.ADVANCE, spec["start"] + 2 * DAY, 60 * M, "PC-17-041", tl)
    visit_day = datetime.date(2017, 6, 14)
    visit = _visit(
        project,
        staff,
        visit_day,
        tl,
        officers=[staff],
        progress=70,
        findings="Máy cán tôn đã về xưởng, đang lắp đặt; cơ sở đã đối ứng đủ vốn mua máy.",
        actions=[
            (
                "Gửi hóa đơn mua máy và biên bản bàn giao thiết bị về Trung tâm.",
                staff,
                datetime.date(2017, 6, 30),
            )
        ],
    )
    steps.complete_action(
        action=visit.actions.get(), by=staff, note="Đã nhận đủ hóa đơn và biên bản bàn giao."
    )
    tl.on(datetime.date(2017, 6, 28))
    first, second = _periods(project, datetime.date(2017, 8, 31))
    _report(project, staff, first, tl, progress=80, spent=350 * M)
    _report(project, staff, second, tl, progress=100, spent=420 * M, day=datetime.date(2017, 8, 17))
    project = _accept(
        project,
        users,
        datetime.date(2017, 8, 22),
        tl,
        members=_members(
            users,
            ("Hoàng Văn Thắng", "Phòng Kinh tế Thành phố Cao Bằng", "Ủy viên"),
            ("Nông Thị Hằng", "Sở Công Thương Cao Bằng", "Thư ký"),
        ),
        place="Xưởng sản xuất Công ty TNHH Giang Hiền, phường Thục Phán",
        outcome=AcceptanceOutcome.ACCEPTED,
        findings="Máy cán tôn lắp đặt đúng chủng loại, vận hành ổn định; sản phẩm đạt chất lượng.",
        achieved_machines_installed=1,
        achieved_jobs_created=6,
        counterpart_invested=270 * M,
    )
    _pay(
        project,
        staff,
        DisbursementKind.PAYMENT,
        datetime.date(2017, 8, 30),
        90 * M,
        "PC-17-187",
        tl,
    )
    return project


def _ngoi_sao_sang(spec, users, tl, today):
    """Machining equipment: work done and accepted in June 2017 (shared/seeds/001)."""
    staff, officer = users["trungtam"], users["diaban2"]
    project = _begin(spec, users, tl)
    _allow_advance(
        project, users, 50 * M, "Cơ sở phải đặt cọc mua máy tiện CNC.", spec["start"], tl
    )
    _pay(project, staff, DisbursementKind.ADVANCE, spec["start"] + 2 * DAY, 50 * M, "PC-17-016", tl)
    _visit(
        project,
        officer,
        datetime.date(2017, 4, 20),
        tl,
        officers=[officer, staff],
        progress=55,
        findings="Máy tiện CNC và máy phay đã lắp đặt, đang chạy thử.",
    )
    for period in _periods(project, datetime.date(2017, 6, 16)):
        if period.end < datetime.date(2017, 6, 1):
            _report(project, officer, period, tl, progress=85, spent=260 * M)
    project = _accept(
        project,
        users,
        datetime.date(2017, 6, 16),
        tl,
        members=_members(
            users,
            ("Lục Văn Toàn", "Phòng Kinh tế – Hạ tầng huyện Hòa An", "Thư ký"),
            also=["diaban2"],
        ),
        asked_by="diaban2",
        outcome=AcceptanceOutcome.ACCEPTED,
        findings="Thiết bị hoạt động tốt, sản phẩm cơ khí có chất lượng cao, mẫu mã đẹp.",
        achieved_machines_installed=2,
        achieved_jobs_created=4,
        counterpart_invested=230 * M,
    )
    _pay(
        project,
        staff,
        DisbursementKind.PAYMENT,
        datetime.date(2017, 6, 28),
        80 * M,
        "PC-17-102",
        tl,
    )
    return project


def _bamboo(spec, users, tl, today):
    """Bamboo-mat demonstration model: accepted December 2022, settled 6 million below approval."""
    staff, officer, manager = users["trungtam"], users["diaban"], users["lanhdao"]
    project = _begin(spec, users, tl)
    _allow_advance(
        project, users, 30 * M, "Mua nguyên liệu tre theo mùa vụ.", datetime.date(2022, 4, 4), tl
    )
    _pay(
        project, staff, DisbursementKind.ADVANCE, datetime.date(2022, 4, 5), 30 * M, "PC-22-033", tl
    )
    visit = _visit(
        project,
        officer,
        datetime.date(2022, 7, 12),
        tl,
        officers=[officer, staff],
        progress=60,
        findings="Mô hình đã lắp đặt máy chẻ nan và máy dệt chiếu; 20 học viên đang thực hành.",
        actions=[
            ("Bổ sung sổ theo dõi học viên thực hành.", officer, datetime.date(2022, 7, 31)),
        ],
    )
    steps.complete_action(action=visit.actions.get(), by=officer, note="Đã bổ sung sổ.")
    tl.on(datetime.date(2022, 7, 29))
    for period in _periods(project, datetime.date(2022, 11, 30)):
        _report(
            project,
            officer,
            period,
            tl,
            progress=min(100, 40 * period.number),
            spent=70 * M * period.number,
            day=min(period.end + 3 * DAY, datetime.date(2022, 12, 1)),
        )
    project = _accept(
        project,
        users,
        datetime.date(2022, 12, 6),
        tl,
        members=_members(
            users,
            ("Nguyễn Thị Thanh", "Phòng Kinh tế – Hạ tầng huyện Nguyên Bình", "Thư ký"),
            also=["diaban"],
        ),
        asked_by="diaban",
        outcome=AcceptanceOutcome.ACCEPTED,
        findings="Mô hình hoạt động hiệu quả, sản phẩm chiếu trúc đạt chất lượng.",
        achieved_jobs_created=12,
        achieved_people_trained=20,
        achieved_employed_after_training=18,
        counterpart_invested=166 * M,
    )
    _pay(
        project,
        staff,
        DisbursementKind.PAYMENT,
        datetime.date(2022, 12, 15),
        34 * M,
        "PC-22-215",
        tl,
    )
    project = steps.settle(
        project=project,
        by=manager,
        settled_amount=64 * M,
        decision_number="112/QĐ-SCT",
        settled_on=datetime.date(2022, 12, 28),
        today=datetime.date(2022, 12, 28),
    )
    tl.on(datetime.date(2022, 12, 28))
    return project


def _managers_course(spec, users, tl, today):
    """Under way: two visits, one follow-up action overdue, the second quarter's report missing."""
    staff, officer = users["trungtam"], users["diaban"]
    start = spec["start"]
    project = _begin(spec, users, tl)
    _pay(project, staff, DisbursementKind.ADVANCE, start - 3 * DAY, 90 * M, "TU-01", tl)
    first = _visit(
        project,
        officer,
        start + 40 * DAY,
        tl,
        officers=[officer, staff],
        progress=30,
        findings="Lớp học khai giảng đúng kế hoạch, 40 học viên là chủ cơ sở CNNT.",
        actions=[
            (
                "Bổ sung danh sách học viên có xác nhận của UBND xã.",
                officer,
                start + 55 * DAY,
            )
        ],
    )
    steps.complete_action(
        action=first.actions.get(), by=officer, note="Đã gửi danh sách có xác nhận."
    )
    tl.on(start + 52 * DAY)
    periods = _periods(project, today)
    _report(project, officer, periods[0], tl, progress=40, spent=60 * M)
    _visit(
        project,
        staff,
        today - 40 * DAY,
        tl,
        officers=[staff, officer],
        progress=65,
        findings="Đã học xong 6/10 chuyên đề.",
        problems="Một số học viên nghỉ giữa khóa do mùa vụ.",
        actions=[
            ("Bố trí buổi học bù cho học viên nghỉ mùa vụ.", officer, today - 12 * DAY),
            ("Gửi báo cáo sử dụng kinh phí tạm ứng.", staff, today + 10 * DAY),
        ],
    )
    return project


def _sausage_machines(spec, users, tl, today):
    """Work finished; awaiting acceptance, with the review set for a few days from now."""
    staff, officer = users["trungtam"], users["diaban2"]
    project = _begin(spec, users, tl)
    _allow_advance(
        project, users, 90 * M, "Cơ sở phải đặt cọc máy xay, máy nhồi.", spec["start"], tl
    )
    _pay(project, staff, DisbursementKind.ADVANCE, spec["start"] + 5 * DAY, 90 * M, "TU-02", tl)
    _visit(
        project,
        officer,
        spec["start"] + 60 * DAY,
        tl,
        officers=[officer],
        progress=40,
        findings="Đã lắp đặt máy xay, máy nhồi; chờ lắp lò sấy.",
    )
    _visit(
        project,
        staff,
        today - 35 * DAY,
        tl,
        officers=[staff, officer],
        progress=90,
        findings="Lò sấy đã vận hành; cơ sở đang hoàn thiện hồ sơ nghiệm thu.",
    )
    for period in _periods(project, today):
        if period.end < today - 7 * DAY:
            _report(project, officer, period, tl, progress=45 * period.number, spent=200 * M)
    project = steps.request_acceptance(
        project=project,
        by=officer,
        comment="Đã hoàn thành lắp đặt, đề nghị nghiệm thu.",
        today=today - 5 * DAY,
    )
    tl.on(today - 5 * DAY)
    steps.schedule_review(
        project=project,
        by=staff,
        scheduled_date=today + 9 * DAY,
        place="Hợp tác xã Tâm Hòa, xã Nam Tuấn",
        members=_members(
            users, ("Lương Văn Quân", "Phòng Kinh tế – Hạ tầng huyện Hòa An", "Ủy viên")
        ),
        checklist={"contract": True, "report": True, "invoices": True},
    )
    tl.on(today - 3 * DAY)
    return project


def _hand_tools(spec, users, tl, today):
    """Accepted with conditions twelve days ago: back in progress with a follow-up action."""
    staff, officer = users["trungtam"], users["diaban"]
    project = _begin(spec, users, tl)
    _allow_advance(project, users, 60 * M, "Cơ sở phải đặt cọc máy dập.", spec["start"], tl)
    _pay(project, staff, DisbursementKind.ADVANCE, spec["start"] + 5 * DAY, 60 * M, "TU-03", tl)
    _visit(
        project,
        officer,
        spec["start"] + 50 * DAY,
        tl,
        officers=[officer],
        progress=35,
        findings="Đã nhận máy dập, đang chờ máy mài.",
    )
    for period in _periods(project, spec["end"]):
        _report(project, officer, period, tl, progress=min(100, 35 * period.number), spent=90 * M)
    return _accept(
        project,
        users,
        today - 12 * DAY,
        tl,
        members=_members(
            users,
            ("Triệu Văn Sơn", "Phòng Kinh tế – Hạ tầng huyện Nguyên Bình", "Thư ký"),
            also=["diaban"],
        ),
        asked_by="diaban",
        outcome=AcceptanceOutcome.WITH_CONDITIONS,
        findings="Máy dập vận hành tốt; máy mài chưa có biên bản bàn giao và hóa đơn.",
        required_actions="Bổ sung biên bản bàn giao, hóa đơn máy mài; chạy thử có xác nhận.",
        follow_up_owner=officer,
        follow_up_due=today + 18 * DAY,
        achieved_machines_installed=1,
        achieved_jobs_created=3,
        counterpart_invested=120 * M,
    )


def _closeout_specs(facility, today) -> list[dict]:
    """Projects after approval; `days` = (submitted, appraised, decided, contract) before start."""
    return [
        {
            "title": "Hỗ trợ ứng dụng máy móc thiết bị máy cán tôn",
            "facility": facility("Công ty TNHH Giang Hiền"),
            "activity": "UDMM",
            "source": "KCĐP",
            "money": (420 * M, 150 * M, 270 * M),
            "outcomes": {"expected_machines_installed": 1, "expected_jobs_created": 6},
            "by": "trungtam",
            "start": datetime.date(2017, 4, 3),
            "end": datetime.date(2017, 8, 31),
            "days": (42, 28, 14, 6),
            "decision": "18/QĐ-SCT",
            "contract": "06/2017/HĐ-KC",
            "story": _giang_hien,
        },
        {
            "title": (
                "Đầu tư thiết bị sản xuất gia công cơ khí hiện đại, công nghệ tiên tiến sản xuất "
                "ra các sản phẩm có chất lượng cao, mẫu mã đẹp, đáp ứng nhu cầu thị trường"
            ),
            "facility": facility("Hợp tác xã Ngôi Sao Sáng"),
            "activity": "UDMM",
            "source": "KCĐP",
            "money": (360 * M, 130 * M, 230 * M),
            "outcomes": {"expected_machines_installed": 2, "expected_jobs_created": 4},
            "by": "diaban2",
            "start": datetime.date(2017, 2, 13),
            "end": datetime.date(2017, 6, 16),
            "days": (35, 24, 10, 5),
            "decision": "05/QĐ-SCT",
            "contract": "02/2017/HĐ-KC",
            "story": _ngoi_sao_sang,
        },
        {
            "title": "Xây dựng mô hình trình diễn kỹ thuật sản xuất chiếu trúc",
            "facility": facility("Công ty TNHH MTV 688"),
            "activity": "MHTD",
            "source": "KCĐP",
            "money": (236 * M, 70 * M, 166 * M),
            "outcomes": {"expected_jobs_created": 12, "expected_people_trained": 20},
            "by": "diaban",
            "start": datetime.date(2022, 4, 1),
            "end": datetime.date(2022, 11, 30),
            "days": (45, 30, 22, 7),
            "decision": "36/QĐ-SCT",
            "contract": "09/2022/HĐ-KC",
            "story": _bamboo,
        },
        {
            "title": "Tập huấn nâng cao năng lực quản lý cho chủ cơ sở CNNT xã Nguyên Bình",
            "facility": None,
            "locality": "052.06",
            "activity": "NLQL",
            "source": "KCĐP",
            "money": (180 * M, 180 * M, 0),
            "outcomes": {"expected_managers_trained": 40},
            "by": "diaban",
            "start": today - 200 * DAY,
            "end": today + 75 * DAY,
            "days": (45, 35, 28, 7),
            "decision": "41/QĐ-SCT",
            "contract": "11/HĐ-KC",
            "story": _managers_course,
        },
        {
            "title": "Hỗ trợ ứng dụng máy móc thiết bị trong chế biến lạp sườn, thịt hun khói",
            "facility": facility("Hợp tác xã Tâm Hòa"),
            "activity": "UDMM",
            "source": "KCĐP",
            "money": (460 * M, 180 * M, 280 * M),
            "outcomes": {"expected_machines_installed": 3, "expected_jobs_created": 5},
            "by": "diaban2",
            "start": today - 230 * DAY,
            "end": today - 6 * DAY,
            "days": (50, 40, 30, 10),
            "decision": "38/QĐ-SCT",
            "contract": "08/HĐ-KC",
            "story": _sausage_machines,
        },
        {
            "title": "Hỗ trợ ứng dụng máy móc thiết bị trong sản xuất nông cụ cầm tay",
            "facility": facility("Công ty TNHH Nông cụ cầm tay Tĩnh Túc")
            or facility(None, district="052"),
            "activity": "UDMM",
            "source": "KCĐP",
            "money": (300 * M, 120 * M, 180 * M),
            "outcomes": {"expected_machines_installed": 2, "expected_jobs_created": 4},
            "by": "diaban",
            "start": today - 260 * DAY,
            "end": today - 20 * DAY,
            "days": (40, 30, 25, 10),
            "decision": "35/QĐ-SCT",
            "contract": "05/HĐ-KC",
            "story": _hand_tools,
        },
    ]


def seed_closeout(users: dict[str, User], today: datetime.date | None = None):
    """Projects accepted, settled, under way, awaiting acceptance and reopened. Idempotent."""
    today = today or timezone.localdate()
    projects = []
    for spec in _closeout_specs(demo_facility, today):
        existing = Project.objects.filter(title=spec["title"]).first()
        if existing:
            projects.append(existing)
            continue
        projects.append(spec["story"](spec, users, Timeline(), today))
    return projects
