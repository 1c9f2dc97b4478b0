"""Forms of the facility registry: the facility itself, its yearly figures, products and
recognitions, and the Excel upload.

Every form that offers localities takes the user and offers only the localities in their scope;
the choice is validated again on the server, so a crafted POST cannot file a record elsewhere.
"""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Field, Fieldset, Layout, Row
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from facilities.models import Facility, Product, Recognition, YearlyFigure
from khuyencong import access
from khuyencong.forms import (
    LocalityChoiceField,
    WholeNumberField,
    bound_numbers,
    offer_todays_unit,
)
from khuyencong.models import Locality, User

OUT_OF_SCOPE = _(
    "Địa bàn này nằm ngoài phạm vi bạn phụ trách. Chỉ chọn được địa bàn trong danh sách."
)


def validate_year(value: int, *, label: str, earliest: int) -> None:
    this_year = timezone.localdate().year
    if value > this_year:
        raise ValidationError(
            _("%(label)s không được ở tương lai (năm nay là %(year)s).")
            % {"label": label, "year": this_year}
        )
    if value < earliest:
        raise ValidationError(
            _("%(label)s phải từ năm %(earliest)s trở đi.") % {"label": label, "earliest": earliest}
        )


class YearField(forms.IntegerField):
    def __init__(self, *, label, earliest: int, required: bool = True, **kwargs):
        super().__init__(label=label, required=required, **kwargs)
        self.earliest = earliest
        self.error_messages["invalid"] = _("%(label)s phải là một năm, ví dụ 2024.") % {
            "label": label
        }
        self.widget.attrs.update({"min": earliest, "max": timezone.localdate().year})

    def validate(self, value):
        super().validate(value)
        if value is not None:
            validate_year(value, label=str(self.label), earliest=self.earliest)


class FacilityForm(forms.ModelForm):
    locality = LocalityChoiceField(
        label=_("Địa bàn"),
        queryset=Locality.objects.none(),
        error_messages={"invalid_choice": OUT_OF_SCOPE},
    )
    founded_year = YearField(label=_("Năm thành lập"), earliest=1900, required=False)

    class Meta:
        model = Facility
        fields = [
            "name",
            "legal_form",
            "tax_code",
            "locality",
            "address",
            "main_sector",
            "sectors",
            "representative",
            "phone",
            "email",
            "founded_year",
            "woman_owned",
            "ethnic_minority_owned",
            "notes",
        ]
        labels = {
            "name": _("Tên cơ sở"),
            "legal_form": _("Loại hình"),
            "tax_code": _("Mã số thuế"),
            "address": _("Địa chỉ"),
            "main_sector": _("Ngành nghề chính"),
            "sectors": _("Ngành nghề khác"),
            "representative": _("Người đại diện"),
            "phone": _("Điện thoại"),
            "email": _("Thư điện tử"),
            "woman_owned": _("Do phụ nữ làm chủ"),
            "ethnic_minority_owned": _("Do người dân tộc thiểu số làm chủ"),
            "notes": _("Ghi chú"),
        }
        help_texts = {
            "tax_code": _(
                "10 chữ số, hoặc 10 chữ số, dấu “-” và 3 chữ số với chi nhánh "
                "(ví dụ 4800123456 hoặc 4800123456-001). Để trống nếu cơ sở chưa có."
            ),
            "address": _("Số nhà, thôn/xóm, tổ dân phố; xã/phường đã chọn ở mục Địa bàn."),
            "sectors": _("Chọn thêm nếu cơ sở sản xuất nhiều ngành nghề."),
        }
        error_messages = {
            "name": {"required": _("Nhập tên cơ sở.")},
            "legal_form": {"required": _("Chọn loại hình của cơ sở.")},
            "main_sector": {"required": _("Chọn ngành nghề chính.")},
            "email": {"invalid": _("Thư điện tử không đúng dạng, ví dụ: coso@example.vn.")},
        }
        widgets = {
            "sectors": forms.CheckboxSelectMultiple,
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        bound_numbers(self)
        self.user = user
        localities = access.localities_for(user)
        if self.instance.pk and self.instance.locality_id:
            # A facility filed under a locality since merged away keeps it until someone moves it.
            localities = localities | Locality.objects.filter(pk=self.instance.locality_id)
        self.fields["locality"].queryset = localities.order_by("path")
        self.fields["locality"].empty_label = _("— Chọn địa bàn —")
        offer_todays_unit(self)
        self.fields["locality"].error_messages["required"] = _("Chọn địa bàn của cơ sở.")
        self.fields["locality"].help_text = _(
            "Xã/phường nơi cơ sở sản xuất; báo cáo cộng dồn lên huyện và tỉnh."
        )
        self.fields["main_sector"].empty_label = _("— Chọn ngành nghề —")
        self.fields["legal_form"].choices = [("", _("— Chọn loại hình —"))] + list(
            self.fields["legal_form"].choices
        )[1:]
        self.fields["tax_code"].widget.attrs.update({"inputmode": "numeric", "maxlength": 14})
        self.fields["founded_year"].widget.attrs["placeholder"] = _("ví dụ 2015")
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Fieldset(
                _("Thông tin chung"),
                Row(
                    Column("name", css_class="col-md-8"), Column("legal_form", css_class="col-md-4")
                ),
                Row(
                    Column("tax_code", css_class="col-md-4"),
                    Column("founded_year", css_class="col-md-4"),
                    Column("locality", css_class="col-md-4"),
                ),
                "address",
            ),
            Fieldset(
                _("Ngành nghề"),
                "main_sector",
                Field("sectors", wrapper_class="sector-checkboxes"),
            ),
            Fieldset(
                _("Liên hệ và chủ sở hữu"),
                Row(
                    Column("representative", css_class="col-md-4"),
                    Column("phone", css_class="col-md-4"),
                    Column("email", css_class="col-md-4"),
                ),
                Row(
                    Column("woman_owned", css_class="col-md-4"),
                    Column("ethnic_minority_owned", css_class="col-md-8"),
                ),
                "notes",
            ),
        )

    def clean_tax_code(self):
        value = (self.cleaned_data.get("tax_code") or "").strip().replace(" ", "")
        return value or None

    def clean_locality(self):
        locality = self.cleaned_data.get("locality")
        unchanged = locality is not None and locality.pk == self.instance.locality_id
        if (
            locality is not None
            and not unchanged
            and not access.locality_in_scope(self.user, locality)
        ):
            raise ValidationError(OUT_OF_SCOPE)
        return locality

    def clean(self):
        cleaned = super().clean()
        main = cleaned.get("main_sector")
        others = cleaned.get("sectors")
        if main is not None and others is not None:
            # The main sector is not also an "other" sector.
            cleaned["sectors"] = [s for s in others if s.pk != main.pk]
        return cleaned


class YearlyFigureForm(forms.ModelForm):
    year = YearField(label=_("Năm"), earliest=1900)
    workers = WholeNumberField(label=_("Số lao động"))
    revenue = WholeNumberField(
        label=_("Doanh thu (đồng)"),
        help_text=_("Ghi đủ số đồng, không ghi triệu: ví dụ 4.500.000.000."),
    )
    production_value = WholeNumberField(
        label=_("Giá trị sản xuất (đồng)"),
        required=False,
        help_text=_("Để trống nếu cơ sở không báo cáo (khác với 0)."),
    )
    capital = WholeNumberField(
        label=_("Tổng nguồn vốn (đồng)"),
        help_text=_("Ghi đủ số đồng, ví dụ 2.000.000.000."),
    )

    class Meta:
        model = YearlyFigure
        fields = ["year", "workers", "revenue", "production_value", "capital"]

    def __init__(self, *args, facility: Facility, **kwargs):
        super().__init__(*args, **kwargs)
        bound_numbers(self)
        self.facility = facility
        self.instance.facility = facility
        self.fields["year"].error_messages["required"] = _("Nhập năm của số liệu.")
        self.fields["workers"].error_messages["required"] = _("Nhập số lao động.")
        self.fields["revenue"].error_messages["required"] = _("Nhập doanh thu (0 nếu chưa có).")
        self.fields["capital"].error_messages["required"] = _(
            "Nhập tổng nguồn vốn (0 nếu chưa có)."
        )
        if not self.instance.pk and not self.is_bound:
            self.initial.setdefault("year", timezone.localdate().year - 1)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Row(
                Column("year", css_class="col-sm-6 col-lg-2"),
                Column("workers", css_class="col-sm-6 col-lg-2"),
                Column("revenue", css_class="col-sm-6 col-lg-4"),
                Column("production_value", css_class="col-sm-6 col-lg-4"),
                Column("capital", css_class="col-sm-6 col-lg-4"),
            )
        )

    def clean_year(self):
        year = self.cleaned_data["year"]
        taken = YearlyFigure.objects.filter(facility=self.facility, year=year)
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise ValidationError(
                _("Cơ sở đã có số liệu năm %(year)s. Mỗi năm chỉ có một dòng; hãy sửa dòng đó.")
                % {"year": year}
            )
        return year


class ProductForm(forms.ModelForm):
    class Meta:
        model = Product
        fields = ["name", "description"]
        labels = {"name": _("Tên sản phẩm"), "description": _("Mô tả")}
        error_messages = {"name": {"required": _("Nhập tên sản phẩm.")}}
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, facility: Facility, **kwargs):
        super().__init__(*args, **kwargs)
        bound_numbers(self)
        self.facility = facility
        self.instance.facility = facility
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        taken = Product.objects.filter(facility=self.facility, name__iexact=name)
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise ValidationError(_("Cơ sở đã có sản phẩm tên “%(name)s”.") % {"name": name})
        return name


class RecognitionForm(forms.ModelForm):
    year = YearField(label=_("Năm công nhận"), earliest=1990)

    class Meta:
        model = Recognition
        fields = ["level", "year", "certificate_number"]
        labels = {"level": _("Cấp công nhận"), "certificate_number": _("Số giấy chứng nhận")}
        error_messages = {"level": {"required": _("Chọn cấp công nhận.")}}

    def __init__(self, *args, product: Product, **kwargs):
        super().__init__(*args, **kwargs)
        bound_numbers(self)
        self.product = product
        self.instance.product = product
        self.fields["year"].error_messages["required"] = _("Nhập năm công nhận.")
        self.fields["level"].choices = [("", _("— Chọn cấp —"))] + list(
            self.fields["level"].choices
        )[1:]
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Row(
                Column("level", css_class="col-sm-4"),
                Column("year", css_class="col-sm-3"),
                Column("certificate_number", css_class="col-sm-5"),
            )
        )

    def clean(self):
        cleaned = super().clean()
        level, year = cleaned.get("level"), cleaned.get("year")
        if level and year:
            taken = Recognition.objects.filter(product=self.product, level=level, year=year)
            if self.instance.pk:
                taken = taken.exclude(pk=self.instance.pk)
            if taken.exists():
                self.add_error(
                    "year",
                    _("Sản phẩm đã được công nhận ở cấp này trong năm %(year)s.") % {"year": year},
                )
        return cleaned


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Tệp Excel (.xlsx)"),
        error_messages={
            "required": _("Chọn tệp Excel cần nhập."),
            "empty": _("Tệp tải lên không có dữ liệu."),
        },
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx"):
            raise ValidationError(
                _("Chỉ nhận tệp Excel dạng .xlsx. Hãy mở tệp bằng Excel và lưu lại dạng .xlsx.")
            )
        limit = settings.MAX_UPLOAD_MB * 1024 * 1024
        if upload.size > limit:
            raise ValidationError(
                _("Tệp lớn hơn %(mb)s MB, vượt quá giới hạn cho phép.")
                % {"mb": settings.MAX_UPLOAD_MB}
            )
        return upload
