"""Filter forms of the dashboard and the report pages (GET forms, rendered with crispy)."""

import django_filters
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row, Submit
from django import forms
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from facilities.models import RecognitionLevel, Sector
from khuyencong.forms import LocalityChoiceField, WholeNumberField, bound_numbers
from khuyencong.localities import covered_ids
from khuyencong.models import Locality, User
from projects.models import (
    ActivityType,
    FundingSource,
    Programme,
    Project,
    ReportedFigure,
    ReportFiling,
    Status,
)
from projects.reports import localities_in_scope
from projects.reports.base import Grouping
from projects.reports.filing import Unit

MIN_YEAR, MAX_YEAR = 1990, 2100
MAX_SPAN = 50


# Filters whose choices have long names get more room.
WIDE = {
    "locality": "col-lg-3",
    "programme": "col-lg-6",
    "activity_type": "col-lg-3",
    "status": "col-lg-3",
}


def filter_helper(field_names: list[str]) -> FormHelper:
    """The layout of a report's filter: a row of columns, then the button. The page writes it
    from `columns` in Python (report_tags.report_filters); crispy's layout below is the same
    markup, for anything else that renders the form."""
    helper = FormHelper()
    helper.columns = [
        (name, f"col-sm-6 col-md-4 {WIDE.get(name, 'col-lg-2')}") for name in field_names
    ]
    helper.submit_label = _("Lọc")
    helper.form_method = "get"
    helper.form_class = "filters"
    helper.disable_csrf = True
    helper.layout = Layout(
        Row(
            *[
                Column(name, css_class=f"col-sm-6 col-md-4 {WIDE.get(name, 'col-lg-2')}")
                for name in field_names
            ],
            Column(
                Submit("", helper.submit_label, css_class="btn-primary"),
                css_class="col-auto d-flex align-items-start pt-md-4",
            ),
            css_class="g-2",
        )
    )
    return helper


def year_field(label) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        min_value=MIN_YEAR,
        max_value=MAX_YEAR,
        error_messages={
            "invalid": _("Nhập năm bằng số, ví dụ 2024."),
            "min_value": _("Năm phải từ %(limit_value)s trở đi."),
            "max_value": _("Năm không được sau %(limit_value)s."),
        },
    )


def unit_field() -> forms.ChoiceField:
    return forms.ChoiceField(
        label=_("Đơn vị tiền"),
        choices=Unit.choices,
        required=False,
        help_text=_("Làm tròn từng ô; tổng cộng làm tròn từ tổng chính xác."),
    )


def number_field() -> forms.CharField:
    return forms.CharField(
        label=_("Số báo cáo"),
        max_length=20,
        required=False,
        help_text=_("In ở đầu báo cáo; để trống để ghi tay."),
    )


class ReportFilterForm(forms.Form):
    """Every report filters by a locality subtree the user may see."""

    locality = LocalityChoiceField(
        label=_("Địa bàn"),
        queryset=Locality.objects.none(),
        required=False,
        empty_label=_("Toàn bộ phạm vi được xem"),
    )
    grouping = forms.ChoiceField(
        label=_("Nhóm theo địa bàn"),
        choices=Grouping.choices,
        required=False,
        help_text=_(
            "Hồ sơ của đơn vị cũ (trước sắp xếp) được cộng vào đơn vị hiện nay, hoặc giữ theo "
            "đơn vị của năm báo cáo."
        ),
    )
    # How the report is filed: amounts in the unit chosen, the report number in the letterhead
    # (projects/reports/filing.py).
    unit = unit_field()
    number = number_field()
    field_order: list[str] = []

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["locality"].queryset = localities_in_scope(user).order_by("path")
        self.helper = filter_helper(list(self.fields))


class DashboardForm(ReportFilterForm):
    year = year_field(_("Năm"))
    unit = None  # the dashboard is not filed
    number = None
    field_order = ["year", "locality"]


class AnnualForm(ReportFilterForm):
    year = year_field(_("Năm"))
    funding_source = forms.ModelChoiceField(
        label=_("Nguồn kinh phí"),
        queryset=FundingSource.objects.all(),
        required=False,
        empty_label=_("Tất cả các nguồn"),
    )
    field_order = ["year", "funding_source", "locality"]


class ProgrammeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Programme) -> str:
        # Names usually carry their period already ("… giai đoạn 2021–2025").
        period = f"{obj.start_year}–{obj.end_year}"
        return obj.name if period in obj.name else f"{obj.name} ({period})"


class ProgrammeForm(ReportFilterForm):
    programme = ProgrammeChoiceField(
        label=_("Chương trình khuyến công"),
        queryset=Programme.objects.all(),
        empty_label=None,
        error_messages={"required": _("Hãy chọn chương trình khuyến công.")},
    )
    field_order = ["programme", "locality"]


class PeriodForm(ReportFilterForm):
    first_year = year_field(_("Từ năm"))
    last_year = year_field(_("Đến năm"))

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("first_year"), cleaned.get("last_year")
        if first and last:
            if first > last:
                self.add_error("last_year", _("Năm cuối phải bằng hoặc sau năm đầu."))
            elif last - first > MAX_SPAN:
                self.add_error(
                    "last_year",
                    _("Mỗi lần xem tối đa %(n)s năm; hãy thu hẹp khoảng năm.") % {"n": MAX_SPAN},
                )
        return cleaned


class FacilityStatsForm(PeriodForm):
    sector = forms.ModelChoiceField(
        label=_("Ngành nghề"),
        queryset=Sector.objects.all(),
        required=False,
        empty_label=_("Tất cả ngành nghề"),
    )
    field_order = ["first_year", "last_year", "sector", "locality"]


class ProductForm(PeriodForm):
    level = forms.ChoiceField(
        label=_("Cấp công nhận"),
        choices=[("", _("Tất cả các cấp")), *RecognitionLevel.choices],
        required=False,
    )
    sector = forms.ModelChoiceField(
        label=_("Ngành nghề"),
        queryset=Sector.objects.all(),
        required=False,
        empty_label=_("Tất cả ngành nghề"),
    )
    field_order = ["first_year", "last_year", "level", "sector", "locality"]


class RegisterForm(forms.Form):
    # As in every filed report: amounts in the unit chosen, the number in the letterhead.
    unit = unit_field()
    number = number_field()
    field_order = [
        "year_from",
        "year_to",
        "funding_source",
        "activity_type",
        "status",
        "locality",
        "unit",
        "number",
    ]

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("year_from"), cleaned.get("year_to")
        if first is not None and last is not None:
            if first > last:
                self.add_error("year_to", _("Năm cuối phải bằng hoặc sau năm đầu."))
            elif last - first > MAX_SPAN:
                self.add_error(
                    "year_to",
                    _("Mỗi lần xem tối đa %(n)s năm; hãy thu hẹp khoảng năm.") % {"n": MAX_SPAN},
                )
        return cleaned


def _year_filter(lookup: str, label):
    return django_filters.NumberFilter(
        field_name="year",
        lookup_expr=lookup,
        label=label,
        required=True,
        min_value=MIN_YEAR,
        max_value=MAX_YEAR,
        decimal_places=0,
        error_messages={"invalid": _("Nhập năm bằng số, ví dụ 2024.")},
    )


class RegisterFilter(django_filters.FilterSet):
    """Danh mục đề án: a period, and optionally a source, activity type, status, locality."""

    year_from = _year_filter("gte", _("Từ năm"))
    year_to = _year_filter("lte", _("Đến năm"))
    funding_source = django_filters.ModelChoiceFilter(
        label=_("Nguồn kinh phí"),
        queryset=FundingSource.objects.all(),
        empty_label=_("Tất cả các nguồn"),
    )
    activity_type = django_filters.ModelChoiceFilter(
        label=_("Nội dung khuyến công"),
        queryset=ActivityType.objects.all(),
        empty_label=_("Tất cả nội dung"),
    )
    status = django_filters.ChoiceFilter(
        label=_("Trạng thái"), choices=Status.choices, empty_label=_("Tất cả (trừ bản nháp)")
    )
    locality = django_filters.ModelChoiceFilter(
        label=_("Địa bàn"),
        queryset=Locality.objects.none(),
        method="filter_locality",
        empty_label=_("Toàn bộ phạm vi được xem"),
    )

    class Meta:
        model = Project
        form = RegisterForm
        fields = ["year_from", "year_to", "funding_source", "activity_type", "status", "locality"]

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["locality"].queryset = localities_in_scope(user).order_by("path")
        self.filters["locality"].field_class = LocalityChoiceField
        self.form.helper = filter_helper(list(self.form.fields))

    def filter_locality(self, queryset, name, value):
        return queryset.filter(locality__in=self.covered(value))

    def covered(self, locality) -> frozenset[int]:
        """The units whose records a locality's register lists (through predecessors), read
        once per filter: the projects and their running totals are filtered alike."""
        if getattr(self, "_covered", (None,))[0] != locality.pk:
            self._covered = (locality.pk, covered_ids([locality.pk]))
        return self._covered[1]

    @cached_property
    def statement_key(self) -> tuple:
        """Everything `filter_queryset` builds its statement from, as a key for a statement
        compiled once per process (khuyencong.compiled): each filter's value (a record by its
        id), and for a locality the units it covers (from the tree: a merger changes the key)."""
        key = []
        for name, value in sorted(self.form.cleaned_data.items()):
            if name not in self.filters:
                continue
            if name == "locality" and value is not None:
                value = self.covered(value)
            key.append((name, getattr(value, "pk", value)))
        return tuple(key)

    def filter_queryset(self, queryset):
        # The form's unit and number say how the register is filed, not which projects it
        # lists: only the filters' own fields filter.
        for name, value in self.form.cleaned_data.items():
            if name in self.filters:
                queryset = self.filters[name].filter(queryset, value)
        if not self.form.cleaned_data.get("status"):
            # The register lists applications that left the author's desk.
            queryset = queryset.exclude(status=Status.DRAFT)
        return queryset

    def clean_years(self) -> tuple[int, int] | None:
        data = self.form.cleaned_data
        first, last = data.get("year_from"), data.get("year_to")
        if first is None or last is None:
            return None
        return int(first), int(last)


# --- what is filed: the letterhead and the figures reported upward ---------------------------


class ReportFilingForm(forms.ModelForm):
    class Meta:
        model = ReportFiling
        fields = [
            "parent_agency",
            "agency",
            "number_suffix",
            "place",
            "prepared_title",
            "prepared_name",
            "approved_title",
            "approved_name",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bound_numbers(self)
        self.helper = FormHelper()
        self.helper.form_tag = False


class ReportedFigureForm(forms.ModelForm):
    year = forms.IntegerField(
        label=_("Năm"),
        min_value=MIN_YEAR,
        max_value=MAX_YEAR,
        error_messages={"invalid": _("Nhập năm bằng số, ví dụ 2024.")},
    )
    value = WholeNumberField(label=_("Số liệu đã báo cáo"))

    class Meta:
        model = ReportedFigure
        fields = ["year", "indicator", "value", "source", "note"]
        widgets = {"note": forms.Textarea(attrs={"rows": 2})}
        error_messages = {
            "source": {"required": _("Ghi văn bản đã báo cáo số liệu này.")},
            "indicator": {"required": _("Chọn chỉ tiêu.")},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bound_numbers(self)
        self.fields["value"].error_messages["required"] = _("Nhập số liệu đã báo cáo.")
        self.fields["year"].error_messages["required"] = _("Nhập năm của số liệu.")
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean(self):
        cleaned = super().clean()
        year, indicator = cleaned.get("year"), cleaned.get("indicator")
        if year and indicator:
            taken = ReportedFigure.objects.filter(year=year, indicator=indicator)
            if self.instance.pk:
                taken = taken.exclude(pk=self.instance.pk)
            if taken.exists():
                self.add_error(
                    "indicator",
                    _("Chỉ tiêu này của năm %(year)s đã được nhập; hãy sửa dòng đó.")
                    % {"year": year},
                )
        return cleaned
