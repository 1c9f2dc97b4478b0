"""The dashboard writes the lines of its cards in Python (report_tags.work_lines, overdue_lines,
action_lines): the markup the template wrote, character for character, in both languages."""

import datetime
import unicodedata
from types import SimpleNamespace

import pytest
from django.template import Context, Template
from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import truncatechars
from django.test import override_settings
from django.utils import translation
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from projects.reports.tables import NO_DATA
from projects.templatetags.report_tags import (
    _day,
    _day_of,
    _truncated,
    action_lines,
    cell,
    overdue_lines,
    raw,
    row_cells,
    work_lines,
)

LONG = "Đào tạo nghề & <truyền nghề> cho lao động nông thôn ở các xã vùng cao phía bắc tỉnh"

# The template's loops as they were.
WORK = Template(
    '{% load i18n %}{% for item in items %}<li><a href="{{ item.url }}">{{ item.project.code }}'
    '</a> – {{ item.project.title|truncatechars:60 }}{% if item.due %} <span class="'
    '{% if item.overdue %}text-danger fw-semibold{% else %}text-muted{% endif %}">('
    '{% if item.overdue %}{% translate "quá hạn" %} {% else %}{% translate "hạn" %} {% endif %}'
    '{{ item.due|date:"SHORT_DATE_FORMAT" }})</span>{% endif %}</li>{% endfor %}'
)
OVERDUE = Template(
    "{% load report_tags %}{% for p in overdue %}<li>{% with url=p|project_url %}{% if url %}"
    '<a href="{{ url }}">{{ p.code }}</a>{% else %}{{ p.code }}{% endif %}{% endwith %} – '
    '{{ p.title|truncatechars:50 }} <span class="text-danger">({{ p.end_date|date:"d/m/Y" }})'
    "</span></li>{% endfor %}"
)
ACTIONS = Template(
    "{% load i18n %}{% for a in actions %}<li>{{ a.project.code }}: "
    '{{ a.description|truncatechars:50 }} <span class="text-danger">({% translate "hạn" %} '
    '{{ a.due_date|date:"d/m/Y" }}, {{ a.owner }})</span></li>{% endfor %}'
)


class Shown(SimpleNamespace):
    def get_absolute_url(self):
        return self.url


def project(code="KCĐP-2024-001", title=LONG, url="/de-an/7/"):
    return Shown(code=code, title=title, url=url, end_date=datetime.date(2024, 6, 30))


@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_cards_lines_read_as_the_template_wrote_them(language):
    items = [
        SimpleNamespace(url="/de-an/7/#kinh-phi", project=project(), due=None, overdue=False),
        SimpleNamespace(
            url="/de-an/8/",
            project=project("A&B", "Ngắn"),
            due=datetime.date(2024, 1, 5),
            overdue=True,
        ),
        SimpleNamespace(
            url="/de-an/9/", project=project(), due=datetime.date(2025, 12, 31), overdue=False
        ),
    ]
    actions = [
        SimpleNamespace(
            project=project(),
            description=LONG,
            due_date=datetime.date(2024, 2, 1),
            owner="Nguyễn <Văn> A",
        )
    ]
    overdue = [project(), project("KCQG-1", "Tiêu đề", url="")]
    with translation.override(language):
        assert work_lines(items) == WORK.render(Context({"items": items}))
        assert work_lines([]) == ""
        assert overdue_lines(overdue) == OVERDUE.render(Context({"overdue": overdue}))
        assert action_lines(actions) == ACTIONS.render(Context({"actions": actions}))


def test_a_dates_text_is_kept_per_language_and_settings():
    """The cards' dates are formatted once per (date, format, language): a month's name in
    each language its own, and a changed setting formats them again."""
    day = datetime.date(2024, 1, 5)
    for language in ("vi", "en", "vi"):
        with translation.override(language):
            text = _day(day, "j F Y", translation.get_language())
            assert text == date_filter(day, "j F Y")
    with translation.override("en"):
        assert _day(day, "j F Y", "en") == "5 January 2024"
    assert _day_of.cache_info().currsize
    with override_settings(DATE_FORMAT="Y"):
        assert not _day_of.cache_info().currsize


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Ngắn",
        "x" * 49,
        "x" * 50,
        "x" * 51,
        LONG,
        # Decomposed Vietnamese (combining marks): NFC makes it fit, as the filter does.
        unicodedata.normalize("NFD", "Hỗ trợ ứng dụng máy móc thiết bị tiên tiến vào sản xu"),
        unicodedata.normalize("NFD", LONG),
    ],
)
def test_a_title_is_cut_as_truncatechars_cuts_it(text):
    for length in (50, 60):
        assert _truncated(text, length) == truncatechars(text, length)


def _row_cells_as_written(row, head_class=""):
    """row_cells as first written: every cell through cell, localize and conditional_escape."""
    parts = []
    head = f' class="{conditional_escape(head_class)}"' if head_class else ""
    for index, pair in enumerate(row):
        text = conditional_escape(localize(cell(pair)))
        if index == 0:
            parts.append(f'<th scope="row"{head}>{text}</th>')
        elif pair[1] != "text":
            parts.append(
                f'<td class="money" data-value="{conditional_escape(raw(pair))}">{text}</td>'
            )
        else:
            parts.append(f"<td>{text}</td>")
    return "".join(parts)


@pytest.mark.parametrize("language", ["vi", "en"])
def test_a_rows_cells_read_as_the_general_steps_write_them(language):
    rows = [
        [("Huyện <A> & B", "text"), (0, "int"), (-1234567, "money"), (1234567, "int")],
        [(gettext_lazy("Tổng cộng"), "text"), (None, "money"), (None, "int"), ("", "text")],
        [(mark_safe("<b>x</b>"), "text"), (True, "int"), (12.5, "percent"), (NO_DATA, "money")],
        [(2024, "year"), (2024, "year"), (1234.5, "scaled2"), ("a<b", "text"), (7, "money")],
    ]
    with translation.override(language):
        for row in rows:
            for head in ("", "fw-normal"):
                assert row_cells(row, head) == _row_cells_as_written(row, head)
