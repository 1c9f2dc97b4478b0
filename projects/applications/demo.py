"""Demo projects in every state of the application workflow. Only the `seed_demo` command
calls this, after the plans and allocations (projects/planning/demo.py).

Projects are created and moved through workflow.py beside this file, so their events and
history are real; a project whose title exists already is left alone (the command may run
again). Projects after approval are in projects/closeout/demo.py.
"""

import datetime

from django.utils import timezone

from facilities.demo import demo_facility
from khuyencong.demo import CENTRE, ILLUSTRATION, M
from khuyencong.localities import REFORM_YEAR
from khuyencong.models import Locality, User
from projects.applications import workflow
from projects.models import ActivityType, Allocation, FundingSource, Project, Status


def _project_specs(facility) -> list[dict]:
    """Projects in every state of the application workflow; `facility(name)` finds one."""
    return [
        {
            "title": "Hỗ trợ ứng dụng máy móc thiết bị tiên tiến trong sản xuất miến dong",
            "facility": facility("Hợp tác xã nông nghiệp Cai Bộ"),
            "activity": "UDMM",
            "source": "KCQG",
            "year": 2023,
            "money": (560 * M, 280 * M, 280 * M),
            "outcomes": {"expected_machines_installed": 3, "expected_jobs_created": 10},
            "by": "trungtam",
            "to": Status.APPROVED,
            "decision": "1205/QĐ-BCT",
        },
        {
            "title": "Mô hình trình diễn kỹ thuật sản xuất gạch không nung",
            "facility": facility("Công ty TNHH MTV Du Trọng Đại"),
            "activity": "MHTD",
            "source": "KCQG",
            "year": 2024,
            "money": (1_500 * M, 450 * M, 1_050 * M),
            "outcomes": {"expected_machines_installed": 2, "expected_jobs_created": 15},
            "by": "trungtam",
            "to": Status.APPROVED,
            "decision": "987/QĐ-BCT",
        },
        {
            "title": "Đầu tư thiết bị sản xuất gia công cơ khí hiện đại, công nghệ tiên tiến",
            "facility": facility("Hợp tác xã Ngôi Sao Sáng"),
            "activity": "UDMM",
            "source": "KCĐP",
            "year": 2026,
            "money": (380 * M, 140 * M, 240 * M),
            "outcomes": {"expected_machines_installed": 2, "expected_jobs_created": 4},
            "by": "diaban2",
            "to": Status.APPRAISED,
        },
        {
            "title": "Bồi dưỡng kiến thức sửa chữa máy nông cụ cho lao động xã Tam Kim",
            "facility": None,
            "locality": "052.05",
            "activity": "DTN",
            "source": "KCĐP",
            "year": 2026,
            "money": (85 * M, 85 * M, 0),
            "outcomes": {"expected_people_trained": 35, "expected_employed_after_training": 25},
            "by": "trungtam",
            "to": Status.SUBMITTED,
        },
        {
            "title": "Hỗ trợ ứng dụng máy chẻ nan, vót nan tre tự động",
            "facility": facility("Công ty TNHH MTV 688"),
            "activity": "UDMM",
            "source": "KCĐP",
            "year": 2026,
            "money": (300 * M, 120 * M, 180 * M),
            "outcomes": {"expected_machines_installed": 2, "expected_jobs_created": 8},
            "by": "diaban",
            "to": Status.DRAFT,
        },
        {
            "title": "Hỗ trợ ứng dụng máy móc thiết bị trong chế biến nông sản tại Nguyên Bình",
            "facility": facility(None, district="052"),
            "locality": "052.01",
            "activity": "UDMM",
            "source": "KCĐP",
            "year": 2026,
            "money": (240 * M, 96 * M, 144 * M),
            "outcomes": {"expected_machines_installed": 1, "expected_jobs_created": 3},
            "by": "diaban",
            "to": Status.RETURNED,
            "reason": "Thiếu báo giá thiết bị và dự toán chi tiết; đề nghị bổ sung 03 báo giá.",
        },
        {
            "title": "Hỗ trợ xây dựng và đăng ký nhãn hiệu sản phẩm lạp sườn",
            "facility": facility("Hợp tác xã Tâm Hòa"),
            "activity": "SPTB",
            "source": "KCĐP",
            "year": 2025,
            "money": (120 * M, 80 * M, 40 * M),
            "outcomes": {},
            "by": "diaban2",
            "to": Status.REJECTED,
            "reason": "Nội dung đã được hỗ trợ từ nguồn khác năm 2024, không hỗ trợ trùng lặp.",
        },
        {
            "title": "Tổ chức cho cơ sở CNNT tham gia hội chợ triển lãm hàng CNNT khu vực phía Bắc",
            "facility": None,
            "locality": "04",
            "activity": "SPTB",
            "source": "KCĐP",
            "year": 2025,
            "money": (150 * M, 150 * M, 0),
            "outcomes": {"expected_fair_participations": 6},
            "by": "trungtam",
            "to": Status.CANCELLED,
            "reason": "Ban tổ chức hoãn hội chợ sang năm sau.",
        },
    ]


def _walk(project, spec, users, allocations):
    target = spec["to"]
    creator, staff, manager = users[spec["by"]], users["trungtam"], users["lanhdao"]
    if target == Status.DRAFT:
        return project
    # Decided on 10 March of the plan year (or today, if that is still ahead: a decision may not
    # be dated in the future), filed three weeks before (a decision may not predate the filing).
    decided = min(datetime.date(project.year, 3, 10), timezone.localdate())
    project = workflow.submit(
        project=project,
        by=creator,
        comment="Đề nghị Trung tâm thẩm định.",
        today=decided - datetime.timedelta(days=18),
    )
    if target == Status.SUBMITTED:
        return project
    if target == Status.RETURNED:
        return workflow.return_for_revision(project=project, by=staff, reason=spec["reason"])
    if target == Status.CANCELLED:
        return workflow.cancel(project=project, by=manager, reason=spec["reason"])
    project = workflow.appraise(
        project=project,
        by=staff,
        recommended_amount=project.requested_support,
        opinion="Đề án phù hợp nội dung khuyến công, dự toán hợp lý, cơ sở có đủ vốn đối ứng.",
        no_conflict=True,
    )
    if target == Status.APPRAISED:
        return project
    if target == Status.REJECTED:
        return workflow.reject(project=project, by=manager, reason=spec["reason"])
    return workflow.approve(
        project=project,
        by=manager,
        decision_number=spec["decision"],
        decision_date=decided,
        approved_amount=project.requested_support,
        allocation=allocations[(project.year, project.funding_source.code)],
    )


def seed_projects(
    users: dict[str, User], allocations: dict[tuple[int, str], Allocation]
) -> list[Project]:
    """Projects in every state up to approval, on the demo allocations. Idempotent."""
    facility = demo_facility
    sources = {s.code: s for s in FundingSource.objects.all()}
    activities = {a.code: a for a in ActivityType.objects.all()}

    projects = []
    for spec in _project_specs(facility):
        existing = Project.objects.filter(title=spec["title"]).first()
        if existing:
            projects.append(existing)
            continue
        total, support, counterpart = spec["money"]
        fac = spec["facility"]
        locality = fac.locality if fac else Locality.objects.get(code=spec["locality"])
        if spec["year"] >= REFORM_YEAR:
            locality = locality.today  # filed after 1/7/2025: under the new commune
        year = spec["year"]
        project = workflow.create_project(
            by=users[spec["by"]],
            title=spec["title"],
            activity_type=activities[spec["activity"]],
            funding_source=sources[spec["source"]],
            year=year,
            facility=fac,
            locality=locality,
            implementing_unit=fac.name if fac else CENTRE,
            description=f"{spec['title']}. {ILLUSTRATION}.",
            total_cost=total,
            requested_support=support,
            counterpart_funds=counterpart,
            other_funds=total - support - counterpart,
            start_date=datetime.date(year, 4, 1),
            end_date=datetime.date(year, 11, 30),
            responsible_officer=users["trungtam"],
            **spec["outcomes"],
        )
        projects.append(_walk(project, spec, users, allocations))
    return projects
