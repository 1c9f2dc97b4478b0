"""Tables and charts: what a report page shows and what its workbook holds (same objects)."""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from projects.models import (
    OUTCOME_FIELDS,
)
from projects.reports.base import Funds, Group

# --- tables: what a page shows and a workbook holds ---------------------------------------


class NoData:
    """A figure nobody reported (a year without yearly figures): shown "chưa có số liệu" on the
    page and in the workbook, a gap in a chart, never a 0 in a sum or a growth rate."""

    def __bool__(self) -> bool:
        return False

    def __str__(self) -> str:
        return _("chưa có số liệu")

    def __repr__(self) -> str:
        return "NO_DATA"


NO_DATA = NoData()


@dataclass
class Column:
    key: str
    label: str
    # text | int | money | percent | year (a number shown without separator) | scaled and
    # scaled2 (an amount in `unit`, nghìn/triệu/tỷ đồng, with 0 or 2 decimals: reports/filing.py)
    kind: str = "int"
    unit: str = ""


@dataclass
class Chart:
    """A Chart.js chart drawn from the same rows as its table."""

    kind: str  # bar | line | doughnut
    labels: list[str]
    datasets: list[dict]
    stacked: bool = False
    horizontal: bool = False
    # Amounts in đồng: the value axis reads "2,5 tỷ", "500 triệu" instead of bare numbers.
    money: bool = False
    # Datasets (by index) drawn against a second axis on the right, for a figure of another
    # size (42 facilities beside 1 077 workers would lie flat along the bottom).
    secondary: tuple[int, ...] = ()

    @property
    def is_empty(self) -> bool:
        """Nothing but zeros: an empty frame of axes would say nothing the table does not."""
        return not any(v for d in self.datasets for v in d["data"])

    def as_json(self) -> dict:
        return {
            "type": self.kind,
            "labels": [str(label) for label in self.labels],
            "datasets": [
                {
                    "label": str(d["label"]),
                    "data": [None if isinstance(v, NoData) else float(v or 0) for v in d["data"]],
                }
                for d in self.datasets
            ],
            "stacked": self.stacked,
            "horizontal": self.horizontal,
            "money": self.money,
            "secondary": list(self.secondary),
        }


@dataclass
class Table:
    key: str
    title: str
    columns: list[Column]
    rows: list[list]
    total: list | None = None
    chart: Chart | None = None
    note: str = ""
    # What an empty table says (default: "Không có số liệu.").
    empty: str = ""
    # Rows whose count columns hold amounts in đồng (the growth table lists indicators of both
    # kinds under the same columns): row index → the row's label without a unit, which
    # `filing.in_unit` writes again with the unit chosen.
    money_rows: dict[int, str] = field(default_factory=dict)
    # Kinds of the cells of single rows where they differ from their columns' (row index →
    # one kind per column): the money rows once in a unit.
    row_kinds: dict[int, list[str]] = field(default_factory=dict)

    @property
    def shows_chart(self) -> bool:
        return self.chart is not None and not self.chart.is_empty

    @property
    def wide(self) -> bool:
        """Too many columns to share the width with a chart."""
        return len(self.columns) > 5

    def column(self, key: str) -> int:
        return next(i for i, c in enumerate(self.columns) if c.key == key)

    def values(self, key: str) -> list:
        i = self.column(key)
        return [row[i] for row in self.rows]

    def cells(self):
        """Rows as (value, kind) pairs, for templates."""
        kinds = [c.kind for c in self.columns]
        return [
            list(zip(row, self.row_kinds.get(i, kinds), strict=True))
            for i, row in enumerate(self.rows)
        ]

    def total_cells(self):
        if self.total is None:
            return None
        return list(zip(self.total, [c.kind for c in self.columns], strict=True))

    def make_chart(
        self, value_keys: list[str], kind: str = "bar", label_key: str | None = None, **options
    ) -> "Table":
        label_index = self.column(label_key) if label_key else 0
        options.setdefault(
            "money", all(self.columns[self.column(k)].kind == "money" for k in value_keys)
        )
        self.chart = Chart(
            kind=kind,
            labels=[row[label_index] for row in self.rows],
            datasets=[
                {"label": self.columns[self.column(k)].label, "data": self.values(k)}
                for k in value_keys
            ],
            **options,
        )
        return self


def funds_columns(with_budget: bool = False) -> list[Column]:
    columns = []
    if with_budget:
        columns.append(Column("allocated", _("Được giao"), "money"))
    columns += [
        Column("projects", _("Số đề án được phê duyệt")),
        Column("approved", _("Đã phê duyệt"), "money"),
        Column("disbursed", _("Đã giải ngân"), "money"),
        Column("settled", _("Đã quyết toán"), "money"),
    ]
    if with_budget:
        columns.append(Column("remaining", _("Còn lại"), "money"))
    columns.append(Column("counterpart", _("Vốn đối ứng huy động"), "money"))
    return columns


def funds_cells(f: Funds) -> list:
    return [f.projects, f.approved, f.disbursed, f.settled, f.counterpart]


def funds_table(
    key: str, title: str, first: str, groups: list[Group], compact: bool = False
) -> Table:
    """Funds per group; `compact` (the dashboard) leaves out settled and counterpart funds."""
    total = Funds.sum_of(g.figures for g in groups)
    columns = [Column("label", first, "text"), *funds_columns()]
    rows = [[g.label, *funds_cells(g.figures)] for g in groups]
    total_row = [_("Tổng cộng"), *funds_cells(total)]
    if compact:
        keep = [i for i, c in enumerate(columns) if c.key not in ("settled", "counterpart")]
        columns = [columns[i] for i in keep]
        rows = [[row[i] for i in keep] for row in rows]
        total_row = [total_row[i] for i in keep]
    return Table(key, title, columns, rows, total_row)


def budget_cells(allocated, f: Funds, remaining) -> list:
    return [allocated, f.projects, f.approved, f.disbursed, f.settled, remaining, f.counterpart]


def sum_optional(values) -> int | None:
    values = list(values)
    return None if any(v is None for v in values) else sum(values)


OUTCOME_COLUMNS_SHORT = ["jobs_created", "people_trained", "employed_after_training"]


def outcome_label(key: str) -> str:
    return str(dict(OUTCOME_FIELDS)[key])
