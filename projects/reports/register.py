"""5. Danh mục đề án: every project of a period with its key figures."""

import datetime
import functools
from dataclasses import dataclass, field
from functools import cached_property
from types import SimpleNamespace

from django.conf import settings
from django.core.paginator import Page
from django.db.models import (
    Count,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _

from khuyencong import compiled
from khuyencong.models import Locality, LocalityKind
from khuyencong.paging import ListPaginator, page_rows
from projects.applications.rows import NAMES
from projects.models import (
    SIGNED_AMOUNT,
    DeadlineCode,
    Disbursement,
    LegalDeadline,
    Project,
    Status,
    settlement_due,
    settlement_overdue,
)
from projects.reports.base import Area, counted_counterpart, counted_reviews
from projects.reports.filing import Letterhead, Unit, in_unit, letterhead, unit_note
from projects.reports.tables import OUTCOME_COLUMNS_SHORT, Column, Table

# --- 5. project register ------------------------------------------------------------------

STREAM_CHUNK = 2000


REGISTER_COLUMNS = [
    ("code", gettext_lazy("Mã đề án"), "text"),
    ("title", gettext_lazy("Tên đề án"), "text"),
    ("beneficiary", gettext_lazy("Đơn vị thụ hưởng"), "text"),
    ("locality", gettext_lazy("Địa bàn thực hiện"), "text"),
    ("activity", gettext_lazy("Nội dung khuyến công"), "text"),
    ("source", gettext_lazy("Nguồn kinh phí"), "text"),
    ("year", gettext_lazy("Năm"), "year"),
    ("status", gettext_lazy("Trạng thái"), "text"),
    ("decision", gettext_lazy("Số quyết định"), "text"),
    ("total_cost", gettext_lazy("Tổng kinh phí"), "money"),
    ("approved", gettext_lazy("Kinh phí được phê duyệt"), "money"),
    ("disbursed", gettext_lazy("Đã giải ngân"), "money"),
    ("settled", gettext_lazy("Đã quyết toán"), "money"),
    ("settlement_due", gettext_lazy("Hạn quyết toán"), "text"),
    ("counterpart", gettext_lazy("Vốn đối ứng (thực tế khi đã nghiệm thu)"), "money"),
    ("jobs_created", gettext_lazy("Việc làm tạo mới"), "int"),
    ("people_trained", gettext_lazy("Người được đào tạo"), "int"),
    ("employed_after_training", gettext_lazy("Có việc làm sau đào tạo"), "int"),
]


def register_projects(projects: QuerySet) -> QuerySet:
    """Projects with their register figures annotated (disbursed, outcomes achieved)."""
    disbursed = (
        Disbursement.objects.filter(project_id=OuterRef("pk"))
        .order_by()
        .values("project_id")
        .annotate(total=Sum(SIGNED_AMOUNT))
        .values("total")
    )
    review = counted_reviews().filter(project_id=OuterRef("pk"))
    outcome_annotations = {
        f"achieved_{k}": Subquery(review.values(f"achieved_{k}")[:1], output_field=IntegerField())
        for k in OUTCOME_COLUMNS_SHORT
    }
    return projects.for_list().annotate(
        disbursed=Coalesce(Subquery(disbursed, output_field=IntegerField()), Value(0)),
        counted_counterpart=counted_counterpart(),
        **outcome_annotations,
    )


# What a page of the screen reads of each project (values(), no model instances): the columns it
# shows and what its settlement cell and locality's name are made of.
PAGE_COLUMNS = (
    "pk",
    "code",
    "title",
    "facility_id",
    "implementing_unit",
    "year",
    "status",
    "decision_number",
    "total_cost",
    "approved_amount",
    "settled_amount",
    "counterpart_funds",
    "accepted_on",
    "settled_on",
    *Locality.value_columns(),
)
# The names from the short reference tables and the facility, by a subquery each rather than a
# join (as the project list reads them, projects/applications/rows.py).
PAGE_NAMES = {
    "facility_name": NAMES["facility_name"],
    "activity_name": NAMES["activity_type_name"],
    "source_code": NAMES["funding_source_code"],
}


def _page_values(projects: QuerySet) -> QuerySet:
    return projects.values(*PAGE_COLUMNS, **PAGE_NAMES)


@functools.lru_cache(maxsize=16)
def _status_labels(language: str | None) -> dict[str, str]:
    """The statuses' labels in `language`, the active one (part of the key only; translations
    change only with a deploy): get_status_display translates every choice on every call."""
    return {value: str(label) for value, label in Status.choices}


def figures_of(ids: tuple[int, ...]) -> tuple[dict, dict]:
    """What `register_projects` annotates — disbursed, counted counterpart, achieved outcomes —
    for the projects `ids`, in two queries: each project's disbursed total, and its counted
    review's figures (at most one per project). For one page of the screen: PostgreSQL takes
    some 9 ms to plan the page's query with the four subqueries of the counted review, and a
    few rows are cheaper to read apart. Both statements are compiled once per process and
    number of ids (khuyencong.compiled): building the counted review's took the ORM longer than
    PostgreSQL takes to run both."""
    disbursed = compiled.values_rows(
        ("register.disbursed",),
        lambda projects: (
            Disbursement.objects.filter(project_id__in=projects)
            .values("project_id")
            .annotate(total=Sum(SIGNED_AMOUNT))
            .order_by()
            .values("project_id", "total")
        ),
        projects=ids,
    )
    reviews = compiled.values_rows(
        ("register.reviews",),
        lambda projects: (
            counted_reviews()
            .filter(project_id__in=projects)
            .values(
                "project_id",
                "counterpart_invested",
                *[f"achieved_{k}" for k in OUTCOME_COLUMNS_SHORT],
            )
            .order_by()
        ),
        projects=ids,
    )
    return (
        {r["project_id"]: r["total"] for r in disbursed},
        {r["project_id"]: r for r in reviews},
    )


@dataclass
class Register:
    """Danh mục đề án: every project of a period with its key figures."""

    area: Area
    first_year: int
    last_year: int
    # The projects of the period as filtered, in the register's order (year, code).
    selected: QuerySet
    totals: dict = field(default_factory=dict)
    settlement_rule: LegalDeadline | None = None
    today: datetime.date = field(default_factory=timezone.localdate)
    # How it is filed (reports/filing.py): amounts in this unit, this number in the letterhead.
    unit: str = Unit.DONG
    number: str = ""

    @cached_property
    def projects(self) -> QuerySet:
        """The projects annotated with their figures (register_projects), for the workbook:
        built when asked for, as the screen's page reads its figures apart (`page`)."""
        return register_projects(self.selected)

    @property
    def heading(self) -> str:
        return _("Danh mục đề án khuyến công")

    @property
    def period(self) -> str:
        years = (
            str(self.first_year)
            if self.first_year == self.last_year
            else f"{self.first_year}–{self.last_year}"
        )
        return " · ".join([_("Năm %(year)s") % {"year": years}, self.area.label])

    @staticmethod
    def columns() -> list[Column]:
        return [Column(key, str(label), kind) for key, label, kind in REGISTER_COLUMNS]

    def settlement_cell(self, p: Project) -> str:
        """The settlement deadline of an accepted project, flagged when it has passed."""
        due = settlement_due(p, self.settlement_rule)
        if due is None:
            return ""
        if settlement_overdue(p, self.settlement_rule, self.today):
            late = _("quyết toán muộn") if p.settled_on else _("quá hạn quyết toán")
            return f"{due:%d/%m/%Y} – {late}"
        return f"{due:%d/%m/%Y}"

    def row(self, p: Project, statuses: dict, kinds: dict) -> list:
        """One project's line; `statuses` and `kinds` are the translated labels, looked up
        once per table (get_FOO_display translates every choice on every call)."""
        return [
            p.code,
            p.title,
            p.facility.name if p.facility_id else p.implementing_unit,
            f"{kinds.get(p.locality.kind, '')} {p.locality.name}".strip(),
            p.activity_type.name,
            p.funding_source.code,
            p.year,
            statuses.get(p.status, p.status),
            p.decision_number,
            p.total_cost,
            p.approved_amount,
            p.disbursed,
            p.settled_amount if p.status == Status.SETTLED else None,
            self.settlement_cell(p),
            p.counted_counterpart,
            *[getattr(p, f"achieved_{k}") for k in OUTCOME_COLUMNS_SHORT],
        ]

    def total_row(self) -> list:
        t = self.totals
        return [
            ngettext("Tổng cộng (%(n)s đề án)", "Tổng cộng (%(n)s đề án)", t["count"])
            % {"n": t["count"]},
            *[""] * 8,
            t["total_cost"],
            t["approved"],
            t["disbursed"],
            t["settled"],
            "",
            t["counterpart"],
            *[t[k] for k in OUTCOME_COLUMNS_SHORT],
        ]

    def table(self, rows=None) -> Table:
        rows = self.projects if rows is None else rows
        statuses = {value: str(label) for value, label in Status.choices}
        kinds = {value: str(label) for value, label in LocalityKind.choices}
        return Table(
            "register",
            self.heading,
            self.columns(),
            [self.row(p, statuses, kinds) for p in rows],
            self.total_row(),
        )

    def tables(self) -> list[Table]:
        return [self.table()]

    def page(self, number) -> Page:
        """One page of the register for the screen: its projects as dicts (`page_rows`) with
        their figures, status label, locality's name and settlement cell; counted by the total
        line already (no second COUNT)."""
        paginator = ListPaginator(self.selected, settings.PAGE_SIZE)
        paginator.count = self.totals["count"]
        page = paginator.get_page(number)
        rows = page_rows(page, "reports.register", _page_values)
        disbursed, reviews = figures_of(tuple(r["pk"] for r in rows)) if rows else ({}, {})
        labels = _status_labels(get_language())
        for r in rows:
            review = reviews.get(r["pk"])
            r["disbursed"] = disbursed.get(r["pk"]) or 0
            invested = review["counterpart_invested"] if review else 0
            counted = invested if invested and invested > 0 else r["counterpart_funds"]
            r["counted_counterpart"] = counted
            for k in OUTCOME_COLUMNS_SHORT:
                r[f"achieved_{k}"] = review[f"achieved_{k}"] if review else None
            r["status_label"] = labels.get(r["status"], r["status"])
            r["locality"] = Locality.label_of_values(r)
            r["settlement_cell"] = self.settlement_cell(SimpleNamespace(**r))
        page.object_list = rows
        return page

    def streamed_tables(self) -> list[Table]:
        """For the workbook: the rows are produced while it is written, a chunk of projects at
        a time, so ten years of a province never sit in memory at once."""
        table = self.table(rows=[])
        table.rows = self._streamed_rows()
        return [table]

    def filed_tables(self) -> list[Table]:
        """The workbook's tables in the unit chosen: each amount, totals included, rounded
        from its exact đồng (reports/filing.py)."""
        return [in_unit(t, self.unit) for t in self.streamed_tables()]

    def letterhead(self) -> Letterhead:
        return letterhead(number=self.number, on=self.today)

    @property
    def unit_label(self) -> str:
        return str(Unit(self.unit or Unit.DONG).label)

    @property
    def unit_note(self) -> str:
        return unit_note(self.unit)

    def _streamed_rows(self):
        statuses = {value: str(label) for value, label in Status.choices}
        kinds = {value: str(label) for value, label in LocalityKind.choices}
        for p in self.projects.iterator(chunk_size=STREAM_CHUNK):
            yield self.row(p, statuses, kinds)


def project_register(
    *,
    area: Area,
    projects: QuerySet,
    first_year: int,
    last_year: int,
    unit: str = "",
    number: str = "",
    totals: QuerySet | None = None,
    key: tuple | None = None,
) -> Register:
    """`projects`: already scoped and filtered (a FilterSet's queryset); `unit` and `number`:
    how it is filed (reports/filing.py). `totals`: the running totals (ProjectTotals) of the
    same projects — the register's filter applied to `Area.totals()`, which holds every field
    it filters on — to read the total line from them rather than from every project, its
    disbursements and its reviews; only the count and the total cost are read from the
    projects then. `key`: everything `projects` and `totals` are built from (the scope, the
    period and the filter's values), to compile the total line's two statements once per
    process (khuyencong.compiled); without one the ORM builds them."""
    projects = projects.filter(year__gte=first_year, year__lte=last_year)
    if totals is not None:
        totals = totals.filter(year__gte=first_year, year__lte=last_year)
        sums = _sums(
            key and ("register.count", *key),
            lambda: projects,
            count=Count("id"),
            total_cost=Coalesce(Sum("total_cost"), 0),
        )
        sums.update(
            _sums(
                key and ("register.totals", *key),
                lambda: totals,
                approved=Coalesce(Sum("approved"), 0),
                settled=Coalesce(Sum("settled", filter=Q(status=Status.SETTLED)), 0),
                counterpart=Coalesce(Sum("counterpart_counted"), 0),
                disbursed=Coalesce(Sum("disbursed"), 0),
                **{k: Coalesce(Sum(f"achieved_{k}"), 0) for k in OUTCOME_COLUMNS_SHORT},
            )
        )
    else:
        sums = _totals_of(projects)
    return Register(
        area=area,
        first_year=first_year,
        last_year=last_year,
        selected=projects.order_by("year", "code"),
        totals=sums,
        settlement_rule=_settlement_rule(),
        unit=unit or Unit.DONG,
        number=number or "",
    )


def _settlement_rule() -> LegalDeadline | None:
    """LegalDeadline.lookup(SETTLEMENT), its statement compiled once per process."""
    rules = compiled.instances(
        ("register.settlement_rule",),
        lambda: LegalDeadline.objects.filter(code=DeadlineCode.SETTLEMENT).order_by("code")[:1],
    )
    return rules[0] if rules else None


def _sums(key: tuple | None, build, **aggregates) -> dict:
    """`build().aggregate(**aggregates)`, compiled once per process under `key` if given."""
    if key is None:
        return build().aggregate(**aggregates)
    return compiled.aggregate(key, build, **aggregates)


def _totals_of(projects: QuerySet) -> dict:
    """The register's total line read from the projects themselves (any set of projects)."""
    totals = projects.aggregate(
        count=Count("id"),
        total_cost=Coalesce(Sum("total_cost"), 0),
        approved=Coalesce(Sum("approved_amount"), 0),
        settled=Coalesce(Sum("settled_amount", filter=Q(status=Status.SETTLED)), 0),
        planned=Coalesce(Sum("counterpart_funds"), 0),
    )
    totals["disbursed"] = (
        Disbursement.objects.filter(project__in=projects).aggregate(s=Sum(SIGNED_AMOUNT))["s"] or 0
    )
    recorded = Q(counterpart_invested__gt=0)
    achieved = (
        counted_reviews()
        .filter(project__in=projects)
        .aggregate(
            **{k: Coalesce(Sum(f"achieved_{k}"), 0) for k in OUTCOME_COLUMNS_SHORT},
            recorded=Coalesce(Sum("counterpart_invested", filter=recorded), 0),
            replaced=Coalesce(Sum("project__counterpart_funds", filter=recorded), 0),
        )
    )
    # The sum of counted_counterpart() without a subquery per project: what was committed,
    # with what a counted review recorded as invested in place of the commitment it replaces
    # (a project has at most one counted review).
    totals["counterpart"] = (
        totals.pop("planned") + achieved.pop("recorded") - achieved.pop("replaced")
    )
    totals.update(achieved)
    return totals
