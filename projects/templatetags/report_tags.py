"""Formatting of report cells and links that may not exist yet on every installation."""

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

from khuyencong.money import format_vnd
from projects.reports import format_percent
from projects.reports.filing import scale, unit_kind
from projects.reports.tables import NoData

register = template.Library()

DASH = "–"


@register.filter
def cell(pair):
    """(value, kind) → the text shown in a report table cell."""
    value, kind = pair
    if isinstance(value, NoData):
        return str(value)
    if value is None or value == "":
        return DASH if kind != "text" else ""
    if kind == "money":
        return format_vnd(value)
    if kind == "int":
        return format_vnd(value, symbol=False)
    if kind == "percent":
        return format_percent(value)
    if kind in ("scaled", "scaled2"):
        decimals = 2 if kind == "scaled2" else 0
        # 1,234.50 → 1.234,50: Vietnamese separators.
        return f"{value:,.{decimals}f}".translate(str.maketrans(",.", ".,"))
    if kind == "year":
        return str(value)  # never "2.024"
    return value


@register.filter
def raw(pair):
    """The plain number behind a cell (data-value attribute), empty for text."""
    value, kind = pair
    if isinstance(value, NoData):
        return str(value)  # no number behind it: the page and the workbook say the same words
    if kind == "text" or value is None:
        return ""
    return str(value)


@register.filter
def amount(value, unit):
    """An amount in đồng shown in `unit` (nghìn, triệu, tỷ đồng: rounded half up from the
    exact đồng, reports/filing.py) without a symbol; the column header says the unit."""
    kind = unit_kind(unit)
    return cell((scale(value, unit), "int" if kind == "money" else kind))


@register.filter
def amount_value(value, unit):
    """The number behind `amount` (data-value attribute)."""
    return "" if value is None or value == "" else str(scale(value, unit))


@register.filter
def row_cells(row, head_class=""):
    """A table row's cells as HTML: the first a row header, each number with its data-value.

    The same markup the template wrote cell by cell (reports/_table.html), built in Python: a
    report's tables are hundreds of cells, each a loop step, an if, two filters and their
    escaping in the template engine."""
    parts = []
    head = f' class="{conditional_escape(head_class)}"' if head_class else ""
    for index, pair in enumerate(row):
        text = conditional_escape(localize(cell(pair)))
        if index == 0:
            parts.append(f'<th scope="row"{head}>{text}</th>')
        elif pair[1] != "text":
            value = conditional_escape(raw(pair))
            parts.append(f'<td class="money" data-value="{value}">{text}</td>')
        else:
            parts.append(f"<td>{text}</td>")
    return mark_safe("".join(parts))  # every piece above is escaped


@register.filter
def percent(value):
    return format_percent(value)


@register.simple_tag
def optional_url(name, *args):
    """The URL of `name`, or "" when that page is not installed."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


@register.filter
def project_url(project):
    try:
        return project.get_absolute_url()
    except NoReverseMatch:
        return ""
