"""The project list's filters; the Excel export reads the same filters."""

import django_filters
from django import forms
from django.db.models import F
from django.utils.timezone import localdate
from django.utils.translation import gettext_lazy as _
from django_filters.constants import EMPTY_VALUES

from facilities.models import Facility
from khuyencong import access, compiled
from khuyencong.filters import (
    ALL,
    FilterForm,
    ListFilterSet,
    LocalityFilter,
    ReferenceFilter,
    UserFilter,
    locality_choices,
    locality_rows,
    scoped,
    year_choices,
)
from khuyencong.localities import covered_ids
from khuyencong.models import Role, User
from khuyencong.text import fold
from projects.applications.forms import FacilityChoiceField
from projects.models import (
    ActivityType,
    FundingSource,
    NormStatus,
    Project,
    ProvinceTotals,
    Status,
)


class FacilityFilter(django_filters.ModelChoiceFilter):
    field_class = FacilityChoiceField


# The selects whose options come from database tables (ListFilterSet.offered_choices).
OFFERED = ("funding_source", "activity_type", "responsible_officer", "locality")


def _offered_parts() -> dict[str, tuple]:
    """The `read_choices` parts of ProjectFilter's selects read from tables, the same for every
    user (the locality tree is narrowed to the user's scope after)."""
    return {
        "funding_source": (
            FundingSource.objects.all(),
            ["order", "code"],
            {"c1": F("name"), "c2": F("code")},
        ),
        "activity_type": (ActivityType.objects.all(), ["order", "code"], {"c1": F("name")}),
        "responsible_officer": (
            _officers(),
            ["full_name", "username"],
            {
                "c1": F("full_name"),
                "c2": F("first_name"),
                "c3": F("last_name"),
                "c4": F("username"),
            },
        ),
        "locality": locality_rows(),
    }


def _officers():
    return User.objects.filter(role__in=[Role.CENTRE_STAFF, Role.MANAGER]).order_by(
        "full_name", "username"
    )


class ProjectSort(django_filters.OrderingFilter):
    """Sorting by a header, the primary key breaking ties in the sort's direction: without it
    the rows of equal values (a status, an amount not yet approved) came in whatever order a
    plan gave them, so that paging could show a project twice and another never. Each sort
    column's index ends with the id (Project.Meta.indexes), which then serves the whole
    order."""

    def filter(self, qs, value):
        qs = super().filter(qs, value)
        ordering = qs.query.order_by
        if value in EMPTY_VALUES or not ordering:
            return qs
        return qs.order_by(*ordering, "-pk" if str(ordering[-1]).startswith("-") else "pk")


class ProjectFilter(ListFilterSet):
    q = django_filters.CharFilter(
        label=_("Tìm kiếm"),
        method="search",
        widget=forms.TextInput(attrs={"placeholder": _("Mã, tên đề án, cơ sở… (gõ không dấu)")}),
    )
    status = django_filters.ChoiceFilter(
        label=_("Trạng thái"), choices=Status.choices, empty_label=ALL
    )
    year = django_filters.ChoiceFilter(label=_("Năm"), choices=year_choices, empty_label=ALL)
    funding_source = ReferenceFilter(
        label=_("Nguồn kinh phí"), queryset=FundingSource.objects.all(), empty_label=ALL
    )
    activity_type = ReferenceFilter(
        label=_("Nội dung khuyến công"), queryset=ActivityType.objects.all(), empty_label=ALL
    )
    locality = LocalityFilter(
        label=_("Địa bàn"), queryset=None, method="in_subtree", empty_label=ALL
    )
    # A province holds thousands of facilities: a <select> of all of them would make the page
    # heavy, so the list takes a facility by name or tax code, and by id from links (the
    # facility page links to its projects).
    facility_q = django_filters.CharFilter(
        label=_("Cơ sở"),
        method="search_facility",
        widget=forms.TextInput(attrs={"placeholder": _("Tên hoặc mã số thuế (gõ không dấu)")}),
    )
    facility = FacilityFilter(
        label=_("Cơ sở"), queryset=None, empty_label=ALL, widget=forms.HiddenInput
    )
    # Read from the stored limit and override amount (kept in step by the rule functions), so
    # an inspector lists the overrides with one plain query.
    norm = django_filters.ChoiceFilter(
        label=_("Vượt định mức"),
        choices=[
            ("co", _("Có (vượt định mức)")),
            ("khong", _("Không (trong định mức)")),
            ("da-cho-phep", _("Lãnh đạo đã cho phép")),
            ("cho-cho-phep", _("Chờ Lãnh đạo cho phép")),
        ],
        method="by_norm",
        empty_label=ALL,
    )
    responsible_officer = UserFilter(label=_("Cán bộ phụ trách"), queryset=None, empty_label=ALL)
    sort = ProjectSort(
        label=_("Sắp xếp"),
        fields=(
            ("code", "code"),
            ("title", "title"),
            ("year", "year"),
            ("locality__path", "locality"),
            ("requested_support", "requested"),
            ("approved_amount", "approved"),
            ("status", "status"),
            ("start_date", "start"),
        ),
    )

    choices_shape = "projects"
    offered = OFFERED
    choice_parts = staticmethod(_offered_parts)

    class Meta:
        model = Project
        fields = []
        form = FilterForm

    checks_given_fields = True

    def __init__(self, data=None, queryset=None, *, request, **kwargs):
        super().__init__(data, queryset, request=request, **kwargs)
        user = request.user
        # Built with the form's fields (django-filter calls them with the request): a list whose
        # filter card is kept (markup_key) and filters nothing builds neither.
        self.filters["locality"].queryset = lambda request: access.localities_for(user)
        self.filters["facility"].queryset = lambda request: access.scope_by_locality(
            Facility.objects.select_related("locality"), user
        ).order_by("name")
        self.filters["responsible_officer"].queryset = lambda request: _officers()

    def choice_labels(self, rows, user) -> dict[str, tuple]:
        # The labels of FundingSource.__str__, ActivityType.__str__, UserIterator and
        # LocalityTreeIterator.
        return {
            "funding_source": tuple(
                (pk, f"{name} ({code})") for pk, name, code, *_ in rows["funding_source"]
            ),
            "activity_type": tuple((pk, name) for pk, name, *_ in rows["activity_type"]),
            "responsible_officer": tuple(
                (pk, full_name or f"{first} {last}".strip() or username)
                for pk, full_name, first, last, username, _day in rows["responsible_officer"]
            ),
            "locality": locality_choices(scoped(rows["locality"], user)),
        }

    def markup_key_parts(self) -> tuple | None:
        """The list's filter card (projects/list.html, kept under `markup_key`) is written also
        from the year (the years offered); every time when it names the facility filtered
        by."""
        if self.data.get("facility"):
            return None
        return (localdate().year,)

    def count_from_totals(self) -> int | None:
        """How many projects the province-wide list shows, added up from the running totals
        (ProvinceTotals; projects/planning/summaries.py keeps them exact in the transaction of
        every change) when the filters in use are among the fields those are kept by; None
        otherwise. Counting the province's projects row by row scanned an index of every
        project, most of the database's time on the list, growing with the province; the
        totals are a few rows a year and source. A list narrowed to localities (an officer's,
        or the locality filter) is left to the rows' own count: its index finds them as fast
        as the totals' rows of those localities would be added up. The filters apply as
        filter_queryset would (a field with an invalid value filters nothing)."""
        if not access.sees_whole_province(self.request.user):
            return None
        used = {}
        if self.filters_used:
            self.is_valid()  # validates, as `qs` does (its answer is in cleaned_data)
            used = {
                name: value
                for name, value in self.checked.cleaned_data.items()
                if name != "sort" and value not in EMPTY_VALUES
            }
        if not used.keys() <= {"year", "funding_source", "activity_type", "status"}:
            return None
        # The statement is compiled once per process and combination of values (khuyencong/
        # compiled.py): the key holds every value it is built from.
        wanted = {
            name: getattr(value, "pk", value) if name != "year" else int(value)
            for name, value in used.items()
        }
        key = ("project_list_count", *sorted(wanted.items()))

        def build():
            rows = ProvinceTotals.objects.all()
            for name in ("year", "funding_source", "activity_type", "status"):
                if name in wanted:
                    rows = rows.filter(**{name: wanted[name]})
            return rows

        return compiled.total(key, build, "projects")

    def search(self, queryset, name, value):
        return queryset.search(value)

    def search_facility(self, queryset, name, value):
        folded = fold(value)
        return queryset.filter(facility__search_text__contains=folded) if folded else queryset

    def in_subtree(self, queryset, name, value):
        return queryset.filter(locality__in=covered_ids([value.pk]))

    def by_norm(self, queryset, name, value):
        if value == "co":
            return queryset.exclude(NormStatus.q(NormStatus.WITHIN))
        return queryset.filter(
            NormStatus.q(
                {
                    "khong": NormStatus.WITHIN,
                    "da-cho-phep": NormStatus.ALLOWED,
                    "cho-cho-phep": NormStatus.AWAITING,
                }[value]
            )
        )
