"""Who is told when a step is taken on a project (issue: "everyone is told when it is their
turn").

`applications.workflow.step_taken` is sent inside the step's transaction; the receiver here
writes one outbox row per person (`khuyencong.notifications.notify`, unique per kind, event and
person, so a retried step adds nothing) and asks Celery, after commit, to deliver. Whether a
person gets the portal notification only, an e-mail at once or the daily digest is their
preference for the kind. The actor is never told about their own step.

    submitted            → centre staff (the responsible officer when one is set)
    returned             → the author
    appraised            → managers
    approved / rejected  → the author and the responsible officer
    cancelled            → the author and the responsible officer
    norm override        → the author
    contract signed      → the author and the responsible officer (reports are now owed)
    visit / review with follow-up actions → each action's owner
    acceptance requested → centre staff (the responsible officer when one is set)
    review scheduled, changed or cancelled → council members who are portal users
    review outcome       → the author and the responsible officer
    disbursement         → the author
    settled              → the author and managers
"""

import logging
from collections.abc import Iterable

from django.db import transaction
from django.utils.translation import gettext_lazy, gettext_noop

from khuyencong import notifications
from khuyencong.models import Role, User
from khuyencong.money import format_vnd
from khuyencong.stored_text import StoredText
from projects.applications.workflow import step_taken
from projects.models import Project, ProjectEvent
from projects.process.people import Directory, centre_staff_responsible, in_scope

logger = logging.getLogger(__name__)

CENTRE, DISTRICT, MANAGER = Role.CENTRE_STAFF, Role.DISTRICT_OFFICER, Role.MANAGER
EVERY_EDITOR = (CENTRE, DISTRICT, MANAGER)

# Section anchors of the project page (templates/projects/detail.html and the close-out tabs).
ANCHORS = {
    "events": "dien-bien",
    "monitoring": "kiem-tra",
    "money": "kinh-phi",
    "acceptance": "nghiem-thu",
}

KINDS = {
    "submitted": notifications.register_kind(
        "step_submitted", gettext_lazy("Đề án được nộp, chờ thẩm định"), roles=(CENTRE,)
    ),
    "returned": notifications.register_kind(
        "step_returned", gettext_lazy("Đề án bị trả lại để hoàn thiện"), roles=EVERY_EDITOR
    ),
    "appraised": notifications.register_kind(
        "step_appraised", gettext_lazy("Đề án đã thẩm định, chờ phê duyệt"), roles=(MANAGER,)
    ),
    "decided": notifications.register_kind(
        "step_decided",
        gettext_lazy("Đề án được phê duyệt, không phê duyệt hoặc hủy"),
        roles=EVERY_EDITOR,
    ),
    "override": notifications.register_kind(
        "step_override", gettext_lazy("Lãnh đạo cho phép vượt định mức"), roles=EVERY_EDITOR
    ),
    "started": notifications.register_kind(
        "step_started", gettext_lazy("Đề án ký hợp đồng, bắt đầu thực hiện"), roles=EVERY_EDITOR
    ),
    "follow_up": notifications.register_kind(
        "step_follow_up", gettext_lazy("Việc khắc phục được giao cho tôi"), roles=EVERY_EDITOR
    ),
    "acceptance_requested": notifications.register_kind(
        "step_acceptance_requested", gettext_lazy("Đề nghị nghiệm thu"), roles=(CENTRE,)
    ),
    "review_scheduled": notifications.register_kind(
        "step_review_scheduled",
        gettext_lazy("Tôi được mời vào hội đồng nghiệm thu"),
        roles=EVERY_EDITOR,
    ),
    "review_outcome": notifications.register_kind(
        "step_review_outcome", gettext_lazy("Kết quả nghiệm thu"), roles=EVERY_EDITOR
    ),
    "disbursed": notifications.register_kind(
        "step_disbursed", gettext_lazy("Giải ngân kinh phí"), roles=EVERY_EDITOR
    ),
    "settled": notifications.register_kind(
        "step_settled", gettext_lazy("Đề án được quyết toán"), roles=EVERY_EDITOR
    ),
}


def _author_and_officer(project: Project) -> list[User]:
    return [project.created_by, project.responsible_officer]


def _managers(directory: Directory) -> list[User]:
    return directory.managers


# action of the ProjectEvent → (kind, recipients, title, section of the project page); titles
# are message ids, said in each reader's language when shown (khuyencong/stored_text.py).
EVENTS = {
    "submit": (
        "submitted",
        lambda p, d: centre_staff_responsible(p, d),
        gettext_noop("Đề án %(code)s đã được nộp, chờ thẩm định"),
        "events",
    ),
    "return": (
        "returned",
        lambda p, d: [p.created_by],
        gettext_noop("Đề án %(code)s bị trả lại, cần hoàn thiện và nộp lại"),
        "events",
    ),
    "appraise": (
        "appraised",
        lambda p, d: _managers(d),
        gettext_noop("Đề án %(code)s đã được thẩm định, chờ phê duyệt"),
        "events",
    ),
    "approve": (
        "decided",
        lambda p, d: _author_and_officer(p),
        gettext_noop("Đề án %(code)s đã được phê duyệt"),
        "events",
    ),
    "reject": (
        "decided",
        lambda p, d: _author_and_officer(p),
        gettext_noop("Đề án %(code)s không được phê duyệt"),
        "events",
    ),
    "cancel": (
        "decided",
        lambda p, d: _author_and_officer(p),
        gettext_noop("Đề án %(code)s đã bị hủy"),
        "events",
    ),
    "override_norm": (
        "override",
        lambda p, d: [p.created_by],
        gettext_noop("Đề án %(code)s được Lãnh đạo cho phép vượt định mức"),
        "events",
    ),
    "start": (
        "started",
        lambda p, d: _author_and_officer(p),
        gettext_noop("Đề án %(code)s đã ký hợp đồng, bắt đầu thực hiện và báo cáo tiến độ"),
        "monitoring",
    ),
    "request_acceptance": (
        "acceptance_requested",
        lambda p, d: centre_staff_responsible(p, d),
        gettext_noop("Đề án %(code)s đề nghị nghiệm thu, cần lập lịch nghiệm thu"),
        "acceptance",
    ),
    "accept": (
        "review_outcome",
        lambda p, d: _author_and_officer(p),
        gettext_noop("Đề án %(code)s đã nghiệm thu đạt, chờ quyết toán"),
        "acceptance",
    ),
    "reopen": (
        "review_outcome",
        lambda p, d: _author_and_officer(p),
        gettext_noop("Đề án %(code)s nghiệm thu chưa đạt, tiếp tục thực hiện"),
        "acceptance",
    ),
    "review_outcome": (
        "review_outcome",
        lambda p, d: _author_and_officer(p),
        gettext_noop("Đã có kết quả nghiệm thu đề án %(code)s"),
        "acceptance",
    ),
    "settle": (
        "settled",
        lambda p, d: [p.created_by, *_managers(d)],
        gettext_noop("Đề án %(code)s đã được quyết toán"),
        "money",
    ),
}


# A review scheduled, changed or called off: its council members who are portal users are told.
COUNCIL_TITLES = {
    "schedule_review": gettext_noop("Mời dự hội đồng nghiệm thu đề án %(code)s ngày %(date)s"),
    "edit_review": gettext_noop("Lịch nghiệm thu đề án %(code)s đã thay đổi: nay là ngày %(date)s"),
    "cancel_review": gettext_noop("Lịch nghiệm thu đề án %(code)s ngày %(date)s đã bị hủy"),
}


DISBURSEMENT_TITLES = {
    "advance": gettext_noop("Đề án %(code)s: tạm ứng %(amount)s"),
    "payment": gettext_noop("Đề án %(code)s: thanh toán %(amount)s"),
}


def _url(project: Project, section: str) -> str:
    return f"{project.get_absolute_url()}#{ANCHORS[section]}"


def _tell(kind: str, obj, users: Iterable[User | None], by: User, project, title, body, url):
    recipients = [user for user in in_scope(users, project) if user.pk != by.pk]
    if recipients:
        notifications.notify(
            kind=KINDS[kind].code, obj=obj, recipients=recipients, title=title, body=body, url=url
        )
    return recipients


def tell_next(*, project: Project, event: ProjectEvent | None, by: User, **details) -> list[User]:
    """Write the outbox rows for one step; returns who was told (for tests and logs)."""
    directory = Directory()
    told: list[User] = []
    names = {"code": project.code}
    if event is not None and event.action in EVENTS:
        kind, who, title, section = EVENTS[event.action]
        told += _tell(
            kind,
            event,
            who(project, directory),
            by,
            project,
            StoredText(title, names),
            event.comment,
            _url(project, section),
        )
    review = details.get("review")
    if event is not None and event.action in COUNCIL_TITLES and review is not None:
        members = [seat.user for seat in review.members.select_related("user") if seat.user_id]
        title = StoredText(
            COUNCIL_TITLES[event.action],
            {**names, "date": f"{review.scheduled_date:%d/%m/%Y}"},
        )
        told += _tell(
            "review_scheduled",
            event,
            members,
            by,
            project,
            title,
            event.comment,
            _url(project, "acceptance"),
        )
    for follow_up in details.get("follow_ups") or ():
        title = StoredText(
            gettext_noop("Việc khắc phục đề án %(code)s giao cho bạn, hạn %(due)s"),
            {**names, "due": f"{follow_up.due_date:%d/%m/%Y}" if follow_up.due_date else "—"},
        )
        told += _tell(
            "follow_up",
            follow_up,
            [follow_up.owner],
            by,
            project,
            title,
            follow_up.description,
            _url(project, "monitoring"),
        )
    disbursement = details.get("disbursement")
    if disbursement is not None:
        title = StoredText(
            DISBURSEMENT_TITLES.get(disbursement.kind, DISBURSEMENT_TITLES["payment"]),
            {**names, "amount": format_vnd(disbursement.amount)},
        )
        told += _tell(
            "disbursed",
            disbursement,
            [project.created_by],
            by,
            project,
            title,
            disbursement.note,
            _url(project, "money"),
        )
    if told:
        transaction.on_commit(_deliver_soon)
    return told


def _deliver_soon() -> None:
    """Ask a worker to deliver now; if the broker is down, the sender's own schedule (every
    few minutes) delivers the rows when it is back, so the step itself never fails for it."""
    from khuyencong.tasks import send_pending_reminders

    try:
        send_pending_reminders.apply_async(retry=False)
    except Exception as exc:  # the broker is down: the periodic sender picks the rows up later
        logger.warning("Could not reach the broker (%s); the periodic sender will deliver.", exc)


def _on_step(sender, *, project, event, by, **details):
    tell_next(project=project, event=event, by=by, **details)


step_taken.connect(_on_step, dispatch_uid="projects.process.turns")
