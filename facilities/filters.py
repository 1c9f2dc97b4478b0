"""Filters of the facility list (also used by the Excel export, so both show the same rows)."""

import django_filters
import django_filters.fields
from django.db.models import Case, Exists, F, IntegerField, OuterRef, Q, Value, When
from django.utils.translation import gettext_lazy as _
from django_filters.constants import EMPTY_VALUES

from facilities.models import (
    Facility,
    LegalForm,
    Recognition,
    RegistryTotals,
    Sector,
    SizeClass,
)
from khuyencong import access, compiled
from khuyencong.filters import (
    FilterForm,
    ListFilterSet,
    ReferenceFilter,
    locality_choices,
    locality_rows,
    scoped,
)
from khuyencong.forms import LocalityTreeIterator
from khuyencong.localities import covered_ids
from khuyencong.models import Locality

YES, NO = "yes", "no"
YES_NO = [(YES, _("Có")), (NO, _("Không"))]
NO_SIZE = "none"
ALL = _("Tất cả")

# Size classes sort from the smallest up; facilities without figures go last.
SIZE_RANK = Case(
    When(size_class=SizeClass.MICRO, then=Value(1)),
    When(size_class=SizeClass.SMALL, then=Value(2)),
    When(size_class=SizeClass.MEDIUM, then=Value(3)),
    When(size_class=SizeClass.NOT_SME, then=Value(4)),
    default=Value(None),
    output_field=IntegerField(),
)

# URL parameter → queryset field. "name" sorts on the folded search text, which starts with the
# folded name: accents are ignored, so "Đá…" sorts among the D's rather than after "Z" (as a
# byte-wise collation puts it), the same on SQLite and PostgreSQL whatever the collation.
SORT_FIELDS = {
    "name": "search_text",
    "tax_code": "tax_code",
    "locality": "locality__name",
    "founded_year": "founded_year",
    "size_class": "size_rank",
}
SORT_LABELS = {
    "name": _("Tên cơ sở"),
    "tax_code": _("Mã số thuế"),
    "locality": _("Địa bàn"),
    "founded_year": _("Năm thành lập"),
    "size_class": _("Quy mô"),
}


def _localities(request):
    if request is None:
        return Locality.objects.none()
    return access.localities_for(request.user).order_by("path")


class LocalityFilter(django_filters.ModelChoiceFilter):
    """A locality and everything under it, offered as an indented tree."""

    class field_class(django_filters.fields.ModelChoiceField):  # noqa: N801 (django-filter's name)
        iterator = LocalityTreeIterator

    def filter(self, qs, value):
        return qs.filter(locality__in=covered_ids([value.pk])) if value else qs


class SortFilter(django_filters.OrderingFilter):
    """Sorting by one header at a time; empty values last; the primary key breaks ties so
    pages never repeat or skip a row."""

    def filter(self, qs, value):
        ordering = []
        tie_break = "pk"
        for param in value or []:
            descending = param.startswith("-")
            field = SORT_FIELDS.get(param.lstrip("-"))
            if field == "search_text":
                # Never empty, so no NULLS clause, and the tie-break runs the same way: the
                # index (search_text, id) then serves both directions.
                ordering.append(F(field).desc() if descending else F(field).asc())
                tie_break = "-pk" if descending else "pk"
            elif field:
                if field == "size_rank":
                    # Annotated only for this sort: resolving the Case on every list was some
                    # 0.2 ms, and no other sort or column reads it.
                    qs = qs.annotate(size_rank=SIZE_RANK)
                expr = F(field)
                ordering.append(
                    expr.desc(nulls_last=True) if descending else expr.asc(nulls_last=True)
                )
        if not ordering:
            ordering = [F("search_text").asc()]
        return qs.order_by(*ordering, tie_break)


def _offered_parts() -> dict[str, tuple]:
    """The `read_choices` parts of the selects read from tables: the sectors and the locality
    tree (narrowed to the user's scope after)."""
    return {
        "sector": (Sector.objects.all(), ["name"], {"c1": F("name")}),
        "locality": locality_rows(),
    }


class FacilityFilter(ListFilterSet):
    q = django_filters.CharFilter(label=_("Tìm kiếm"), method="filter_search")
    locality = LocalityFilter(
        label=_("Địa bàn"), queryset=_localities, empty_label=_("Tất cả địa bàn")
    )
    sector = ReferenceFilter(
        label=_("Ngành nghề"),
        queryset=Sector.objects.order_by("name"),
        method="filter_sector",
        empty_label=ALL,
    )
    sector_scope = django_filters.ChoiceFilter(
        label=_("Ngành nghề tính theo"),
        choices=[("any", _("Ngành chính hoặc ngành khác")), ("main", _("Chỉ ngành nghề chính"))],
        empty_label=None,
        method="filter_nothing",
    )
    legal_form = django_filters.ChoiceFilter(
        label=_("Loại hình"), choices=LegalForm.choices, empty_label=ALL
    )
    size_class = django_filters.ChoiceFilter(
        label=_("Quy mô"),
        choices=[*SizeClass.choices, (NO_SIZE, _("Chưa có số liệu"))],
        empty_label=ALL,
        method="filter_size_class",
    )
    recognised = django_filters.ChoiceFilter(
        label=_("Có SP CNNT tiêu biểu"), choices=YES_NO, empty_label=ALL, method="filter_recognised"
    )
    woman_owned = django_filters.ChoiceFilter(
        label=_("Do phụ nữ làm chủ"), choices=YES_NO, empty_label=ALL, method="filter_yes_no"
    )
    ethnic_minority_owned = django_filters.ChoiceFilter(
        label=_("Do người DTTS làm chủ"), choices=YES_NO, empty_label=ALL, method="filter_yes_no"
    )
    o = SortFilter(
        fields=[(field, param) for param, field in SORT_FIELDS.items()],
        field_labels={field: SORT_LABELS[param] for param, field in SORT_FIELDS.items()},
    )

    choices_shape = "facilities"
    offered = ("sector", "locality")
    choice_parts = staticmethod(_offered_parts)

    class Meta:
        model = Facility
        fields = []
        form = FilterForm

    def prepare_form(self, form) -> None:
        super().prepare_form(form)
        form.fields["q"].widget.attrs.update(
            {
                "placeholder": _("Tên, mã số thuế hoặc người đại diện"),
                "type": "search",
                "autocomplete": "off",
            }
        )
        form.fields["locality"].error_messages["invalid_choice"] = _(
            "Địa bàn này nằm ngoài phạm vi bạn được xem."
        )

    def count_from_totals(self) -> int | None:
        """How many facilities the list shows when nothing narrows it but the user's scope,
        for a user who sees the whole province: added up from the registry's running totals
        (RegistryTotals, a few rows a locality; facilities/summaries.py keeps them exact in the
        transaction of every change), not counted over every facility. None otherwise: the
        rows are counted. A field with an invalid value filters nothing, as in `qs`."""
        if self.request is None or not access.sees_whole_province(self.request.user):
            return None
        if self.filters_used:
            self.form.is_valid()  # validates, as `qs` does (its answer is in cleaned_data)
            for name, value in self.form.cleaned_data.items():
                if name not in ("o", "sector_scope") and value not in EMPTY_VALUES:
                    return None
        # Compiled once per process (khuyencong.compiled): building the aggregate with the ORM
        # took longer than PostgreSQL's adding up the rows.
        return compiled.total(("facilities.list_count",), RegistryTotals.objects.all, "facilities")

    def choice_labels(self, rows, user) -> dict[str, tuple]:
        # As the fields' iterators give them (Sector.__str__, LocalityTreeIterator).
        return {
            "sector": tuple((pk, name) for pk, name, *_ in rows["sector"]),
            "locality": locality_choices(scoped(rows["locality"], user)),
        }

    def filter_search(self, qs, name, value):
        return qs.search(value)

    def filter_sector(self, qs, name, value):
        if self.form.cleaned_data.get("sector_scope") == "main":
            return qs.filter(main_sector=value)
        # A subquery, not a join, so a facility listing the sector twice still shows once.
        other = Facility.sectors.through.objects.filter(sector=value).values("facility_id")
        return qs.filter(Q(main_sector=value) | Q(pk__in=other))

    def filter_nothing(self, qs, name, value):
        return qs  # read by filter_sector

    def filter_size_class(self, qs, name, value):
        return qs.filter(size_class="" if value == NO_SIZE else value)

    def filter_recognised(self, qs, name, value):
        recognised = Exists(Recognition.objects.filter(product__facility=OuterRef("pk")))
        return qs.filter(recognised if value == YES else ~recognised)

    def filter_yes_no(self, qs, name, value):
        return qs.filter(**{name: value == YES})

    @property
    def sort(self) -> str:
        """The current sort parameter ("name", "-founded_year", …), for the header links."""
        if not self.filters_used or self.form.errors.get("o"):
            return "name"
        value = self.form.cleaned_data.get("o")
        return value[0] if value else "name"
