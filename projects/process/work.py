"""The lines of "Việc của tôi" as its pages and the dashboard's card show them: the groups of
work, their items and the projects those name, read as plain values; and the join that gives a
statement's rows their locality's label (`with_localities`)."""

import datetime
from dataclasses import dataclass, field

from django.db import connection
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from khuyencong.models import Locality
from projects.models import Project

# The groups, in the order of a project's life.
TITLES = {
    "to_submit": _("Đề án cần hoàn thiện và nộp"),
    "to_appraise": _("Đề án chờ thẩm định"),
    "to_approve": _("Đề án chờ phê duyệt"),
    "to_sign": _("Đề án đã phê duyệt, cần ký hợp đồng thực hiện"),
    "to_report": _("Báo cáo tiến độ đến hạn chưa nộp"),
    "to_visit": _("Đề án cần kiểm tra, giám sát"),
    "to_request_acceptance": _("Đề án sắp hết hạn thực hiện, cần đề nghị nghiệm thu"),
    "follow_ups": _("Việc khắc phục giao cho tôi"),
    "to_schedule_review": _("Đề án đề nghị nghiệm thu, cần lập lịch nghiệm thu"),
    "council": _("Nghiệm thu tôi là thành viên hội đồng"),
    "to_record_outcome": _("Nghiệm thu đã đến ngày, cần ghi nhận kết quả"),
    "to_settle": _("Đề án đã nghiệm thu, cần quyết toán"),
}


# The columns of a project that a line of work shows (code, title, locality as filed).
PROJECT_COLUMNS = (
    "pk",
    "code",
    "title",
    *Locality.value_columns(),
)


class ProjectValues:
    """A project read as plain values (no model instance, no related rows) with its detail
    URL (`pk`, `url`): equal to the Project of the same id, as a model instance would be."""

    pk: int
    url: str

    def get_absolute_url(self) -> str:
        return self.url

    def __eq__(self, other) -> bool:
        if isinstance(other, ProjectValues | Project):
            return self.pk == other.pk
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.pk)


@dataclass(eq=False)
class WorkProject(ProjectValues):
    """A project as a line of work shows it."""

    pk: int
    code: str
    title: str
    locality: str
    url: str


class WorkRows:
    """Builds WorkProjects from values rows whose project columns carry `prefix`."""

    def __init__(self):
        url = reverse("projects:detail", args=[0])
        self.url_prefix, self.url_suffix = url.rsplit("/0/", 1)
        # Each locality's label, worked out once for the rows of this request.
        self.localities: dict[int, str] = {}

    def project(self, row: dict, prefix: str = "") -> WorkProject:
        pk = row[f"{prefix}pk"]
        locality = Locality.label_of_values(row, f"{prefix}locality__")
        return WorkProject(
            pk,
            row[f"{prefix}code"],
            row[f"{prefix}title"],
            locality,
            f"{self.url_prefix}/{pk}/{self.url_suffix}",
        )

    def project_of_line(self, row: dict) -> WorkProject:
        """From a row of the compiled statements: the project's columns carry `p_`, with its
        locality's id (with_localities)."""
        locality = self.localities.get(row["p_locality_id"])
        if locality is None:
            locality = Locality.label_of_values(row, "p_locality__")
            self.localities[row["p_locality_id"]] = locality
        pk = row["p_pk"]
        return WorkProject(
            pk,
            row["p_code"],
            row["p_title"],
            locality,
            f"{self.url_prefix}/{pk}/{self.url_suffix}",
        )


@dataclass
class WorkItem:
    project: WorkProject
    due: datetime.date | None = None
    note: str = ""
    anchor: str = ""
    overdue: bool = False

    @property
    def url(self) -> str:
        url = self.project.get_absolute_url()
        return f"{url}#{self.anchor}" if self.anchor else url


@dataclass
class WorkGroup:
    key: str
    title: str
    items: list[WorkItem] = field(default_factory=list)
    # All the work of the group; `items` may hold only the first ones (soonest due).
    count: int = 0

    @property
    def more(self) -> int:
        return self.count - len(self.items)


def with_localities(sql: str, *, keep_empty: bool = False) -> str:
    """The first items' statement with each row's locality label columns (PROJECT_COLUMNS),
    joined once around the union rather than in each of its dozen branches: that halved the
    time PostgreSQL took to plan and run it. `keep_empty` keeps a row without a project (the
    late reports' count when the page holds none)."""
    qn = connection.ops.quote_name
    table = qn(Locality._meta.db_table)
    pk = qn(Locality._meta.pk.column)
    current = qn(Locality._meta.get_field("current").column)
    columns = []
    for name in Locality.VALUE_COLUMNS:
        alias, field = ("c", name.removeprefix("current__")) if "__" in name else ("l", name)
        column = Locality._meta.get_field(field).column
        columns.append(f"{alias}.{qn(column)} AS {qn('p_locality__' + name)}")
    join = "LEFT OUTER JOIN" if keep_empty else "INNER JOIN"
    return (
        f"SELECT w.*, {', '.join(columns)} FROM ({sql}) w"
        f" {join} {table} l ON l.{pk} = w.{qn('p_locality_id')}"
        f" LEFT OUTER JOIN {table} c ON c.{pk} = l.{current}"
    )
