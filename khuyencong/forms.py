"""Form fields every screen shares: money in whole đồng, whole numbers, dates, localities, users.

One field per concept, so an amount typed on the facility page and on an approval is read the
same way (khuyencong/money.py) and refused with the same Vietnamese message naming the field.
"""

import contextlib
import datetime
import functools

from django import forms
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.validators import MaxValueValidator
from django.forms.models import ModelChoiceIterator
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from khuyencong.dates import parse_day
from khuyencong.models import Locality
from khuyencong.money import MAX_MONEY, MoneyError, format_vnd, parse_vnd, parse_whole

# Eight digits need no separator: a phone's numeric keypad (iPhone) has no "/" (dates.py).
DATE_PLACEHOLDER = _("dd/mm/yyyy hoặc ddmmyyyy")
EARLIEST_DATE = datetime.date(2000, 1, 1)
EARLIEST_YEAR = 2000
DATE_YEARS_AHEAD = 10  # a project's end or a due date may lie a few years ahead, not centuries
PLAN_YEARS_AHEAD = 5


def dmy(day: datetime.date) -> str:
    return f"{day:%d/%m/%Y}"


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


def too_large_message(label, limit: int) -> str:
    # Django %-formats the message again with the validator's values: escape the label's "%".
    return _("%(label)s quá lớn (tối đa %(max)s).") % {
        "label": str(label).replace("%", "%%"),
        "max": format_vnd(limit, symbol=False),
    }


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
        self.error_messages["max_value"] = too_large_message(label, max_value)
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
    """A text input for a day, with the numeric keypad on a phone (the field takes ddmmyyyy,
    so no separator is needed) and a calendar button (static/js/datepicker.js) that fills it
    from the browser's own date picker: no inline script, the CSP forbids it."""

    def __init__(self, attrs=None):
        defaults = {
            "placeholder": DATE_PLACEHOLDER,
            "autocomplete": "off",
            "inputmode": "numeric",
            # static/js/datepicker.js adds the calendar button and names it with this.
            "data-date-picker": _("Chọn ngày trên lịch"),
        }
        super().__init__(attrs={**defaults, **(attrs or {})}, format="%d/%m/%Y")


class DateField(forms.DateField):
    """A day typed as dd/mm/yyyy, ddmmyyyy, dd.mm.yyyy, dd-mm-yyyy or d/m/yy (khuyencong.dates
    reads it; the settings' input formats are not used), between 01/01/2000 and
    the end of the tenth year from now: 01/01/0001 and 31/12/9999 are typing slips, not dates
    of khuyến công work. `past_only` refuses a day after today (decisions, contracts, payments:
    they record what happened)."""

    widget = DateInput
    default_error_messages = {
        "invalid": _("Nhập ngày theo dạng dd/mm/yyyy, ví dụ 15/03/2026 (hoặc 15032026)."),
        "too_early": _("%(label)s phải từ %(earliest)s trở đi."),
        "too_late": _("%(label)s quá xa (muộn nhất %(latest)s)."),
        "future": _("%(label)s không được sau hôm nay (%(today)s)."),
    }

    def __init__(self, *, past_only: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.past_only = past_only

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        try:
            return parse_day(value)
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None

    def validate(self, value):
        super().validate(value)
        if value is None:
            return
        today = timezone.localdate()
        label = self.label or _("Ngày")
        latest = datetime.date(today.year + DATE_YEARS_AHEAD, 12, 31)
        if value < EARLIEST_DATE:
            raise ValidationError(
                self.error_messages["too_early"] % {"label": label, "earliest": dmy(EARLIEST_DATE)},
                code="too_early",
            )
        if self.past_only and value > today:
            raise ValidationError(
                self.error_messages["future"] % {"label": label, "today": dmy(today)},
                code="future",
            )
        if value > latest:
            raise ValidationError(
                self.error_messages["too_late"] % {"label": label, "latest": dmy(latest)},
                code="too_late",
            )


class PastDateField(DateField):
    def __init__(self, **kwargs):
        super().__init__(past_only=True, **kwargs)


def date_fields(*names):
    return {name: DateField for name in names}


def past_date_fields(*names):
    return {name: PastDateField for name in names}


class YearField(forms.IntegerField):
    """A year of the portal's work: from 2000 to `ahead` years after this one (plans and
    allocations are made a few years ahead, never for year 0 or 10000). The window is worked
    out when the value is checked, so a server running over New Year moves with it."""

    def __init__(self, *, ahead: int = PLAN_YEARS_AHEAD, earliest: int = EARLIEST_YEAR, **kwargs):
        # A model's small integer column offers its own bounds; the window below is narrower.
        kwargs.pop("min_value", None)
        kwargs.pop("max_value", None)
        super().__init__(**kwargs)
        self.ahead = ahead
        self.earliest = earliest
        self.error_messages["invalid"] = _("%(label)s phải là một năm, ví dụ 2026.") % {
            "label": self.label or _("Năm")
        }
        self.widget.attrs.setdefault("inputmode", "numeric")

    def validate(self, value):
        super().validate(value)
        latest = timezone.localdate().year + self.ahead
        if value is not None and not self.earliest <= value <= latest:
            raise ValidationError(
                _("%(label)s phải từ %(earliest)s đến %(latest)s.")
                % {"label": self.label or _("Năm"), "earliest": self.earliest, "latest": latest},
                code="out_of_window",
            )


def year_fields(*names):
    return {name: YearField for name in names}


# The largest value each kind of integer column holds (the same on PostgreSQL and SQLite, so a
# figure the form accepts is never one the database refuses with a server error).
COLUMN_MAX = {
    "SmallIntegerField": 32_767,
    "PositiveSmallIntegerField": 32_767,
    "IntegerField": 2_147_483_647,
    "PositiveIntegerField": 2_147_483_647,
    "BigIntegerField": MAX_MONEY,
    "PositiveBigIntegerField": MAX_MONEY,
}
DEFAULT_MAX = 2_147_483_647


def bound_numbers(form: forms.BaseForm) -> None:
    """Give every whole-number field of `form` an upper bound that fits its column and
    Vietnamese messages that name the field (Django's own say "Đảm bảo giá trị này …")."""
    model = getattr(getattr(form, "_meta", None), "model", None)
    for name, field in form.fields.items():
        if not isinstance(field, forms.IntegerField):
            continue
        limit = DEFAULT_MAX
        if model is not None:
            with contextlib.suppress(FieldDoesNotExist):  # a form field with no column
                limit = COLUMN_MAX.get(model._meta.get_field(name).get_internal_type(), limit)
        label = field.label or name
        if field.max_value is None or field.max_value > limit:
            field.max_value = limit
            field.validators = [
                v for v in field.validators if not isinstance(v, MaxValueValidator)
            ] + [MaxValueValidator(limit)]
            if isinstance(field, WholeNumberField):
                field.error_messages["max_value"] = too_large_message(label, limit)
        django_invalid = str(forms.IntegerField.default_error_messages["invalid"])
        if str(field.error_messages.get("invalid", "")) == django_invalid:
            field.error_messages["invalid"] = _("%(label)s phải là số nguyên.") % {"label": label}
        # Django fills in %(limit_value)s later, so a "%" in the label must be escaped.
        bound = {"label": str(label).replace("%", "%%"), "limit": "%(limit_value)s"}
        field.error_messages.setdefault(
            "min_value", _("%(label)s phải từ %(limit)s trở lên.") % bound
        )
        field.error_messages.setdefault(
            "max_value", _("%(label)s không được lớn hơn %(limit)s.") % bound
        )


class LocalityTreeIterator(ModelChoiceIterator):
    """Localities (ordered by path) as an indented tree, indented from the shallowest one
    offered: a district officer sees their district flush left and its communes under it.

    Read as plain values, not models: every list's locality filter offers the whole
    province's tree on every page, and building a model per option was a good part of a list
    page's time. The options' values are the ids (what ModelChoiceIteratorValue prints); the
    labels are LocalityChoiceField's (for a unit in force, its full name, as str() gives)."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        # Rows the page already read for its queryset (LocalityChoiceField.rows), if any; the
        # filters' fields that take this iterator have none.
        rows = getattr(self.field, "rows", None)
        if rows is None:
            rows = tuple(
                self.queryset.values_list("pk", "path", "kind", "name", "valid_to", "former_name")
            )
        yield from locality_tree(rows)


def locality_tree(rows: tuple) -> tuple[tuple[int, str], ...]:
    """The tree's options from its rows (pk, path, kind, name, valid_to, former_name), ordered
    by path, in the active language."""
    return _tree_choices(rows, translation.get_language())


@functools.lru_cache(maxsize=64)
def _tree_choices(rows: tuple, language: str | None) -> tuple[tuple[int, str], ...]:
    """The labelled options of these localities' rows in the active `language` (part of the
    key only). The rows are read on every request and the key holds all of them, so a renamed,
    moved or ended unit is a new key: only the labelling, some 130 translated names on every
    list page, is done once per process."""
    base = min((path.count("/") - 1 for _pk, path, *_rest in rows), default=0)
    return tuple(
        (
            pk,
            "\u00a0\u00a0\u00a0\u00a0" * (path.count("/") - 1 - base)
            + LocalityChoiceField.label_of(
                Locality.full_name_of(kind, name), valid_to, former_name
            ),
        )
        for pk, path, kind, name, valid_to, former_name in rows
    )


class LocalityChoiceField(forms.ModelChoiceField):
    """Localities as an indented tree (not "— — Xã …", which reads like a blank).

    A record filed under a unit that has since ended is offered today's unit: saving the form
    files it there (the history keeps the old one).
    """

    iterator = LocalityTreeIterator
    # The rows (pk, path, kind, name, valid_to, former_name) of the queryset, ordered by path,
    # when the view has read them already for something else; None: the options read them.
    rows: tuple | None = None

    def label_from_instance(self, obj: Locality) -> str:
        return self.label_of(obj.full_name, obj.valid_to, obj.former_name)

    @staticmethod
    def label_of(full_name: str, valid_to, former_name: str) -> str:
        if valid_to is None:
            return full_name
        return _("%(name)s (đến %(day)s)") % {
            "name": former_name or full_name,
            "day": f"{valid_to:%d/%m/%Y}",
        }


def offer_todays_unit(form: forms.ModelForm, name: str = "locality") -> None:
    """A record filed under a unit that has ended since: its form starts at today's unit."""
    locality = getattr(form.instance, name, None) if form.instance.pk else None
    if locality is not None and locality.current_id and not form.is_bound:
        form.initial[name] = locality.current_id


class FetchedChoiceIterator(ModelChoiceIterator):
    """The choices read in one fetch. Django's iterator reads them through
    QuerySet.iterator(), which on PostgreSQL is a server-side cursor (DECLARE … WITH HOLD,
    FETCH, CLOSE: three round trips and a materialised result) for a short reference list
    that every list page's filter shows."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset.all():
            yield self.choice(obj)


class UserIterator(ModelChoiceIterator):
    """Users as (id, display_name) read as values, in one fetch (see FetchedChoiceIterator)."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        rows = self.queryset.values_list("pk", "full_name", "first_name", "last_name", "username")
        for pk, full_name, first_name, last_name, username in rows:
            yield (pk, full_name or f"{first_name} {last_name}".strip() or username)


class UserChoiceField(forms.ModelChoiceField):
    iterator = UserIterator

    def label_from_instance(self, obj):
        return obj.display_name
