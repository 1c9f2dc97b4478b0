"""Form fields every screen shares: money in whole đồng, whole numbers, dates, localities, users.

One field per concept, so an amount typed on the facility page and on an approval is read the
same way (khuyencong/money.py) and refused with the same Vietnamese message naming the field.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import ModelChoiceIterator, ModelChoiceIteratorValue
from django.utils.translation import gettext_lazy as _

from khuyencong.models import Locality
from khuyencong.money import MAX_MONEY, MoneyError, format_vnd, parse_vnd, parse_whole

DATE_PLACEHOLDER = "dd/mm/yyyy"


class MoneyInput(forms.TextInput):
    """A text input that shows whole đồng grouped with dots (1.075.000.000)."""

    def __init__(self, attrs=None):
        defaults = {"inputmode": "numeric", "autocomplete": "off", "class": "text-end"}
        super().__init__(attrs={**defaults, **(attrs or {})})

    def format_value(self, value):
        if isinstance(value, int):
            return format_vnd(value, symbol=False)
        return super().format_value(value)


class MoneyField(forms.Field):
    """Whole đồng: "1.075.000.000", "1 075 000 000", "1075000000" or "1.075.000.000 ₫"."""

    widget = MoneyInput
    default_error_messages = {
        "invalid": _(
            "Nhập số tiền bằng số nguyên đồng, ví dụ 1.075.000.000 (không dùng dấu phẩy)."
        ),
        "negative": _("Số tiền không được âm."),
        "too_large": _("Số tiền quá lớn, hãy kiểm tra lại."),
    }

    def __init__(self, *, min_value=None, max_value=None, step_size=None, **kwargs):
        # A model's integer field offers its bounds; money has its own (0 … MAX_MONEY).
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return parse_vnd(value, maximum=MAX_MONEY)
        except MoneyError as error:
            raise ValidationError(self.error_messages[error.code], code=error.code) from None


class WholeNumberField(forms.IntegerField):
    """A non-negative whole number typed the Vietnamese way ("1.250", "1 250", "1250"); the
    messages name the field. The upper bound keeps every value inside its database column."""

    widget = forms.TextInput

    def __init__(self, *, label, max_value=MAX_MONEY, **kwargs):
        kwargs.setdefault("min_value", 0)
        super().__init__(label=label, max_value=max_value, **kwargs)
        self.error_messages["invalid"] = _("%(label)s phải là số nguyên (ví dụ 1.250.000).") % {
            "label": label
        }
        self.error_messages["min_value"] = _("%(label)s không được là số âm.") % {"label": label}
        self.error_messages["max_value"] = _("%(label)s quá lớn (tối đa %(max)s).") % {
            "label": label,
            "max": format_vnd(max_value, symbol=False),
        }
        self.widget.attrs.setdefault("inputmode", "numeric")

    def to_python(self, value):
        if isinstance(value, str) and value.strip():
            try:
                return parse_whole(value)
            except MoneyError:
                raise ValidationError(self.error_messages["invalid"], code="invalid") from None
        return super().to_python(value)

    def prepare_value(self, value):
        if isinstance(value, int):
            return format_vnd(value, symbol=False)
        return value


class DateInput(forms.DateInput):
    def __init__(self, attrs=None):
        defaults = {"placeholder": DATE_PLACEHOLDER, "autocomplete": "off", "inputmode": "numeric"}
        super().__init__(attrs={**defaults, **(attrs or {})}, format="%d/%m/%Y")


class DateField(forms.DateField):
    """A dd/mm/yyyy text input (the settings' input formats parse it)."""

    widget = DateInput
    default_error_messages = {
        "invalid": _("Nhập ngày theo dạng dd/mm/yyyy, ví dụ 15/03/2026."),
    }


def date_fields(*names):
    return {name: DateField for name in names}


class LocalityTreeIterator(ModelChoiceIterator):
    """Localities (ordered by path) as an indented tree, indented from the shallowest one
    offered: a district officer sees their district flush left and its communes under it."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        localities = list(self.queryset)
        base = min((loc.depth for loc in localities), default=0)
        for loc in localities:
            label = "\u00a0\u00a0\u00a0\u00a0" * (loc.depth - base) + loc.full_name
            yield (ModelChoiceIteratorValue(self.field.prepare_value(loc), loc), label)


class LocalityChoiceField(forms.ModelChoiceField):
    """Localities as an indented tree (not "— — Xã …", which reads like a blank)."""

    iterator = LocalityTreeIterator

    def label_from_instance(self, obj: Locality) -> str:
        return obj.full_name


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.display_name
