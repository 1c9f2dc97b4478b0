"""The groups and tables of work ("Việc của tôi", a group's own page), built in Python.

A page lists up to ten items in each of a dozen groups: written by the template, variable by
variable, filter by filter and one include per group, that was most of the page's CPU time
after its statements. The markup is the one templates/projects/my_work.html (its loop over the
groups) and the table each group included wrote, character for character: values escaped as
the template escaped them, numbers localised as it localised them, and translations of the
template's own text left as they are (a template's literal text is not escaped).
"""

from html import escape

from django import template
from django.urls import reverse
from django.utils import dateformat, formats
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

register = template.Library()


def _number(value) -> str:
    # As {{ value }} writes a number.
    return escape(str(formats.localize(value)))


@register.filter
def work_groups(groups) -> SafeString:
    """One section per group: its title and count, its first items and, when it holds more,
    a link to its own page."""
    prefix, suffix = reverse("projects:my_work_group", args=["key"]).rsplit("/key/", 1)
    empty = _("Không có việc nào trong nhóm này.")
    tables = _Tables()
    out = []
    for group in groups:
        key = escape(group.key)
        count = _number(group.count)
        title = escape(str(group.title))
        badge = "text-bg-primary" if group.count else "text-bg-light border"
        out.append(
            f'\n<section class="card mb-3" id="nhom-{key}" aria-labelledby="nhom-{key}-title">'
            '\n  <div class="card-header d-flex justify-content-between">'
            f'\n    <h2 class="h6 fw-semibold mb-0" id="nhom-{key}-title">{title}</h2>'
            f'\n    <span class="badge {badge}">{count}</span>\n  </div>\n  '
        )
        if group.items:
            out.append(f"\n  {tables.table(group.items)}\n  ")
            more = group.more
            if more:
                later = ngettext(
                    "Còn %(counter)s việc nữa, đến hạn muộn hơn.",
                    "Còn %(counter)s việc nữa, đến hạn muộn hơn.",
                    more,
                ) % {"counter": _number(more)}
                every = ngettext(
                    "Xem tất cả %(counter)s việc", "Xem tất cả %(counter)s việc", group.count
                ) % {"counter": count}
                url = escape(f"{prefix}/{group.key}/{suffix}")
                out.append(
                    '<div class="card-footer small text-muted d-flex flex-wrap'
                    f' justify-content-between gap-2"><span>{later}</span> <a href="{url}">'
                    f'{every} <i class="bi bi-arrow-right" aria-hidden="true"></i></a></div>'
                )
            out.append("\n  ")
        else:
            out.append(f'\n  <div class="card-body text-muted small">{empty}</div>\n  ')
        out.append("\n</section>\n")
    # Every value above is escaped; the translations are the template's own text.
    return mark_safe("".join(out))


@register.filter
def work_table(items) -> SafeString:
    """A table of work: a row per item (code, title and locality, what to do, when)."""
    return _Tables().table(items)


@register.filter
def work_rows(items) -> SafeString:
    return _Tables().rows(items)


class _Tables:
    """Writes the tables of one page: what every table shares (its head, the overdue badge,
    the date format) worked out once, and each day and locality written once."""

    def __init__(self):
        self.head = "".join(
            f'<th scope="col">{label}</th>'
            for label in (_("Mã"), _("Đề án"), _("Việc cần làm"), _("Hạn"))
        )
        self.overdue = f' <span class="badge text-bg-danger">{escape(_("Quá hạn"))}</span>'
        short_date = formats.get_format("SHORT_DATE_FORMAT")
        if short_date == "d/m/Y":
            # The portal's format in both languages (khuyencong/formats), as dateformat writes
            # it: day and month of two digits, year of four.
            self.date = lambda day: f"{day.day:02}/{day.month:02}/{day.year:04}"
        else:
            self.date = lambda day: dateformat.format(day, short_date)
        self.dates: dict = {}
        self.localities: dict[str, str] = {}

    def table(self, items) -> SafeString:
        return mark_safe(
            '<div class="table-responsive">'
            '\n  <table class="table table-sm align-middle mb-0 stack-table">'
            f"\n    <thead><tr>{self.head}</tr></thead>\n    <tbody>\n    {self.rows(items)}"
            "\n    </tbody>\n  </table>\n</div>\n"
        )

    def rows(self, items) -> SafeString:
        dates, localities = self.dates, self.localities
        rows = []
        for item in items:
            project = item.project
            code = escape(project.code)
            if item.due:
                due = dates.get(item.due)
                if due is None:
                    due = dates[item.due] = escape(self.date(item.due))
                if item.overdue:
                    due += self.overdue
            else:
                due = "—"
            locality = localities.get(project.locality)
            if locality is None:
                locality = localities[project.locality] = escape(project.locality)
            rows.append(
                f'\n      <tr class="work-item" data-project="{code}">'
                '\n        <td class="text-nowrap stack-first">'
                f'<a href="{escape(item.url)}">{code}</a></td>'
                f'\n        <td class="stack-full">{escape(project.title)}'
                f'<div class="small text-muted">{locality}</div></td>'
                f'\n        <td class="small stack-full">{escape(str(item.note or ""))}</td>'
                f'\n        <td class="text-nowrap stack-second">{due}</td>'
                "\n      </tr>\n    "
            )
        # Every value above is escaped.
        return mark_safe("".join(rows))
