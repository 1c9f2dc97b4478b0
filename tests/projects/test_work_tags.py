"""The tables and groups of "Việc của tôi" (projects/templatetags/work_tags.py) write what the
template wrote before them, character for character: the template is kept here as the
reference."""

import datetime

import pytest
from django.template import Context, Template
from django.utils import translation

from projects.process.work import WorkGroup, WorkItem, WorkProject

# templates/projects/_work_table.html and the loop of templates/projects/my_work.html, as they
# were when the template wrote them (work_rows then wrote the rows, and still does).
TABLE = """{% load i18n work_tags %}<div class="table-responsive">
  <table class="table table-sm align-middle mb-0 stack-table">
    <thead><tr><th scope="col">{% translate "Mã" %}</th><th scope="col">{% translate "Đề án" %}</th><th scope="col">{% translate "Việc cần làm" %}</th><th scope="col">{% translate "Hạn" %}</th></tr></thead>
    <tbody>
    {{ items|work_rows }}
    </tbody>
  </table>
</div>
"""  # noqa: E501
GROUPS = """{% load i18n %}{% for group in groups %}
<section class="card mb-3" id="nhom-{{ group.key }}" aria-labelledby="nhom-{{ group.key }}-title">
  <div class="card-header d-flex justify-content-between">
    <h2 class="h6 fw-semibold mb-0" id="nhom-{{ group.key }}-title">{{ group.title }}</h2>
    <span class="badge {% if group.count %}text-bg-primary{% else %}text-bg-light border{% endif %}">{{ group.count }}</span>
  </div>
  {% if group.items %}
  {{ group.table }}
  {% if group.more %}<div class="card-footer small text-muted d-flex flex-wrap justify-content-between gap-2"><span>{% blocktranslate count counter=group.more %}Còn {{ counter }} việc nữa, đến hạn muộn hơn.{% plural %}Còn {{ counter }} việc nữa, đến hạn muộn hơn.{% endblocktranslate %}</span> <a href="{% url 'projects:my_work_group' group.key %}">{% blocktranslate count counter=group.count %}Xem tất cả {{ counter }} việc{% plural %}Xem tất cả {{ counter }} việc{% endblocktranslate %} <i class="bi bi-arrow-right" aria-hidden="true"></i></a></div>{% endif %}
  {% else %}
  <div class="card-body text-muted small">{% translate "Không có việc nào trong nhóm này." %}</div>
  {% endif %}
</section>
{% endfor %}"""  # noqa: E501
DAY = datetime.date(2026, 3, 9)


def _project(pk, title="Đề án <máy> & \"thiết bị\" 'mới'", locality="Xã A (trước 01/07/2025: B)"):
    return WorkProject(pk, f"DA-{pk}/2026", title, locality, f"/de-an/{pk}/")


def _groups() -> list[WorkGroup]:
    one = _project(1)
    two = _project(2, title="Đào tạo nghề", locality="Phường <Hợp> Giang")
    return [
        WorkGroup(
            "to_submit",
            "Đề án cần hoàn thiện và nộp",
            [
                WorkItem(one, None, "Bản nháp"),
                WorkItem(two, DAY, "Bị trả lại", overdue=True),
                WorkItem(one, DAY, "3 kỳ <chưa> nộp", "bao-cao"),
                WorkItem(two, DAY + datetime.timedelta(days=400), "", "kiem-tra"),
            ],
            1234,
        ),
        WorkGroup("to_appraise", "Đề án chờ thẩm định", [], 0),
        WorkGroup("council", "Nghiệm thu & <hội đồng>", [WorkItem(one, DAY, "Hội trường")], 1),
        WorkGroup("to_settle", "Đề án đã nghiệm thu, cần quyết toán", [WorkItem(two, DAY)], 2),
    ]


@pytest.mark.parametrize("language", ["vi", "en"])
def test_work_groups_and_work_table_write_what_the_template_wrote(language):
    groups = _groups()
    with translation.override(language):
        for group in groups:
            group.table = Template(TABLE).render(Context({"items": group.items}))
            written = Template("{% load work_tags %}{{ items|work_table }}").render(
                Context({"items": group.items})
            )
            assert written == group.table
        expected = Template(GROUPS).render(Context({"groups": groups}))
        written = Template("{% load work_tags %}{{ groups|work_groups }}").render(
            Context({"groups": groups})
        )
    assert written == expected
    assert "&lt;máy&gt; &amp; &quot;thiết bị&quot; &#x27;mới&#x27;" in written
    assert "/de-an/viec-cua-toi/to_submit/" in written
    assert ("1230 more tasks" in written) if language == "en" else ("Còn 1230 việc" in written)


def test_work_groups_of_no_group_writes_nothing():
    assert Template("{% load work_tags %}{{ groups|work_groups }}").render(
        Context({"groups": []})
    ) == Template(GROUPS).render(Context({"groups": []}))


@pytest.mark.parametrize("language", ["vi", "en"])
def test_work_rows_write_the_due_day_as_the_date_filter_does(language):
    project = _project(1)
    days = [DAY, datetime.date(2031, 12, 31), datetime.date(999, 1, 2)]
    items = [WorkItem(project, day) for day in days]
    with translation.override(language):
        written = Template("{% load work_tags %}{{ items|work_rows }}").render(
            Context({"items": items})
        )
        for day in days:
            expected = Template('{{ day|date:"SHORT_DATE_FORMAT" }}').render(Context({"day": day}))
            assert f'<td class="text-nowrap stack-second">{expected}</td>' in written
