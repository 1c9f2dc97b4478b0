"""The dashboard writes the lines of its cards in Python (report_tags.work_lines, overdue_lines,
action_lines): the markup the template wrote, character for character, in both languages."""

import datetime
import unicodedata
from types import SimpleNamespace

import pytest
from django.template import Context, Template
from django.template.defaultfilters import truncatechars
from django.utils import translation

from projects.templatetags.report_tags import (
    _truncated,
    action_lines,
    overdue_lines,
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
