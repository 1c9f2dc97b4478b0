"""The project list's rows as plain dicts, read with values().

A page of the list is 25 projects shown twice (table rows and phone cards). Read as models with
their related objects that was some 290 model instances, a URL reversal and a translated status
label per use, and a template include per badge: most of the page's CPU time. Here one query
reads only the columns the page shows and each row carries its strings ready to print; the
status labels and the badge classes are looked up once per request.
"""

import functools

from django.core.paginator import Page
from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from facilities.models import Facility
from khuyencong.markup import esc
from khuyencong.models import Locality, User
from khuyencong.money import format_vnd
from khuyencong.paging import page_rows
from projects.models import ActivityType, FundingSource, NormStatus, Project, Status
from projects.models.project import NEXT_STEP

# The Bootstrap classes of a status badge (as templates/projects/_status_badge.html).
BADGE = {
    Status.DRAFT: "text-bg-secondary",
    Status.SUBMITTED: "text-bg-info",
    Status.RETURNED: "text-bg-warning",
    Status.APPRAISED: "text-bg-primary",
    Status.APPROVED: "text-bg-success",
    Status.ACCEPTED: "text-bg-success",
    Status.REJECTED: "text-bg-danger",
    Status.IN_PROGRESS: "text-bg-light border border-success text-success",
    Status.AWAITING_ACCEPTANCE: "text-bg-light border border-success text-success",
    Status.SETTLED: "text-bg-dark",
}
OTHER_BADGE = "text-bg-light border text-muted"

COLUMNS = (
    "pk",
    "code",
    "title",
    "year",
    "status",
    "requested_support",
    "approved_amount",
    "norm_limit",
    "norm_override_amount",
    *Locality.value_columns(),
)


def _named(model, field: str, key: str) -> RawSQL:
    """`model`'s `field` for the project's foreign key `key`, by a subquery on the primary key.
    Written as SQL because compiling a Django subquery per name cost more Python time than the
    join planning it saves."""
    qn = connection.ops.quote_name
    project = qn(Project._meta.db_table)
    column = model._meta.get_field(field).column
    return RawSQL(
        f"SELECT {qn(column)} FROM {qn(model._meta.db_table)} "
        f"WHERE {qn(model._meta.pk.column)} = {project}.{qn(key)}",
        (),
    )


# The names from the short reference tables, the facility and the officer are read by a
# subquery each rather than a join: with six tables joined PostgreSQL spent some 2 ms planning
# the page's query (it weighs every join order against the projects' two dozen indexes), ten
# times what it then took to run; each subquery is planned on its own, by primary key.
NAMES = {
    "activity_type_name": _named(ActivityType, "name", "activity_type_id"),
    "funding_source_code": _named(FundingSource, "code", "funding_source_id"),
    "facility_name": _named(Facility, "name", "facility_id"),
    "officer_full_name": _named(User, "full_name", "responsible_officer_id"),
    "officer_first_name": _named(User, "first_name", "responsible_officer_id"),
    "officer_last_name": _named(User, "last_name", "responsible_officer_id"),
    "officer_username": _named(User, "username", "responsible_officer_id"),
}


@functools.lru_cache(maxsize=16)
def _status_texts(language: str | None) -> tuple[dict, dict]:
    """The statuses' labels and next steps in `language`, the active one (part of the key only;
    translations change only with a deploy)."""
    return (
        {value: str(label) for value, label in Status.choices},
        {value: str(step) for value, step in NEXT_STEP.items()},
    )


def _values(projects: QuerySet) -> QuerySet:
    return projects.values(*COLUMNS, **NAMES)


def project_rows(page: Page) -> list[dict]:
    """The rows of one page of the list (khuyencong.paging.ListPaginator), in its order."""
    url = reverse("projects:detail", args=[0])
    prefix, suffix = url.rsplit("/0/", 1)
    labels, steps = _status_texts(get_language())
    rows = []
    for r in page_rows(page, "projects", _values):
        over = r["norm_limit"] is not None and r["requested_support"] > r["norm_limit"]
        allowed = (
            r["norm_override_amount"] is not None
            and r["requested_support"] <= r["norm_override_amount"]
        )
        officer = ""
        if r["officer_username"] is not None:  # User.display_name
            first, last = r["officer_first_name"], r["officer_last_name"]
            officer = r["officer_full_name"] or f"{first} {last}".strip() or r["officer_username"]
        status = r["status"]
        rows.append(
            {
                "pk": r["pk"],
                "url": f"{prefix}/{r['pk']}/{suffix}",
                "code": r["code"],
                "title": r["title"],
                "year": r["year"],
                "status": status,
                "status_label": labels.get(status, status),
                "badge": BADGE.get(status, OTHER_BADGE),
                "next_step": steps.get(status, ""),
                "requested_support": r["requested_support"],
                "approved_amount": r["approved_amount"],
                "over_norm": over,
                "norm_override_covers_request": allowed,
                "norm_status": (
                    NormStatus.WITHIN
                    if not over
                    else NormStatus.ALLOWED
                    if allowed
                    else NormStatus.AWAITING
                ),
                "activity_type": r["activity_type_name"],
                "funding_source": r["funding_source_code"],
                "facility": r["facility_name"],
                "locality": Locality.label_of_values(r),
                "locality_name": r["locality__name"],
                "officer": officer,
            }
        )
    return rows


def with_html(rows: list[dict]) -> list[dict]:
    """Each row's table row (`tr`) and phone card (`card`) as HTML, the markup the list's
    template wrote variable by variable: some 600 template variables a page, for 25 rows shown
    twice, were most of what was left of the page's time. The pieces that depend only on the
    language and the status are escaped once per process (`_fixed_markup`)."""
    language = get_language()
    texts = _fixed_markup(language)
    for p in rows:
        url, title, code = esc(p["url"]), esc(p["title"]), esc(p["code"])
        badge, step = _status_markup(p["badge"], p["status_label"], p["next_step"], language)
        norm = texts["allowed"] if p["norm_override_covers_request"] else texts["awaiting"]
        requested = format_vnd(p["requested_support"])
        if p["approved_amount"] is not None:
            amount = f"{texts['approved']}{format_vnd(p['approved_amount'])}"
        else:
            amount = f"{texts['requested']}{requested}"
        p["card"] = mark_safe(
            f'<li class="card mb-2"><div class="card-body">'
            f'<a class="fw-semibold d-block" href="{url}">{title}</a>'
            f'<div class="d-flex flex-wrap align-items-center column-gap-2 small">'
            f'<span class="text-muted">{code}</span> {badge} '
            f'<span class="money ms-auto">{amount}</span></div>'
            + (f'<div class="small text-danger">{norm}</div>' if p["over_norm"] else "")
            + f'<div class="small text-muted">{esc(p["locality_name"])}{step}</div></div></li>'
        )
        facility = f" · {esc(p['facility'])}" if p["facility"] else ""
        over = ""
        if p["over_norm"]:
            colour = "text-bg-warning" if p["norm_override_covers_request"] else "text-bg-danger"
            over = (
                f'<div><span class="badge {colour} fw-normal" data-norm="{esc(p["norm_status"])}">'
                f"{norm}</span></div>"
            )
        p["tr"] = mark_safe(
            f'<tr><td class="text-nowrap"><a href="{url}">{code}</a></td>'
            f'<td><a class="link-body-emphasis text-decoration-none" href="{url}">{title}</a>'
            f'<div class="small text-muted">{esc(p["activity_type"])} · '
            f"{esc(p['funding_source'])}{facility}</div></td>"
            f"<td>{p['year']}</td>"
            f'<td class="small">{esc(p["locality"])}</td>'
            f'<td class="money">{requested}{over}</td>'
            f'<td class="money">{format_vnd(p["approved_amount"])}</td>'
            f"<td>{badge}</td>"
            f'<td class="small">{esc(p["officer"])}</td></tr>'
        )
    return rows  # every piece above is escaped


def joined_markup(rows: list[dict]) -> dict[str, str]:
    """The `with_html` rows' cards and table rows each joined as the list template's loops
    wrote them (the whitespace after each): a variable and a loop step per row and view were a
    fifth of what was left of the template's time."""
    return {
        "cards": mark_safe("".join(f"{row['card']}\n  " for row in rows)),  # escaped above
        "table_rows": mark_safe("".join(f"{row['tr']}\n        " for row in rows)),
    }


@functools.lru_cache(maxsize=16)
def _fixed_markup(language: str | None) -> dict[str, str]:
    """The rows' translated labels, escaped, in `language` (the active one; part of the key)."""
    return {
        "approved": f'<span class="visually-hidden">{esc(_("Được phê duyệt"))}: </span>',
        "requested": f'<span class="visually-hidden">{esc(_("Đề nghị hỗ trợ"))}: </span>',
        "allowed": esc(_("Đã cho phép vượt định mức")),
        "awaiting": esc(_("Vượt định mức — chờ Lãnh đạo cho phép")),
        "next": esc(_("Bước tiếp theo")),
    }


@functools.lru_cache(maxsize=128)
def _status_markup(badge: str, label: str, next_step: str, language) -> tuple[str, str]:
    """A status's badge and next-step markup in `language` (the active one)."""
    step = ""
    if next_step:
        step = (
            f' · <span class="text-body">{_fixed_markup(language)["next"]}: {esc(next_step)}</span>'
        )
    return f'<span class="badge status-badge {esc(badge)}">{esc(label)}</span>', step
