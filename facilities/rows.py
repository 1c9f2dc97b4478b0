"""The facility list's rows as HTML, read with values() (as the project list's rows.py).

A page is 25 facilities shown twice (table rows and phone cards). Rendered from model instances
through the template, that was some 900 template variables, a URL reversal per link, a
translated choice label per use and an include per size badge: most of the page's time. Here one
query reads only the columns the page shows and each row's markup is built once.
"""

import functools

from django.core.paginator import Page
from django.db import connection
from django.db.models import IntegerField, QuerySet
from django.db.models.expressions import RawSQL
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from facilities.models import Facility, LegalForm, Product, Recognition, SizeClass
from khuyencong.markup import esc
from khuyencong.models import Locality
from khuyencong.paging import page_rows

# The Bootstrap class of a size badge (`size_badge`).
SIZE_BADGE = {
    SizeClass.MICRO: "text-bg-secondary",
    SizeClass.SMALL: "text-bg-info",
    SizeClass.MEDIUM: "text-bg-primary",
}
OTHER_SIZE_BADGE = "text-bg-dark"

COLUMNS = (
    "pk",
    "name",
    "representative",
    "legal_form",
    "tax_code",
    "founded_year",
    "size_class",
    "main_sector__name",
    *Locality.value_columns(),
)


@functools.lru_cache(maxsize=16)
def _choice_texts(language: str | None) -> tuple[dict, dict]:
    """The legal forms' and size classes' labels in `language`, the active one (part of the key
    only; translations change only with a deploy)."""
    return (
        {value: str(label) for value, label in LegalForm.choices},
        {value: str(label) for value, label in SizeClass.choices},
    )


def _recognised_products() -> RawSQL:
    """models.recognised_products (how many of a facility's products hold a recognition) as SQL
    written once: building and resolving that subquery with the ORM was a quarter of the rows'
    time. A count without GROUP BY is 0 where the ORM's grouped subquery is NULL, made 0."""
    qn = connection.ops.quote_name
    product, recognition = Product._meta, Recognition._meta
    facility = qn(Facility._meta.db_table)
    products = qn(product.db_table)
    return RawSQL(
        f"SELECT COUNT(DISTINCT {products}.{qn(product.pk.column)}) FROM {products} "
        f"INNER JOIN {qn(recognition.db_table)} ON "
        f"{qn(recognition.db_table)}.{qn(recognition.get_field('product').column)} = "
        f"{products}.{qn(product.pk.column)} "
        f"WHERE {products}.{qn(product.get_field('facility').column)} = "
        f"{facility}.{qn(Facility._meta.pk.column)}",
        (),
        output_field=IntegerField(),
    )


RECOGNISED_PRODUCTS = _recognised_products()


def size_badge(size: str, label: str) -> str:
    """A size class's badge, `label` its name, or "no figures" when there is no class: the
    detail page's, once for the facility and once per yearly figure (was an include of a
    template each)."""
    if size:
        return mark_safe(  # the label escaped
            f'<span class="badge {SIZE_BADGE.get(size, OTHER_SIZE_BADGE)}">{esc(label)}</span>'
        )
    return mark_safe(f'<span class="text-muted small">{esc(_("Chưa có số liệu"))}</span>')


def _values(facilities: QuerySet) -> QuerySet:
    return facilities.values(*COLUMNS, recognised_products=RECOGNISED_PRODUCTS)


def facility_rows(page: Page) -> list[dict]:
    """Each facility of one page of the list (khuyencong.paging.ListPaginator), in its order,
    with its table row (`tr`) and phone card (`card`)."""
    url = reverse("facilities:detail", args=[0])
    prefix, suffix = url.rsplit("/0/", 1)
    legal_forms, sizes = _choice_texts(get_language())
    no_figures = esc(_("Chưa có số liệu"))
    tax_code_label = esc(_("Mã số thuế"))
    recognised_label = esc(_("SP tiêu biểu"))
    rows = []
    for r in page_rows(page, "facilities", _values):
        href = esc(f"{prefix}/{r['pk']}/{suffix}")
        name = esc(r["name"])
        size = r["size_class"]
        if size:
            badge = (
                f'<span class="badge {SIZE_BADGE.get(size, OTHER_SIZE_BADGE)}">'
                f"{esc(sizes.get(size, size))}</span>"
            )
        else:
            badge = f'<span class="text-muted small">{no_figures}</span>'
        full_name = Locality.full_name_of(r["locality__kind"], r["locality__name"])
        locality = Locality.label_of_values(r)
        tax_code = esc(r["tax_code"] or "—")
        sector = esc(r["main_sector__name"])
        recognised = r["recognised_products"]
        card = (
            f'<li class="card mb-2"><div class="card-body">'
            f'<a href="{href}" class="fw-semibold d-block">{name}</a>'
            f'<div class="d-flex flex-wrap align-items-center column-gap-2 small">'
            f'<span class="text-muted">{tax_code_label}: {tax_code}</span> {badge}'
        )
        if recognised:
            card += (
                f' <span class="badge text-bg-warning ms-auto"><i class="bi bi-award" '
                f'aria-hidden="true"></i> {recognised}<span class="visually-hidden"> '
                f"{recognised_label}</span></span>"
            )
        card += f'</div><div class="small text-muted">{esc(full_name)} · {sector}</div></div></li>'
        representative = ""
        if r["representative"]:
            representative = f'<div class="small text-muted">{esc(r["representative"])}</div>'
        if recognised:
            products = (
                f'<span class="badge text-bg-warning"><i class="bi bi-award"></i> '
                f"{recognised}</span>"
            )
        else:
            products = '<span class="text-muted">—</span>'
        tr = (
            f'<tr><td><a href="{href}" class="fw-semibold">{name}</a>{representative}</td>'
            f'<td class="small">{esc(legal_forms.get(r["legal_form"], r["legal_form"]))}</td>'
            f'<td class="text-nowrap">{tax_code}</td>'
            f'<td class="small">{esc(locality)}</td>'
            f'<td class="small">{sector}</td>'
            f'<td class="text-center">{r["founded_year"] or "—"}</td>'
            f"<td>{badge}</td>"
            f'<td class="text-end">{products}</td></tr>'
        )
        rows.append({"pk": r["pk"], "card": mark_safe(card), "tr": mark_safe(tr)})
    return rows  # every piece above is escaped
