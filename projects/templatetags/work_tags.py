"""The rows of a table of work ("Việc của tôi", a group's own page), built in Python.

A page lists up to ten items in each of a dozen groups: written by the template, variable by
variable and filter by filter, that was most of the page's CPU time after its statements. Each
row is the markup templates/projects/_work_table.html wrote, character for character.
"""

from django import template
from django.utils import formats
from django.utils.html import conditional_escape as esc
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def work_rows(items) -> SafeString:
    overdue = f' <span class="badge text-bg-danger">{esc(_("Quá hạn"))}</span>'
    rows = []
    for item in items:
        project = item.project
        code = esc(project.code)
        if item.due:
            due = esc(formats.date_format(item.due, "SHORT_DATE_FORMAT"))
            if item.overdue:
                due += overdue
        else:
            due = "—"
        url = esc(item.url)
        rows.append(
            f'\n      <tr class="work-item" data-project="{code}">'
            f'\n        <td class="text-nowrap stack-first"><a href="{url}">{code}</a></td>'
            f'\n        <td class="stack-full">{esc(project.title)}'
            f'<div class="small text-muted">{esc(project.locality)}</div></td>'
            f'\n        <td class="small stack-full">{esc(item.note or "")}</td>'
            f'\n        <td class="text-nowrap stack-second">{due}</td>'
            "\n      </tr>\n    "
        )
    # Every value above is escaped.
    return mark_safe("".join(rows))
