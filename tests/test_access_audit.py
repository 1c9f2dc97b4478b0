"""Access audit of every URL of the portal.

Every URL pattern Django knows is listed from the resolver and must be classified in `ROUTES`
below (the admin's are classified as a whole: `AdminSite.has_permission` guards them all). A
URL name the table does not know fails `test_it_knows_every_url`, so whoever adds a route has to
say what it is: a page, a form, a POST-only change, a manager's planning form, the user's own
notifications, or public. The other tests then hold every classified URL to the product rules:

- anonymous users are sent to the login page;
- a district officer reaching another district's record by URL gets a 404, for GET and POST;
- a viewer (thanh tra) is refused every change (403 or 405) and nothing in the database moves;
- the Django admin is for superusers only, even for users with `is_staff`;
- no page, export or report a district officer can open shows another district's records.

The records of district B carry "ZZ-B-" in their names (or codes listed in `World.b_markers`), so
a leak is one substring search away. Each test builds the small world once (`world`: one record
of each kind per district, a few dozen rows) and walks the whole table, reporting every
offending URL at once. "Nothing changed" is checked twice: no INSERT/UPDATE/DELETE (bar the
session's) during each request, and every row of every model equal before and after the loop.
"""

import datetime
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import openpyxl
import pytest
from django.apps import apps
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.shortcuts import resolve_url
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.resolvers import RoutePattern
from django.utils import timezone

from facilities.models import Facility, LegalForm, Product, Recognition, Sector, YearlyFigure
from khuyencong import jobs
from khuyencong.localities import apply_reorganisation
from khuyencong.models import Job, JobStatus, Locality, Notification, Role, User
from projects.applications import workflow
from projects.detail.urls import ActionConverter
from projects.models import (
    AcceptanceReview,
    ActivityType,
    Allocation,
    AnnualPlan,
    Comment,
    Disbursement,
    FollowUpAction,
    FundingSource,
    MonitoringVisit,
    Programme,
    ProgressReport,
    Project,
    ProjectDocument,
    ReportedFigure,
    ReportedIndicator,
    SupportNorm,
)
from tests.conftest import make_user, run_queued_jobs

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
YEAR = TODAY.year
LAST = YEAR - 1  # approved projects, figures and recognitions live a year back: all in the past
MARK = "ZZ-B-"  # begins every name of district B's records
MARK_A = "ZZ-A-"

# --- the world: one record of each kind in district A and one in district B -----------------


@dataclass
class Side:
    district: Locality
    commune: Locality
    facility: Facility
    figure: YearlyFigure
    product: Product
    recognition: Recognition
    project: Project  # approved last year, past its end date (overdue), on the shared allocation
    draft: Project  # this year's draft
    document: ProjectDocument
    comment: Comment
    notification: Notification  # for the side's district officer
    job: Job  # a finished export of the side's district officer, its file still kept
    follow_up: FollowUpAction
    review: AcceptanceReview
    visit: MonitoringVisit
    report: ProgressReport
    disbursement: Disbursement


@dataclass
class World:
    a: Side
    b: Side
    users: dict
    programme: Programme
    plan: AnnualPlan
    allocation: Allocation
    norm: SupportNorm
    source: FundingSource
    activity: ActivityType
    reported: object = None  # a ReportedFigure: province-level, entered by the centre

    def side(self, name: str) -> Side:
        return self.a if name == "a" else self.b

    def b_markers(self) -> list[str]:
        """What identifies district B's records on a page or in a workbook."""
        return [MARK, self.b.facility.tax_code, self.b.project.code, self.b.draft.code]


def _finished_job(officer, prefix: str) -> Job:
    book = openpyxl.Workbook()
    book.active["A1"] = f"{prefix}Tệp xuất của cán bộ"
    content = io.BytesIO()
    book.save(content)
    now = timezone.now()
    return Job.objects.create(
        owner=officer,
        kind="facilities.export",
        title=f"{prefix}Xuất Excel danh sách cơ sở",
        status=JobStatus.DONE,
        file=SimpleUploadedFile(f"{prefix}xuat.xlsx", content.getvalue()),
        file_name=f"{prefix}xuat.xlsx",
        scope_key=jobs.scope_key(officer),
        message=f"{prefix}Đã xuất",
        finished_at=now,
        expires_at=now + datetime.timedelta(days=7),
    )


def _side(name, *, district, commune, officer, staff, manager, allocation, sector, training):
    prefix = MARK if name == "b" else MARK_A
    facility = Facility.objects.create(
        name=f"{prefix}Cơ sở chế biến miến dong",
        legal_form=LegalForm.ENTERPRISE,
        tax_code="7770000002" if name == "b" else "7770000001",
        locality=commune,
        main_sector=sector,
        address=f"{prefix}Địa chỉ xóm Nà",
        representative=f"{prefix}Người đại diện",
    )
    figure = YearlyFigure.objects.create(
        facility=facility, year=LAST, workers=12, revenue=900_000_000, capital=400_000_000
    )
    product = Product.objects.create(facility=facility, name=f"{prefix}Sản phẩm miến dong")
    recognition = Recognition.objects.create(
        product=product, level="provincial", year=LAST, certificate_number=f"{prefix}GCN-01"
    )
    project = workflow.create_project(
        by=officer,
        title=f"{prefix}Đề án máy sấy miến",
        activity_type=training,
        funding_source=allocation.funding_source,
        year=LAST,
        facility=facility,
        locality=commune,
        implementing_unit=f"{prefix}Đơn vị thực hiện",
        total_cost=300_000_000,
        requested_support=200_000_000,
        counterpart_funds=100_000_000,
        start_date=datetime.date(LAST, 3, 1),
        end_date=datetime.date(LAST, 12, 31),
    )
    workflow.submit(project=project, by=officer)
    workflow.appraise(
        project=project,
        by=staff,
        recommended_amount=200_000_000,
        opinion="Đủ điều kiện",
        no_conflict=True,
    )
    project = workflow.approve(
        project=project,
        by=manager,
        decision_number=f"{prefix}15/QĐ-SCT",
        decision_date=datetime.date(LAST, 2, 15),
        approved_amount=200_000_000,
        allocation=allocation,
    )
    draft = workflow.create_project(
        by=officer,
        title=f"{prefix}Đề án nháp đào tạo nghề",
        activity_type=training,
        funding_source=allocation.funding_source,
        year=YEAR,
        facility=facility,
        locality=commune,
        implementing_unit=f"{prefix}Đơn vị thực hiện",
        total_cost=150_000_000,
        requested_support=100_000_000,
        counterpart_funds=50_000_000,
        start_date=datetime.date(YEAR, 3, 1),
        end_date=datetime.date(YEAR, 12, 31),
    )
    document = ProjectDocument.objects.create(
        project=project,
        kind="proposal",
        file=SimpleUploadedFile(f"{prefix}thuyet-minh.pdf", b"%PDF-1.4 audit"),
        original_name=f"{prefix}thuyet-minh.pdf",
        size=14,
        uploaded_by=officer,
    )
    comment = Comment.objects.create(project=project, author=officer, text=f"{prefix}Ý kiến")
    notification = Notification.objects.create(
        recipient=officer,
        kind="end_date_passed",
        title=f"{prefix}Thông báo đề án quá hạn",
        body=f"{prefix}Nội dung thông báo",
        url=project.get_absolute_url(),
    )
    job = _finished_job(officer, prefix)
    follow_up = FollowUpAction.objects.create(
        project=project,
        description=f"{prefix}Việc khắc phục quá hạn",
        owner=officer,
        due_date=TODAY - datetime.timedelta(days=10),
    )
    review = AcceptanceReview.objects.create(
        project=project, scheduled_date=TODAY, place=f"{prefix}Hội trường"
    )
    visit = MonitoringVisit.objects.create(
        project=project, date=TODAY, place=f"{prefix}Xưởng", progress_percent=40, created_by=officer
    )
    report = ProgressReport.objects.create(
        project=project,
        period_start=datetime.date(LAST, 3, 1),
        period_end=datetime.date(LAST, 5, 31),
        progress_percent=30,
        submitted_by=officer,
    )
    disbursement = Disbursement.objects.create(
        project=project,
        kind="payment",
        date=datetime.date(LAST, 3, 1),
        amount=10_000_000,
        voucher_number=f"{prefix}PC-01",
    )
    return Side(
        district=district,
        commune=commune,
        facility=facility,
        figure=figure,
        product=product,
        recognition=recognition,
        project=project,
        draft=draft,
        document=document,
        comment=comment,
        notification=notification,
        job=job,
        follow_up=follow_up,
        review=review,
        visit=visit,
        report=report,
        disbursement=disbursement,
    )


@pytest.fixture
def world(
    officer, other_officer, staff, manager, viewer, district_a, commune_a1, district_b, commune_b1
):
    # District B's own names carry the marker too: they are B's identifying strings.
    for locality, name in ((district_b, f"{MARK}Huyện Bắc"), (commune_b1, f"{MARK}Xã Bắc Một")):
        locality.name = name
        locality.save()
    other_officer.full_name = f"{MARK}Cán bộ huyện Bắc"
    other_officer.save()
    superuser = make_user("quantri", Role.CENTRE_STAFF, is_superuser=True, is_staff=True)
    source = FundingSource.objects.get(code="KCĐP")
    training = ActivityType.objects.get(code="DTN")
    programme = Programme.objects.create(
        name="Chương trình khuyến công kiểm thử", start_year=LAST - 1, end_year=YEAR + 2
    )
    plan = AnnualPlan.objects.create(year=LAST, programme=programme)
    allocation = Allocation.objects.create(
        year=LAST,
        funding_source=source,
        decision_number="01/QĐ-UBND",
        decision_date=datetime.date(LAST, 1, 10),
        amount=1_000_000_000,
    )
    common = {
        "staff": staff,
        "manager": manager,
        "allocation": allocation,
        "sector": Sector.objects.get(code="CBNLTS"),
        "training": training,
    }
    a = _side("a", district=district_a, commune=commune_a1, officer=officer, **common)
    b = _side("b", district=district_b, commune=commune_b1, officer=other_officer, **common)
    return World(
        a=a,
        b=b,
        users={
            "officer": officer,
            "other_officer": other_officer,
            "staff": staff,
            "manager": manager,
            "viewer": viewer,
            "superuser": superuser,
        },
        programme=programme,
        plan=plan,
        allocation=allocation,
        norm=SupportNorm.objects.order_by("pk").first(),
        source=source,
        activity=training,
        reported=ReportedFigure.objects.create(
            year=LAST,
            indicator=ReportedIndicator.WORKERS,
            value=1234,
            source="Báo cáo số 01/BC-SCT",
            entered_by=staff,
        ),
    )


# --- the table of routes ---------------------------------------------------------------------

PUBLIC = "public"  # reachable signed out (each with its own expectation in PUBLIC_EXPECTED)
PAGE = "page"  # read-only, every signed-in role
FORM = "form"  # a form (GET) that saves (POST): editors only, never a viewer
POST_ONLY = "post"  # a change by POST only (GET → 405): editors only, never a viewer
MANAGER = "manager"  # province-level planning forms: managers only
PROVINCE = "province"  # province-level figures the centre enters: centre staff and managers
OWN = "own"  # the user's own notifications and settings: every signed-in user, own rows only

STAFF = "staff"  # the persona who sees district B's records on most list pages

LOCALITY = "locality"  # the args name a record of one district: another district's → 404
OWNER = "owner"  # the args name a record of one user: another user's → 404

Args = Callable[[World, str], dict | list[dict]]


@dataclass(frozen=True)
class Route:
    kind: str
    args: Args = field(default=lambda w, s: {})
    scope: str | None = None  # LOCALITY or OWNER when the args name a scoped record
    # Query strings a district officer might try on a list or report, to pull other districts in.
    variants: Callable[[World], list[dict]] = field(default=lambda w: [])
    # Who sees district B's records here (proves the district officer's check is not vacuous).
    shows_b: str | None = None
    post_only: bool = False  # GET → 405 (POST_ONLY routes are always)

    @property
    def only_post(self) -> bool:
        return self.post_only or self.kind == POST_ONLY


def _facility(w, s):
    return {"pk": w.side(s).facility.pk}


def _projects(w, s):
    return [{"pk": w.side(s).project.pk}, {"pk": w.side(s).draft.pk}]


def _actions(w, s):
    return [
        {"pk": p["pk"], "action": action}
        for p in _projects(w, s)
        for action in ActionConverter.slugs.values()
    ]


def _list_variants(w):
    return [
        {"q": "zz-b"},  # B's names begin so; the search folds case (the box echoes "zz-b")
        {"q": "mien dong"},
        {"locality": w.b.commune.pk},
        {"locality": w.b.district.pk},
    ]


def _project_variants(w):
    return [
        *_list_variants(w),
        {"year": LAST},
        {"facility": w.b.facility.pk},
        {"status": "approved"},
        {"sort": "-code"},
    ]


def _report_variants(extra):
    def build(w):
        rows = [{}, *extra(w), {"locality": w.b.district.pk}, {"locality": w.b.commune.pk}]
        return rows + [{**row, "format": "xlsx"} for row in rows]

    return build


ROUTES: dict[str, Route] = {
    # Core
    "login": Route(PUBLIC),
    "logout": Route(PUBLIC),
    "set_language": Route(PUBLIC),
    "healthz": Route(PUBLIC),
    "favicon": Route(PUBLIC),
    # Sign-in and the user's own account (khuyencong/account_urls.py)
    "password_reset": Route(PUBLIC),
    "password_reset_done": Route(PUBLIC),
    "password_reset_confirm": Route(PUBLIC, lambda w, s: {"uidb64": "MQ", "token": "x-y"}),
    "password_reset_complete": Route(PUBLIC),
    "password_change": Route(OWN),
    "password_change_done": Route(OWN),
    "two_factor": Route(OWN),
    "two_factor_verify": Route(OWN),
    "two_factor_backup": Route(OWN, post_only=True),
    "two_factor_disable": Route(OWN, post_only=True),
    "session_keepalive": Route(OWN),
    # The auth and audit log: managers (and superusers) only
    "audit_log": Route(MANAGER, variants=lambda w: [{"kind": "login"}]),
    "home": Route(
        PAGE,
        variants=lambda w: [{"year": LAST}, {"locality": w.b.district.pk}, {"year": "abc"}],
        shows_b=STAFF,
    ),
    # Facility registry
    "facilities:list": Route(PAGE, variants=_list_variants, shows_b=STAFF),
    "facilities:export": Route(PAGE, variants=_list_variants, shows_b=STAFF),
    "facilities:import": Route(FORM),
    "facilities:import_template": Route(FORM),
    "facilities:import_confirm": Route(POST_ONLY),
    "facilities:import_cancel": Route(POST_ONLY),
    "facilities:figures_import": Route(FORM),
    "facilities:figures_import_template": Route(FORM),
    "facilities:figures_import_confirm": Route(POST_ONLY),
    "facilities:figures_import_cancel": Route(POST_ONLY),
    "facilities:create": Route(FORM),
    "facilities:detail": Route(PAGE, _facility, LOCALITY),
    "facilities:edit": Route(FORM, _facility, LOCALITY),
    "facilities:history": Route(PAGE, _facility, LOCALITY),
    "facilities:figures": Route(PAGE, _facility, LOCALITY),
    "facilities:figure_create": Route(FORM, _facility, LOCALITY),
    "facilities:figure_edit": Route(
        FORM, lambda w, s: {**_facility(w, s), "record_pk": w.side(s).figure.pk}, LOCALITY
    ),
    "facilities:figure_delete": Route(
        POST_ONLY, lambda w, s: {**_facility(w, s), "record_pk": w.side(s).figure.pk}, LOCALITY
    ),
    "facilities:products": Route(PAGE, _facility, LOCALITY),
    "facilities:product_create": Route(FORM, _facility, LOCALITY),
    "facilities:product_edit": Route(
        FORM, lambda w, s: {**_facility(w, s), "record_pk": w.side(s).product.pk}, LOCALITY
    ),
    "facilities:product_delete": Route(
        POST_ONLY, lambda w, s: {**_facility(w, s), "record_pk": w.side(s).product.pk}, LOCALITY
    ),
    "facilities:recognition_create": Route(
        FORM, lambda w, s: {**_facility(w, s), "parent_pk": w.side(s).product.pk}, LOCALITY
    ),
    "facilities:recognition_edit": Route(
        FORM,
        lambda w, s: {**_facility(w, s), "record_pk": w.side(s).recognition.pk},
        LOCALITY,
    ),
    "facilities:recognition_delete": Route(
        POST_ONLY,
        lambda w, s: {**_facility(w, s), "record_pk": w.side(s).recognition.pk},
        LOCALITY,
    ),
    # Notifications (scoped to the recipient, not to a locality)
    # Background jobs (scoped to their owner, not to a locality)
    "jobs:list": Route(OWN),
    "jobs:detail": Route(OWN, lambda w, s: {"pk": w.side(s).job.pk}, OWNER),
    "jobs:progress": Route(OWN, lambda w, s: {"pk": w.side(s).job.pk}, OWNER),
    "jobs:download": Route(OWN, lambda w, s: {"pk": w.side(s).job.pk}, OWNER),
    "notifications:list": Route(PAGE, variants=lambda w: [{"state": "unread"}]),
    "notifications:badge": Route(PUBLIC),
    "notifications:latest": Route(PAGE),
    "notifications:mark_all_read": Route(OWN, post_only=True),
    "notifications:preferences": Route(OWN),
    "notifications:open": Route(OWN, lambda w, s: {"pk": w.side(s).notification.pk}, OWNER),
    "notifications:mark_read": Route(
        OWN, lambda w, s: {"pk": w.side(s).notification.pk}, OWNER, post_only=True
    ),
    # Projects
    "projects:list": Route(PAGE, variants=_project_variants, shows_b=STAFF),
    "projects:export": Route(PAGE, variants=_project_variants, shows_b=STAFF),
    "projects:create": Route(FORM),
    "projects:my_work": Route(PAGE, shows_b="other_officer"),
    "projects:my_work_group": Route(
        PAGE, args=lambda w, s: {"key": "to_submit"}, shows_b="other_officer"
    ),
    "projects:norm_hint": Route(
        PAGE,
        variants=lambda w: [
            {
                "activity_type": w.activity.pk,
                "funding_source": w.source.pk,
                "total_cost": "300.000.000",
                "requested_support": "200.000.000",
            }
        ],
    ),
    "projects:detail": Route(PAGE, _projects, LOCALITY),
    # Close-out: follow-through lists and the forms of the project page
    "projects:upcoming_reviews": Route(PAGE, variants=_list_variants),
    "projects:overdue_actions": Route(PAGE, variants=_list_variants, shows_b=STAFF),
    "projects:missing_reports": Route(PAGE, variants=_list_variants),
    "projects:record_visit": Route(FORM, _projects, LOCALITY),
    "projects:file_report": Route(FORM, _projects, LOCALITY),
    "projects:disburse": Route(FORM, _projects, LOCALITY),
    "projects:schedule_review": Route(FORM, _projects, LOCALITY),
    "projects:review_outcome": Route(
        FORM,
        lambda w, s: {"pk": w.side(s).project.pk, "review_pk": w.side(s).review.pk},
        LOCALITY,
    ),
    "projects:complete_follow_up": Route(
        POST_ONLY,
        lambda w, s: {"pk": w.side(s).project.pk, "action_pk": w.side(s).follow_up.pk},
        LOCALITY,
    ),
    # Corrections of close-out records (sửa, hủy, ghi đảo).
    **{
        name: Route(
            FORM,
            lambda w, s, kw=kw, attr=attr: {
                "pk": w.side(s).project.pk,
                kw: getattr(w.side(s), attr).pk,
            },
            LOCALITY,
        )
        for name, kw, attr in [
            ("projects:edit_review", "review_pk", "review"),
            ("projects:cancel_review", "review_pk", "review"),
            ("projects:edit_visit", "visit_pk", "visit"),
            ("projects:cancel_visit", "visit_pk", "visit"),
            ("projects:edit_follow_up", "action_pk", "follow_up"),
            ("projects:cancel_follow_up", "action_pk", "follow_up"),
            ("projects:edit_report", "report_pk", "report"),
            ("projects:cancel_report", "report_pk", "report"),
            ("projects:reverse_disbursement", "disbursement_pk", "disbursement"),
        ]
    },
    "projects:edit": Route(FORM, _projects, LOCALITY),
    "projects:action": Route(FORM, _actions, LOCALITY),
    "projects:document_upload": Route(POST_ONLY, _projects, LOCALITY),
    "projects:document_download": Route(
        PAGE,
        lambda w, s: {"pk": w.side(s).project.pk, "doc_pk": w.side(s).document.pk},
        LOCALITY,
    ),
    "projects:comment_add": Route(POST_ONLY, _projects, LOCALITY),
    # Planning: province-level data; everyone signed in reads, managers change.
    "planning:index": Route(PAGE),
    "planning:programme_create": Route(MANAGER),
    "planning:programme_detail": Route(PAGE, lambda w, s: {"pk": w.programme.pk}),
    "planning:programme_edit": Route(MANAGER, lambda w, s: {"pk": w.programme.pk}),
    "planning:plan_create": Route(MANAGER),
    "planning:plan_detail": Route(PAGE, lambda w, s: {"year": w.plan.year}),
    "planning:plan_edit": Route(MANAGER, lambda w, s: {"year": w.plan.year}),
    "planning:allocation_list": Route(PAGE, variants=lambda w: [{"year": LAST}]),
    "planning:allocation_create": Route(MANAGER),
    "planning:allocation_detail": Route(PAGE, lambda w, s: {"pk": w.allocation.pk}, shows_b=STAFF),
    "planning:allocation_edit": Route(MANAGER, lambda w, s: {"pk": w.allocation.pk}),
    "planning:norm_list": Route(PAGE, variants=lambda w: [{"hien": "tat-ca"}]),
    "planning:norm_create": Route(MANAGER),
    "planning:norm_edit": Route(MANAGER, lambda w, s: {"pk": w.norm.pk}),
    "planning:catalogue": Route(PAGE),
    "planning:catalogue_create": Route(
        MANAGER, lambda w, s: [{"kind": "sources"}, {"kind": "activities"}]
    ),
    "planning:catalogue_edit": Route(
        MANAGER,
        lambda w, s: [
            {"kind": "sources", "pk": w.source.pk},
            {"kind": "activities", "pk": w.activity.pk},
        ],
    ),
    # Reports: every role reads; a district officer sees only their own localities.
    "reports:index": Route(PAGE),
    "reports:annual": Route(
        PAGE, variants=_report_variants(lambda w: [{"year": LAST}]), shows_b=STAFF
    ),
    "reports:programme": Route(
        PAGE, variants=_report_variants(lambda w: [{"programme": w.programme.pk}]), shows_b=STAFF
    ),
    "reports:facilities": Route(
        PAGE,
        variants=_report_variants(lambda w: [{"first_year": LAST - 1, "last_year": YEAR}]),
        shows_b=STAFF,
    ),
    "reports:products": Route(
        PAGE,
        variants=_report_variants(lambda w: [{"first_year": LAST - 1, "last_year": YEAR}]),
        shows_b=STAFF,
    ),
    "reports:register": Route(
        PAGE,
        variants=_report_variants(lambda w: [{"year_from": LAST, "year_to": YEAR}]),
        shows_b=STAFF,
    ),
    "reports:filing": Route(MANAGER),
    "reports:reported": Route(PAGE),
    "reports:reported_create": Route(PROVINCE),
    "reports:reported_edit": Route(PROVINCE, lambda w, s: {"pk": w.reported.pk}),
}

# What signed-out users get from the public routes (anything else: the login page).
PUBLIC_EXPECTED = {
    "login": {200},
    "logout": {405},  # POST only
    "set_language": {204, 302},  # nothing to show, no data
    "notifications:badge": {200},  # an empty badge (checked below), not the login page
    "healthz": {200, 503},  # for monitors: a small JSON with no records (tests/khuyencong)
    "favicon": {302},  # to the static icon
    "password_reset": {200},  # asks for an e-mail address
    "password_reset_done": {200},  # says a link was sent, whatever the address
    "password_reset_confirm": {200},  # this link is invalid: says so
    "password_reset_complete": {200},  # says the password was set
}


# --- enumerating the resolver ----------------------------------------------------------------


@dataclass(frozen=True)
class Pattern:
    name: str | None  # "namespace:name"
    namespace: str
    route: str  # the whole pattern text, for messages
    pattern: URLPattern
    prefix: str


def all_patterns(patterns=None, prefix="", namespace="") -> list[Pattern]:
    found = []
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            ns = namespace
            if entry.namespace:
                ns = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            found += all_patterns(entry.url_patterns, prefix + str(entry.pattern), ns)
        else:
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
            text = prefix + str(entry.pattern)
            found.append(Pattern(name, namespace, text, entry, prefix))
    return found


def portal_patterns() -> list[Pattern]:
    return [p for p in all_patterns() if p.namespace != "admin"]


def admin_patterns() -> list[Pattern]:
    return [p for p in all_patterns() if p.namespace == "admin"]


def urls_of(world: World, name: str, side: str = "a") -> list[str]:
    route = ROUTES[name]
    args = route.args(world, side)
    return [reverse(name, kwargs=kw) for kw in (args if isinstance(args, list) else [args])]


def admin_urls() -> list[tuple[str, str]]:
    """(label, concrete URL) of every admin pattern, named or not."""
    values = {"app_label": "khuyencong", "url": "khong-co/"}
    found = []
    for p in admin_patterns():
        matcher = p.pattern.pattern
        if isinstance(matcher, RoutePattern):
            if p.name:
                kwargs = {k: values.get(k, "1") for k in matcher.converters}
                url = reverse(p.name, kwargs=kwargs)
            else:
                url = "/" + re.sub(r"<[^>]+>", "1", p.route)
        else:
            regex = matcher.regex
            if p.name and regex.groupindex:
                url = reverse(p.name, kwargs={k: values.get(k, "1") for k in regex.groupindex})
            elif p.name:
                url = reverse(p.name, args=["1"] * regex.groups)
            elif set(regex.groupindex) == {"url"}:  # the admin's catch-all
                url = "/" + p.prefix + values["url"]
            else:
                raise AssertionError(f"cannot build a URL for admin pattern {p.route!r}")
        found.append((p.name or p.route, url))
    return found


# --- helpers ---------------------------------------------------------------------------------

# Writes here are the session itself (signing in, messages) and the audit log (a download or
# an export is recorded there: who read what), not records.
NOT_RECORDS = {"sessions.Session", "khuyencong.AuditEvent"}
WRITE_SQL = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)


def snapshot() -> dict[str, list]:
    """Every row of every model (bar sessions): a change of any field shows."""
    return {
        model._meta.label: list(model._base_manager.order_by("pk").values_list())
        for model in apps.get_models()
        if model._meta.label not in NOT_RECORDS
    }


def changed_models(before: dict, after: dict) -> list[str]:
    return sorted(label for label in before if before[label] != after[label])


class NoWrites:
    """Around a whole loop of requests: `check(label)` after each request lists the tables it
    wrote to (any INSERT, UPDATE or DELETE but the session's); on leaving, every row of every
    model is compared with how it was before, so nothing slips past the SQL check either."""

    def __init__(self, failures: list[str]):
        self.failures = failures
        self.session_table = apps.get_model("sessions", "Session")._meta.db_table
        self.audit_table = apps.get_model("khuyencong", "AuditEvent")._meta.db_table

    def __enter__(self):
        self.before = snapshot()
        self.capture = CaptureQueriesContext(connection)
        self.capture.__enter__()
        self.seen = 0
        return self

    def check(self, label: str) -> None:
        queries = self.capture.captured_queries[self.seen :]
        self.seen = len(self.capture.captured_queries)
        writes = [
            q["sql"][:120]
            for q in queries
            if WRITE_SQL.match(q["sql"])
            and self.session_table not in q["sql"]
            and self.audit_table not in q["sql"]
        ]
        if writes:
            self.failures.append(f"{label} wrote to the database: {writes}")

    def __exit__(self, *exc):
        self.capture.__exit__(*exc)
        if exc[0] is None and (changed := changed_models(self.before, snapshot())):
            self.failures.append(f"rows changed in {changed}")


def payload() -> dict:
    """A POST body that would pass most forms: a refused request must not save it."""
    return {
        "text": "Viewer wrote this",
        "reason": "Viewer reason",
        "comment": "Viewer comment",
        "opinion": "Viewer opinion",
        "no_conflict": "on",
        "recommended_amount": "1.000.000",
        "approved_amount": "1.000.000",
        "decision_number": "99/QĐ",
        "decision_date": f"15/02/{LAST}",
        "name": "Viewer name",
        "year": str(LAST - 3),
        "workers": "3",
        "revenue": "1.000.000",
        "capital": "1.000.000",
        "level": "national",
        "certificate_number": "V-1",
        "kind": "other",
        "note": "viewer",
        "token": "x" * 24,
        "file": SimpleUploadedFile("viewer.pdf", b"%PDF-1.4 viewer"),
    }


def request(client, method: str, url: str):
    """The response, or the exception a view raised (reported as a failure, not a crash)."""
    try:
        if method == "GET":
            return client.get(url)
        return client.post(url, payload())
    except Exception as exc:  # noqa: BLE001 — every failure of the table is reported together
        return exc


def status_of(response) -> str | int:
    return response.status_code if hasattr(response, "status_code") else repr(response)


def text_of(response) -> str:
    """What a user can read in the response: the HTML, or every cell of a workbook."""
    content = (
        b"".join(response.streaming_content)
        if getattr(response, "streaming", False)
        else response.content
    )
    if "spreadsheetml" in response.get("Content-Type", ""):
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
        cells = [
            str(value)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
            for value in row
            if value is not None
        ]
        return "\n".join([*book.sheetnames, *cells])
    if response.get("Content-Type", "").startswith("text/"):
        return content.decode()
    return ""


def sent_to_login(response, login_url: str) -> bool:
    return response.status_code == 302 and response.url.split("?")[0] == login_url


def with_query(url: str, query: dict) -> str:
    from urllib.parse import urlencode

    return f"{url}?{urlencode(query)}" if query else url


def every_url(world: World, side: str, kinds: set[str] | None = None):
    """(name, route, url) for every classified portal URL built with `side`'s records."""
    for name, route in ROUTES.items():
        if kinds is None or route.kind in kinds:
            for url in urls_of(world, name, side):
                yield name, route, url


def report(failures: list[str]) -> str:
    return f"{len(failures)} URL(s) break the access rules:\n  " + "\n  ".join(failures)


# --- 1. every URL is classified --------------------------------------------------------------


def test_it_knows_every_url():
    patterns = portal_patterns()
    unnamed = [p.route for p in patterns if not p.name]
    names = {p.name for p in patterns if p.name}
    unknown = sorted(names - set(ROUTES))
    stale = sorted(set(ROUTES) - names)
    assert not unnamed, f"Give these URL patterns a name and classify them in ROUTES: {unnamed}"
    assert not unknown, (
        "New URL names: classify each in ROUTES (tests/test_access_audit.py) as PUBLIC, PAGE, "
        f"FORM, POST_ONLY, MANAGER or OWN, with how to build its args: {unknown}"
    )
    assert not stale, f"ROUTES names URLs that no longer exist; remove them: {stale}"
    public = {name for name, route in ROUTES.items() if route.kind == PUBLIC}
    assert public == set(PUBLIC_EXPECTED), "say what a signed-out user gets: PUBLIC_EXPECTED"


def test_it_builds_a_url_for_every_route_and_every_admin_pattern(world):
    for name in ROUTES:
        for side in ("a", "b"):
            assert urls_of(world, name, side), name
    assert len(admin_urls()) == len(admin_patterns())


# --- 2a. anonymous users ---------------------------------------------------------------------


def test_anonymous_users_are_sent_to_the_login_page(client, world):
    login_url = resolve_url(settings.LOGIN_URL)
    failures = []
    with NoWrites(failures) as db:
        for name, route, url in every_url(world, "a"):
            for method in ("GET", "POST"):
                response = request(client, method, url)
                db.check(f"{method} {url}")
                if route.kind == PUBLIC:
                    if method == "GET" and status_of(response) not in PUBLIC_EXPECTED[name]:
                        failures.append(f"{method} {url} ({name}) → {status_of(response)}")
                elif isinstance(response, Exception) or not sent_to_login(response, login_url):
                    failures.append(f"{method} {url} ({name}) → {status_of(response)}")
    assert not failures, report(failures)


def test_the_badge_is_empty_when_signed_out(client):
    response = client.get(reverse("notifications:badge"))
    assert response.status_code == 200
    assert response.content.strip() == b""


def test_the_login_page_shows_no_records(client, world):
    text = client.get(reverse("login")).content.decode()
    for marker in (MARK_A, *world.b_markers()):
        assert marker not in text


# --- 2b. a district officer and another district's records ----------------------------------


def _refused_everywhere(client, world: World, side: str, failures: list[str], who: str = ""):
    """Every URL naming a record of `side` gives the signed-in user a 404, GET and POST."""
    with NoWrites(failures) as db:
        for name, route, url in every_url(world, side):
            if route.scope is None:
                continue
            for method in ("GET", "POST"):
                response = request(client, method, url)
                db.check(f"{method} {url}")
                # A POST-only URL refuses the GET, and a read-only page the POST, before it looks
                # anything up (405): no hint either.
                read_only = method == "POST" and not route.only_post and status_of(response) == 405
                expected = (
                    {404, 405} if (method == "GET" and route.only_post) or read_only else {404}
                )
                if status_of(response) not in expected:
                    failures.append(f"{who}{method} {url} ({name}) → {status_of(response)}")


@pytest.mark.parametrize("user, side", [("officer", "b"), ("other_officer", "a")])
def test_an_officer_gets_404_for_another_districts_records(client, world, user, side):
    client.force_login(world.users[user])
    failures = []
    _refused_everywhere(client, world, side, failures)
    assert not failures, report(failures)


# --- 2c. the tree reorganised: a merged commune's officer and a neighbouring commune's -------

# 1/7/2025-style: district A's commune goes into a new commune N, district B's commune moves
# up under the province, both districts end.
REORGANISATION = {
    "reference": "NQ kiểm thử sắp xếp",
    "effective": "2025-07-01",
    "changes": [
        {
            "op": "merge",
            "from": ["A1"],
            "into": {"code": "N", "name": "Mới Hợp Nhất", "kind": "commune", "parent": "T"},
        },
        {"op": "move", "code": "B1", "parent": "T"},
        {"op": "dissolve", "code": "A", "into": "T"},
        {"op": "dissolve", "code": "B", "into": "T"},
    ],
}


def _opens_every_record_of(client, world: World, side: str, failures: list[str], who: str):
    for name, route, url in every_url(world, side, {PAGE, FORM}):
        if route.scope != LOCALITY or route.only_post:
            continue
        status = status_of(request(client, "GET", url))
        if status not in {200, 302} | ({403} if route.kind == FORM else set()):
            failures.append(f"{who}GET {url} ({name}) → {status}")


@pytest.mark.parametrize("phase", ["before", "after"])
def test_a_merged_communes_officer_reads_the_old_records_and_a_neighbour_gets_404(
    client, world, phase
):
    """Before and after a reorganisation: the officers of A (the district's officer, whom it
    reassigns, and a new officer of the commune A1 went into) open every record of A and get
    a 404 on B's; the officer of the neighbouring commune gets a 404 on A's."""
    officers = {"officer": world.users["officer"]}
    neighbour = world.users["other_officer"]
    if phase == "after":
        apply_reorganisation(REORGANISATION)
        officers = {
            "officer": User.objects.get(pk=officers["officer"].pk),
            "new commune": make_user(
                "xa_moi", Role.DISTRICT_OFFICER, Locality.objects.by_code("N")
            ),
        }
        neighbour = User.objects.get(pk=neighbour.pk)
        assert [loc.code for loc in officers["officer"].localities.all()] == ["N"]
        assert [loc.code for loc in neighbour.localities.all()] == ["B1"]
        assert Locality.objects.by_code("B1").parent.code == "T"
    failures = []
    for who, officer in officers.items():
        client.force_login(officer)
        _opens_every_record_of(client, world, "a", failures, f"{who}: ")
        _refused_everywhere(client, world, "b", failures, f"{who}: ")
    client.force_login(neighbour)
    _opens_every_record_of(client, world, "b", failures, "neighbour: ")
    _refused_everywhere(client, world, "a", failures, "neighbour: ")
    assert not failures, report(failures)


def test_after_a_reorganisation_no_page_shows_the_neighbours_records(client, world):
    apply_reorganisation(REORGANISATION)
    client.force_login(make_user("xa_moi", Role.DISTRICT_OFFICER, Locality.objects.by_code("N")))
    markers = world.b_markers()
    failures = []
    seen_a = False
    for name, url, text in _readable(client, world):
        if isinstance(text, Exception):
            failures.append(f"GET {url} ({name}) raised {text!r}")
        elif found := [m for m in markers if m in text]:
            failures.append(f"GET {url} ({name}) shows {found}")
        seen_a = seen_a or MARK_A in str(text)
    assert seen_a, "the new commune's officer should read district A's old records"
    assert not failures, report(failures)


def mixed_urls(world: World):
    """(name, route, url) with district A's record in `pk` and district B's sub-record (figure,
    product, recognition, document) in the other parameters."""
    for name, route in ROUTES.items():
        if route.scope != LOCALITY:
            continue
        a_args, b_args = route.args(world, "a"), route.args(world, "b")
        pairs = zip(a_args, b_args, strict=True) if isinstance(a_args, list) else [(a_args, b_args)]
        for a, b in pairs:
            children = set(a) - {"pk", "action"}
            if children:
                yield name, route, reverse(name, kwargs={**a, **{k: b[k] for k in children}})


@pytest.mark.parametrize("user", ["officer", "staff"])
def test_a_sub_record_of_another_facility_or_project_is_a_404(client, world, user):
    """/co-so/<A's facility>/so-lieu/<B's figure>/sua/ and the like: the parent is in scope,
    the child is not its own."""
    client.force_login(world.users[user])
    failures = []
    with NoWrites(failures) as db:
        for name, route, url in mixed_urls(world):
            for method in ("GET", "POST"):
                response = request(client, method, url)
                db.check(f"{method} {url}")
                # 405: the method is refused before anything is looked up (no hint either).
                expected = {404, 405} if (method == "GET") == route.only_post else {404}
                if status_of(response) not in expected:
                    failures.append(f"{method} {url} ({name}) → {status_of(response)}")
    assert failures == [] and len(list(mixed_urls(world))) >= 8, report(failures)


def test_the_same_urls_open_for_those_who_may_see_the_record(client, world):
    """The 404s above are not vacuous: each URL works for someone who may see its record."""
    failures = []
    for user, side, scopes in (
        ("officer", "a", {LOCALITY, OWNER}),
        ("other_officer", "b", {LOCALITY, OWNER}),
        ("staff", "b", {LOCALITY}),
        ("manager", "b", {LOCALITY}),
        ("viewer", "b", {LOCALITY}),
    ):
        client.force_login(world.users[user])
        for name, route, url in every_url(world, side, {PAGE, FORM, OWN}):
            if route.scope not in scopes or route.only_post:
                continue
            response = request(client, "GET", url)
            allowed = {200, 302} | ({403} if route.kind == FORM else set())
            if status_of(response) not in allowed:
                failures.append(f"{user}: GET {url} ({name}) → {status_of(response)}")
    assert not failures, report(failures)


SCOPED_POSTS = sorted(
    name for name, r in ROUTES.items() if r.only_post and r.scope in {LOCALITY, OWNER}
)


@pytest.mark.parametrize("name", SCOPED_POSTS)
def test_an_officer_may_post_to_own_records(client, world, name):
    """The POST-only URLs of the 404 check work for the record's own district officer."""
    client.force_login(world.users["officer"])
    for url in urls_of(world, name, "a"):
        response = request(client, "POST", url)
        assert status_of(response) in {200, 302}, f"POST {url} → {status_of(response)}"


def test_an_officer_cannot_file_records_under_another_district(client, world):
    client.force_login(world.users["officer"])
    facility = world.a.facility
    failures = []
    with NoWrites(failures) as db:
        client.post(
            reverse("facilities:create"),
            {
                "name": "Cơ sở lấn địa bàn",
                "legal_form": LegalForm.ENTERPRISE,
                "tax_code": "7770000099",
                "locality": world.b.commune.pk,
                "main_sector": facility.main_sector_id,
            },
        )
        db.check("create a facility in district B")
        client.post(
            reverse("facilities:edit", args=[facility.pk]),
            {
                "name": facility.name,
                "legal_form": facility.legal_form,
                "tax_code": facility.tax_code,
                "locality": world.b.commune.pk,
                "main_sector": facility.main_sector_id,
            },
        )
        db.check("move a facility to district B")
        client.post(
            reverse("projects:create"),
            {
                "title": "Đề án lấn địa bàn",
                "activity_type": world.activity.pk,
                "funding_source": world.source.pk,
                "year": str(YEAR),
                "locality": world.b.commune.pk,
                "facility": world.b.facility.pk,
                "implementing_unit": "Đơn vị",
                "total_cost": "150.000.000",
                "requested_support": "100.000.000",
                "counterpart_funds": "50.000.000",
                "start_date": f"01/03/{YEAR}",
                "end_date": f"31/10/{YEAR}",
            },
        )
        db.check("file a project in district B")
    assert not failures, report(failures)


# --- 2c. the viewer changes nothing ----------------------------------------------------------

# Read-only pages that answer a POST like a GET (200, or the detail page's redirect) instead of
# a 405. Nothing is written (the viewer test below checks every one of them for writes), but a
# viewer's POST should meet a 403 or 405 everywhere: `require_safe` on these views would do.
READ_PAGES_ANSWERING_POST: set[str] = set()  # every read-only page refuses POST (405)


def test_a_viewer_is_refused_every_post_and_nothing_changes(client, world):
    client.force_login(world.users["viewer"])
    failures = []
    answered = set()
    with NoWrites(failures) as db:
        for side in ("a", "b"):
            for name, route, url in every_url(world, side):
                if route.kind in {PUBLIC, OWN}:
                    continue
                response = request(client, "POST", url)
                db.check(f"POST {url}")
                status = status_of(response)
                if status in {200, 302} and name in READ_PAGES_ANSWERING_POST:
                    answered.add(name)
                elif status not in {403, 405}:
                    failures.append(f"POST {url} ({name}) → {status}")
    if fixed := sorted(READ_PAGES_ANSWERING_POST - answered):
        failures.append(f"now refuse POST, remove from READ_PAGES_ANSWERING_POST: {fixed}")
    assert not failures, report(failures)


def test_a_viewer_gets_403_on_every_form(client, world):
    client.force_login(world.users["viewer"])
    failures = []
    for side in ("a", "b"):
        for name, _route, url in every_url(world, side, {FORM, MANAGER, PROVINCE}):
            response = request(client, "GET", url)
            if status_of(response) != 403:
                failures.append(f"GET {url} ({name}) → {status_of(response)}")
    assert not failures, report(failures)


def test_a_viewer_reads_every_page(client, world):
    client.force_login(world.users["viewer"])
    failures = []
    for side in ("a", "b"):
        for name, _route, url in every_url(world, side, {PAGE}):
            response = request(client, "GET", url)
            if status_of(response) not in {200, 302}:
                failures.append(f"GET {url} ({name}) → {status_of(response)}")
    assert not failures, report(failures)


# --- planning: province-level data, managers change it ---------------------------------------


def test_only_managers_open_the_planning_forms(client, world):
    failures = []
    for user in ("officer", "other_officer", "staff", "viewer"):
        client.force_login(world.users[user])
        with NoWrites(failures) as db:
            for name, _route, url in every_url(world, "a", {MANAGER}):
                for method in ("GET", "POST"):
                    response = request(client, method, url)
                    db.check(f"{user}: {method} {url}")
                    if status_of(response) != 403:
                        failures.append(f"{user}: {method} {url} ({name}) → {status_of(response)}")
    for user in ("manager", "superuser"):
        client.force_login(world.users[user])
        for name, _route, url in every_url(world, "a", {MANAGER}):
            if status_of(response := request(client, "GET", url)) != 200:
                failures.append(f"{user}: GET {url} ({name}) → {status_of(response)}")
    assert not failures, report(failures)


def test_everyone_signed_in_reads_the_planning_pages(client, world):
    failures = []
    for user in ("officer", "other_officer", "staff", "manager", "viewer"):
        client.force_login(world.users[user])
        for name, _route, url in every_url(world, "a", {PAGE}):
            if not name.startswith("planning:"):
                continue
            if status_of(response := request(client, "GET", url)) != 200:
                failures.append(f"{user}: GET {url} ({name}) → {status_of(response)}")
    assert not failures, report(failures)


def test_only_managers_see_the_planning_edit_links(client, world):
    url = reverse("planning:allocation_detail", args=[world.allocation.pk])
    edit = reverse("planning:allocation_edit", args=[world.allocation.pk])
    for user, shown in (("manager", True), ("staff", False), ("officer", False), ("viewer", False)):
        client.force_login(world.users[user])
        assert (edit in client.get(url).content.decode()) is shown, user


# --- notifications: another user's → 404 ----------------------------------------------------


def test_another_users_notification_is_a_404_for_everyone(client, world):
    failures = []
    for user in ("officer", "staff", "manager", "viewer", "superuser"):
        client.force_login(world.users[user])
        with NoWrites(failures) as db:
            for name, route, url in every_url(world, "b", {OWN}):
                if route.scope != OWNER:
                    continue
                for method in ("GET", "POST"):
                    response = request(client, method, url)
                    db.check(f"{user}: {method} {url}")
                    expected = {404, 405} if method == "GET" and route.only_post else {404}
                    if status_of(response) not in expected:
                        failures.append(f"{user}: {method} {url} ({name}) → {status_of(response)}")
    assert not failures, report(failures)


def test_marking_all_read_touches_only_ones_own(client, world):
    client.force_login(world.users["officer"])
    client.post(reverse("notifications:mark_all_read"))
    world.a.notification.refresh_from_db()
    world.b.notification.refresh_from_db()
    assert world.a.notification.read_at is not None
    assert world.b.notification.read_at is None


# --- 2d. the Django admin is for superusers only ---------------------------------------------


def _admin_refusals(client, failures):
    """Every admin URL, GET and POST: to the admin login (its own logout: to the admin index,
    which sends to the login), nothing written; the login form itself shows no records."""
    login_url, index_url = reverse("admin:login"), reverse("admin:index")
    with NoWrites(failures) as db:
        for label, url in admin_urls():
            for method in ("GET", "POST"):
                response = request(client, method, url)
                db.check(f"{method} {url}")
                status = status_of(response)
                if isinstance(response, Exception):
                    failures.append(f"{method} {url} ({label}) → {status}")
                elif url == login_url:
                    text = text_of(response)
                    if status not in {200, 302} or MARK_A in text or MARK in text:
                        failures.append(f"{method} {url} ({label}) → {status}")
                elif not (
                    sent_to_login(response, login_url)
                    or (label == "admin:logout" and status == 302 and response.url == index_url)
                ):
                    failures.append(f"{method} {url} ({label}) → {status}")


@pytest.mark.parametrize("role", ["officer", "staff", "manager", "viewer"])
def test_the_admin_refuses_staff_users_who_are_not_superusers(client, world, role):
    user = world.users[role]
    user.is_staff = True
    user.save()
    client.force_login(user)
    failures = []
    _admin_refusals(client, failures)
    assert not failures, report(failures)


def test_the_admin_refuses_anonymous_users(client, world):
    failures = []
    _admin_refusals(client, failures)
    assert not failures, report(failures)


def test_a_superuser_opens_the_admin(client, world):
    client.force_login(world.users["superuser"])
    assert client.get(reverse("admin:index")).status_code == 200
    url = reverse("admin:facilities_facility_change", args=[world.b.facility.pk])
    assert world.b.facility.name in client.get(url).content.decode()


# --- 2e. what a district officer reads -------------------------------------------------------


def _readable(client, world, names=None):
    """(name, url, text) of every page and download (side A, every variant) the signed-in user
    can GET with a 200."""
    for name, route, url in every_url(world, "a", {PAGE, FORM, OWN}):
        if names is not None and name not in names:
            continue
        for query in [{}, *route.variants(world)]:
            full = with_query(url, query)
            response = request(client, "GET", full)
            if isinstance(response, Exception):
                yield name, full, response
            elif response.status_code == 200:
                yield name, full, text_of(response)


def test_an_officer_never_reads_another_districts_records(client, world):
    client.force_login(world.users["officer"])
    markers = world.b_markers()
    failures = []
    for name, url, text in _readable(client, world):
        if isinstance(text, Exception):
            failures.append(f"GET {url} ({name}) raised {text!r}")
        elif found := [m for m in markers if m in text]:
            failures.append(f"GET {url} ({name}) shows {found}")
    assert not failures, report(failures)


def test_those_who_may_do_read_district_bs_records(client, world):
    """The check above would pass on empty pages: these pages do show B to the right users."""
    missing = []
    for user in {route.shows_b for route in ROUTES.values() if route.shows_b}:
        client.force_login(world.users[user])
        names = {name for name, route in ROUTES.items() if route.shows_b == user}
        shown = {name for name, _url, text in _readable(client, world, names) if MARK in str(text)}
        missing += [f"{user}: {name}" for name in sorted(names - shown)]
    assert not missing, f"District B's records do not show on: {missing}"


# --- the facility import: rows of another district, someone else's upload -------------------

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _upload(client, **row):
    from tests.facilities.test_excel import good_row, xlsx

    content = xlsx([good_row(**row)]).read()
    return client.post(
        reverse("facilities:import"),
        {"file": SimpleUploadedFile("co-so.xlsx", content, content_type=XLSX)},
    )


def test_an_officer_cannot_import_facilities_into_another_district(client, world):
    client.force_login(world.users["officer"])
    response = _upload(client, **{"Mã địa bàn": "B1", "Mã số thuế": "7770000077"})
    assert "nằm ngoài phạm vi bạn phụ trách" in response.content.decode()
    # A crafted confirmation: the job checks the rows again as the officer and saves none.
    before = Facility.objects.count()
    client.post(reverse("facilities:import_confirm"), {"token": response.context["token"]})
    assert run_queued_jobs() == ["failed"]
    assert Job.objects.get(owner=world.users["officer"], kind="facilities.import").result[
        "row_errors"
    ]
    assert Facility.objects.count() == before


def test_an_import_belongs_to_the_session_that_uploaded_it(client, world):
    """Officer A cannot confirm nor cancel officer B's pending import, even knowing its token."""
    other = Client()
    other.force_login(world.users["other_officer"])
    token = _upload(other, **{"Mã địa bàn": "B1", "Mã số thuế": "7770000078"}).context["token"]

    client.force_login(world.users["officer"])
    failures = []
    with NoWrites(failures) as db:
        client.post(reverse("facilities:import_confirm"), {"token": token})
        db.check("confirm B's import")
        client.post(reverse("facilities:import_cancel"), {"token": token})
        db.check("cancel B's import")
    assert not failures, report(failures)

    # B's preview is still there to confirm.
    assert other.post(reverse("facilities:import_confirm"), {"token": token}).status_code == 302
    assert run_queued_jobs() == ["done"]
    assert Facility.objects.filter(tax_code="7770000078", locality=world.b.commune).exists()


def test_an_officer_cannot_import_figures_of_another_districts_facility(client, world):
    from tests.facilities.test_figures_import import row, xlsx

    client.force_login(world.users["officer"])
    content = xlsx([row(tax=world.b.facility.tax_code, year=LAST)]).read()
    response = client.post(
        reverse("facilities:figures_import"),
        {"file": SimpleUploadedFile("so-lieu.xlsx", content, content_type=XLSX)},
    )
    assert "ngoài phạm vi bạn phụ trách" in response.content.decode()
    failures = []
    with NoWrites(failures) as db:
        client.post(
            reverse("facilities:figures_import_confirm"), {"token": response.context["token"]}
        )
        db.check("confirm figures of district B's facility")
    assert not failures, report(failures)
    # The template an officer fills lists only the officer's own facilities.
    template = client.get(reverse("facilities:figures_import_template"))
    text = text_of(template)
    assert world.b.facility.tax_code not in text and MARK not in text


def test_only_centre_staff_and_managers_enter_reported_figures(client, world):
    failures = []
    for user in ("officer", "other_officer", "viewer"):
        client.force_login(world.users[user])
        with NoWrites(failures) as db:
            for name, _route, url in every_url(world, "a", {PROVINCE}):
                for method in ("GET", "POST"):
                    response = request(client, method, url)
                    db.check(f"{user}: {method} {url}")
                    if status_of(response) != 403:
                        failures.append(f"{user}: {method} {url} ({name}) → {status_of(response)}")
    for user in ("staff", "manager", "superuser"):
        client.force_login(world.users[user])
        for name, _route, url in every_url(world, "a", {PROVINCE}):
            if status_of(response := request(client, "GET", url)) != 200:
                failures.append(f"{user}: GET {url} ({name}) → {status_of(response)}")
    assert not failures, report(failures)
