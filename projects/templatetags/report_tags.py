"""Formatting of report cells and links that may not exist yet on every installation."""

import datetime
import functools
import unicodedata

from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field
from crispy_forms.utils import render_crispy_form
from django import forms, template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.forms.widgets import Input
from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import truncatechars
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.formats import localize
from django.utils.html import format_html, format_html_join, json_script
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from khuyencong.markup import esc
from khuyencong.money import format_vnd
from khuyencong.templatetags.portal import field_markup
from khuyencong.templatetags.portal import number as number_text
from projects.models import Status
from projects.reports import format_percent
from projects.reports.filing import scale, unit_kind
from projects.reports.tables import OUTCOME_COLUMNS_SHORT, NoData

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


# The kinds `cell` shows through format_vnd.
_WHOLE_KINDS = frozenset(("money", "int"))


@register.filter
def row_cells(row, head_class=""):
    """A table row's cells as HTML: the first a row header, each number with its data-value.

    The same markup a template wrote cell by cell, built in Python: a report's tables are
    hundreds of cells, each a loop step, an if, two filters and their escaping in the template
    engine."""
    parts = []
    head = f' class="{esc(head_class)}"' if head_class else ""
    for index, pair in enumerate(row):
        value, kind = pair
        if index and type(value) is int and kind in _WHOLE_KINDS:
            # Most cells: an amount or a count, whose text (digits, dots, a minus, ₫) and
            # number need no escaping. The same as below, without the general steps.
            text = format_vnd(value, symbol=kind == "money")
            parts.append(f'<td class="money" data-value="{value}">{text}</td>')
            continue
        text = cell(pair)
        # localize() gives a text back as it is.
        text = esc(text if type(text) is str else localize(text))
        if index == 0:
            parts.append(f'<th scope="row"{head}>{text}</th>')
        elif pair[1] != "text":
            value = esc(raw(pair))
            parts.append(f'<td class="money" data-value="{value}">{text}</td>')
        else:
            parts.append(f"<td>{text}</td>")
    return mark_safe("".join(parts))  # every piece above is escaped


@register.filter
def register_rows(rows, unit) -> str:
    """The rows of a page of the project register (Register.page's dicts) as HTML, the markup
    the template wrote variable by variable, with the whitespace of its loop: 25 rows of 14
    cells, each a few variables and filters, were most of the page's time in the template
    engine."""
    try:
        prefix, suffix = reverse("projects:detail", args=[0]).rsplit("/0/", 1)
    except NoReverseMatch:  # as project_url: the code without a link
        prefix = None
    decision = esc(_("QĐ"))
    parts = []
    for p in rows:
        code = esc(p["code"])
        if prefix is not None:
            code = f'<a href="{esc(prefix)}/{p["pk"]}/{esc(suffix)}">{code}</a>'
        unit_of = p["facility_name"] if p["facility_id"] else p["implementing_unit"]
        number = p["decision_number"]
        decided = f" · {decision} {esc(number)}" if number else ""
        settled = (
            (esc(amount_value(p["settled_amount"], unit)), esc(amount(p["settled_amount"], unit)))
            if p["status"] == Status.SETTLED
            else ("", DASH)
        )
        due = p["settlement_cell"]
        late = " text-danger fw-semibold" if DASH in due else ""
        cells = [
            f'<td class="text-nowrap">{code}</td>',
            f'<td>{esc(p["title"])}<div class="small text-muted">{esc(unit_of)} · '
            f"{esc(p['activity_name'])}{decided}</div></td>",
            f"<td>{esc(p['locality'])}</td>",
            f"<td>{esc(p['source_code'])} {esc(localize(p['year']))}</td>",
            f"<td>{esc(p['status_label'])}</td>",
            *(
                f'<td class="money" data-value="{esc(amount_value(p[key], unit))}">'
                f"{esc(amount(p[key], unit))}</td>"
                for key in ("total_cost", "approved_amount", "disbursed")
            ),
            f'<td class="money" data-value="{settled[0]}">{settled[1]}</td>',
            f'<td class="money" data-value="{esc(amount_value(p["counted_counterpart"], unit))}">'
            f"{esc(amount(p['counted_counterpart'], unit))}</td>",
            *(
                f'<td class="money" data-value="{_or_empty(p[f"achieved_{k}"])}">'
                f"{esc(number_text(p[f'achieved_{k}']) or DASH)}</td>"
                for k in OUTCOME_COLUMNS_SHORT
            ),
            f'<td class="text-nowrap{late}">{esc(due or DASH)}</td>',
        ]
        parts.append(
            "\n          <tr>\n            "
            + "\n            ".join(cells)
            + "\n          </tr>\n          "
        )
    return mark_safe("".join(parts))  # every value above is escaped


def _or_empty(value) -> str:
    """`value|default_if_none:''` as the template printed it."""
    return "" if value is None else esc(localize(value))


@register.filter
def report_tables(tables) -> str:
    """A report's tables, each a card with its chart (the dashboard's and every report page's),
    built in Python: the markup the include of a table template wrote, every column header, row,
    note and chart in it a template step. On a phone each table folds under its heading
    (static/js/sections.js); the first stays open."""
    return mark_safe("".join(_table(table, first=i == 0) for i, table in enumerate(tables)))


def _table(table, *, first: bool) -> str:
    key = esc(table.key)
    title = esc(table.title)
    chart = table.shows_chart
    heads = []
    for column in table.columns:
        css = ' class="money"' if column.kind != "text" else ""
        unit = f" ({esc(column.unit)})" if column.unit else ""
        heads.append(f'<th scope="col"{css}>{esc(column.label)}{unit}</th>')
    rows = [f"<tr>{row_cells(row, 'fw-normal')}</tr>" for row in table.cells()]
    if not rows:
        empty = esc(table.empty or _("Không có số liệu."))
        rows.append(f'<tr><td colspan="{len(table.columns)}" class="text-muted">{empty}</td></tr>')
    total = table.total_cells()
    foot = (
        f'<tfoot><tr class="fw-bold table-light report-total">{row_cells(total)}</tr></tfoot>'
        if total
        else ""
    )
    note = f'<p class="small text-muted mt-2 mb-0">{esc(table.note)}</p>' if table.note else ""
    parts = [
        f'<section class="card mb-3 report-section" id="bang-{key}" data-section'
        f"{' data-section-open' if first else ''}>"
        f'<div class="card-header bg-white"><h2 class="h6 mb-0">{title}</h2></div>'
        '<div class="card-body"><div class="row g-3">'
        f'<div class="{"col-xl-7" if chart and not table.wide else "col-12"} report-table-col">'
        '<div class="table-responsive"><table class="table table-sm table-bordered table-hover '
        f'align-middle report-table mb-0" data-table="{key}">'
        f'<thead class="table-light"><tr>{"".join(heads)}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody>{foot}</table></div>{note}</div>"
    ]
    if chart:
        chart_id = f"bieu-do-{table.key}"
        # The translated text is not escaped, the title in it is (as blocktranslate does).
        label = _("Biểu đồ: %(title)s") % {"title": title}
        css = "col-12 col-xl-10 mx-auto" if table.wide else "col-xl-5"
        parts.append(
            f'<div class="{css} report-chart-col"><div class="chart-box">'
            f'<canvas data-chart="{esc(chart_id)}" role="img" '
            f'aria-label="{label}"></canvas></div>'
            f"{json_script(table.chart.as_json(), chart_id)}</div>"
        )
    parts.append("</div></div></section>")
    return "".join(parts)  # every value above is escaped


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


# --- the dashboard's cards ---------------------------------------------------------------------
# Each line as the template wrote it, built in Python with the same filters (truncatechars, date)
# and escaping: the cards are a few dozen lines, each a loop step, ifs, filters and a translation
# in the template engine — for centre staff the largest part of the page's rendering.


def _truncated(value, length: int) -> str:
    """`truncatechars(value, length)`, without the Truncator for a text that fits (most titles
    on the cards): the filter gives such a text back NFC-normalised, as here."""
    if type(value) is str:
        text = unicodedata.normalize("NFC", value)
        if len(text) <= length:
            return text
        return _cut(value, length, translation.get_language())
    return truncatechars(value, length)


@functools.lru_cache(maxsize=1024)
def _cut(text: str, length: int, language: str | None) -> str:
    """truncatechars of a plain text too long for its line, in the active `language` (the
    ellipsis is translated; part of the key only): a function of its arguments alone, so a
    changed title is a new key. The same projects head the cards view after view."""
    return truncatechars(text, length)


def _day(value, format: str, language: str | None) -> str:
    """`date_filter(value, format)`; for a date (no time, so no time zone), read from a
    cache keyed by the active `language` (the format's language: part of the key only).
    The same few dozen due dates head the cards view after view."""
    if type(value) is not datetime.date:
        return date_filter(value, format)
    return _day_of(value, format, language)


@functools.lru_cache(maxsize=4096)
def _day_of(value: datetime.date, format: str, language: str | None) -> str:
    return date_filter(value, format)


@receiver(setting_changed)
def _formats_changed(**kwargs):
    # A date's text depends on the formats' settings too (tests change them).
    _day_of.cache_clear()


@functools.lru_cache(maxsize=16)
def _card_words(language: str | None) -> tuple[str, str]:
    """ "quá hạn" and "hạn" in `language`, the active one (part of the key only; translations
    change only with a deploy): asked for by each group of the cards."""
    return _("quá hạn"), _("hạn")


@register.filter
def work_lines(items) -> str:
    """The <li> lines of a group of "Việc của tôi" on the dashboard (WorkItem)."""
    language = translation.get_language()
    late, due = _card_words(language)
    parts = []
    for item in items:
        line = (
            f'<li><a href="{esc(item.url)}">{esc(item.project.code)}'
            f"</a> – {esc(_truncated(item.project.title, 60))}"
        )
        if item.due:
            css = "text-danger fw-semibold" if item.overdue else "text-muted"
            word = esc(late if item.overdue else due)
            day = esc(_day(item.due, "SHORT_DATE_FORMAT", language))
            line += f' <span class="{css}">({word} {day})</span>'
        parts.append(f"{line}</li>")
    return mark_safe("".join(parts))  # every value above is escaped


@register.filter
def overdue_lines(projects) -> str:
    """The <li> lines of the overdue projects on the dashboard."""
    language = translation.get_language()
    parts = []
    for p in projects:
        code = esc(p.code)
        url = project_url(p)
        if url:
            code = f'<a href="{esc(url)}">{code}</a>'
        title = esc(_truncated(p.title, 50))
        day = esc(_day(p.end_date, "d/m/Y", language))
        parts.append(f'<li>{code} – {title} <span class="text-danger">({day})</span></li>')
    return mark_safe("".join(parts))  # every value above is escaped


@register.filter
def action_lines(actions) -> str:
    """The <li> lines of the overdue follow-up actions on the dashboard."""
    language = translation.get_language()
    word = esc(_card_words(language)[1])
    parts = []
    for a in actions:
        code = esc(a.project.code)
        text = esc(_truncated(a.description, 50))
        day = esc(_day(a.due_date, "d/m/Y", language))
        owner = esc(a.owner)
        parts.append(
            f'<li>{code}: {text} <span class="text-danger">({word} {day}, {owner})</span></li>'
        )
    return mark_safe("".join(parts))  # every value above is escaped


# --- the filter form of a report ------------------------------------------------------------


@register.simple_tag
def report_filters(form):
    """A report's filter form (reports.forms.filter_helper) in crispy's Bootstrap 5 markup —
    same ids, classes, labels, help texts and error blocks — built in Python: crispy renders
    each field through a dozen nested templates and each <option> through its own, some ten
    milliseconds a page for a tree of localities. A form without the helper's columns, or a
    field this does not write (a checkbox, a file), goes to crispy."""
    helper = getattr(form, "helper", None)
    columns = getattr(helper, "columns", None)
    if columns is None:
        return render_crispy_form(form)
    parts = ['<form class="filters" method="get">']
    if form.non_field_errors():
        parts.append(
            format_html(
                '<div class="alert alert-block alert-danger"><ul class="m-0">{}</ul></div>',
                format_html_join("", "<li>{}</li>", ((e,) for e in form.non_field_errors())),
            )
        )
    parts.append('<div class="row g-2">')
    for name, css in columns:
        parts.append(format_html('<div class="{}">{}</div>', css, _filter_field(form[name])))
    parts.append(
        format_html(
            '<div class="col-auto d-flex align-items-start pt-md-4"><input type="submit" name="" '
            'value="{}" class="btn btn-primary btn-primary" id="submit-id-"/></div>',
            helper.submit_label,
        )
    )
    parts.append("</div></form>")
    return mark_safe("".join(parts))  # every part above is escaped


@register.filter
def crispy_field(bound_field) -> str:
    """`|as_crispy_field` built in Python, the same markup as report_filters writes a field
    in: the dashboard's year and grouping, without crispy's dozen nested templates."""
    return _filter_field(bound_field)


def _filter_field(bound_field) -> str:
    field = bound_field.field
    widget = field.widget
    if isinstance(
        widget, forms.SelectMultiple | forms.HiddenInput | forms.CheckboxInput | forms.FileInput
    ) or not isinstance(widget, forms.Select | Input):
        return as_crispy_field(bound_field)
    select = isinstance(widget, forms.Select)
    # crispy's classes: the widget's own, its class name, then Bootstrap's.
    kind = type(widget).__name__.lower()
    css = widget.attrs.get("class", "")
    css = (f"{css} {kind}" if kind not in css else css) if css else kind
    css += " form-select" if select else " form-control"
    attrs = {"class": f"{css} is-invalid" if bound_field.errors else css}
    # Django adds required, aria-invalid and aria-describedby (help text, errors).
    return field_markup(bound_field, attrs, error_tag="span")
