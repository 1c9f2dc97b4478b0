"""The change history of a facility: who changed what and when, from simple_history's records.

Each saved version is compared with the previous version of the same object
(`diff_against`), for the facility itself and for its yearly figures, products and
recognitions, and the differences are shown with the fields' Vietnamese names. Five queries
whatever the length of the history: one per historical table, and one for each kind of
foreign key (locality, sector) shown by name.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from facilities.models import Facility, Product, Recognition, RecognitionLevel, Sector, YearlyFigure
from khuyencong.models import Locality, User
from khuyencong.money import format_vnd
from khuyencong.row_flags import may_have

MONEY_FIELDS = {"revenue", "capital"}
# Fields that point at the record's parent: always the same facility or product, never shown.
PARENT_FIELDS = {"facility", "product"}


@dataclass
class Change:
    label: str
    old: str
    new: str


@dataclass
class Entry:
    when: datetime.datetime
    user: User | None
    subject: str
    action: str  # "created", "changed" or "deleted"
    changes: list[Change] = field(default_factory=list)
    reason: str = ""
    order: int = 0

    @property
    def action_label(self) -> str:
        return {"created": _("Thêm mới"), "changed": _("Sửa"), "deleted": _("Xóa")}[self.action]


class _Formatter:
    def __init__(self, records: list):
        locality_ids, sector_ids = set(), set()
        for record in records:
            if hasattr(record, "locality_id"):
                locality_ids.add(record.locality_id)
            if hasattr(record, "main_sector_id"):
                sector_ids.add(record.main_sector_id)
        # Names are shown only for changes (a created facility lists no values): a locality or
        # sector that all the records share needs none.
        self.names = {
            "locality": {
                pk: loc.full_name for pk, loc in Locality.objects.in_bulk(locality_ids).items()
            }
            if len(locality_ids) > 1
            else {},
            "main_sector": {pk: s.name for pk, s in Sector.objects.in_bulk(sector_ids).items()}
            if len(sector_ids) > 1
            else {},
        }

    def value(self, model_field: models.Field, value) -> str:
        if value is None or value == "":
            return "—"
        if model_field.name in self.names:
            return self.names[model_field.name].get(value, _("(đã xóa)"))
        if model_field.choices:
            return str(dict(model_field.flatchoices).get(value, value))
        if isinstance(model_field, models.BooleanField):
            return _("Có") if value else _("Không")
        if model_field.name in MONEY_FIELDS:
            return format_vnd(value)
        if isinstance(model_field, models.IntegerField) and model_field.name != "year":
            return format_vnd(value, symbol=False)
        return str(value)

    def label(self, model_field: models.Field) -> str:
        return capfirst(str(model_field.verbose_name))


def _tracked_fields(record) -> list[models.Field]:
    return [
        f
        for f in record.instance_type._meta.concrete_fields
        if f.editable
        and not f.primary_key
        and f.name not in PARENT_FIELDS
        and hasattr(record, f.attname)
    ]


def _entries(records, subject, fmt: _Formatter, *, created_values: set | None) -> list[Entry]:
    """One entry per historical record, each compared with the previous one of its object.

    `created_values`: for a new object, list its values except these fields (already in the
    subject); None lists nothing."""
    by_object = defaultdict(list)
    for record in records:
        by_object[record.id].append(record)
    entries = []
    for versions in by_object.values():
        versions.sort(key=lambda r: (r.history_date, r.history_id))
        previous = None
        for record in versions:
            entry = Entry(
                when=record.history_date,
                user=record.history_user,
                subject=subject(record),
                action="changed",
                reason=record.history_change_reason or "",
                order=record.history_id,
            )
            if record.history_type == "+":
                entry.action = "created"
                if created_values is not None:
                    entry.changes = [
                        Change(fmt.label(f), "", fmt.value(f, getattr(record, f.attname)))
                        for f in _tracked_fields(record)
                        if getattr(record, f.attname) not in (None, "")
                        and f.name not in created_values
                    ]
            elif record.history_type == "-":
                entry.action = "deleted"
            elif previous is not None:
                delta = record.diff_against(previous, excluded_fields=PARENT_FIELDS)
                meta = record.instance_type._meta
                for change in delta.changes:
                    model_field = meta.get_field(change.field)
                    entry.changes.append(
                        Change(
                            fmt.label(model_field),
                            fmt.value(model_field, change.old),
                            fmt.value(model_field, change.new),
                        )
                    )
                if not entry.changes and not entry.reason:
                    previous = record
                    continue  # saved without changing anything worth showing
            entries.append(entry)
            previous = record
    return entries


def facility_history(facility: Facility) -> list[Entry]:
    """Every recorded change of the facility and its figures, products and recognitions,
    newest first."""
    # Each kind of record read only when the facility may have some (khuyencong/row_flags.py:
    # the facility page reads the flags with the facility).
    facility_records = (
        list(Facility.history.filter(id=facility.pk).select_related("history_user"))
        if may_have(facility, "history")
        else []
    )
    figure_records = (
        list(YearlyFigure.history.filter(facility_id=facility.pk).select_related("history_user"))
        if may_have(facility, "figure_history")
        else []
    )
    product_records = (
        list(Product.history.filter(facility_id=facility.pk).select_related("history_user"))
        if may_have(facility, "product_history")
        else []
    )
    product_ids = {r.id for r in product_records}
    recognition_records = (
        list(Recognition.history.filter(product_id__in=product_ids).select_related("history_user"))
        if product_ids
        else []
    )
    fmt = _Formatter(facility_records)

    # A product's latest recorded name labels its recognitions, even after a rename or delete.
    product_names = {}
    for record in sorted(product_records, key=lambda r: (r.history_date, r.history_id)):
        product_names[record.id] = record.name
    levels = dict(RecognitionLevel.choices)

    entries = [
        *_entries(
            facility_records,
            lambda r: _("Thông tin cơ sở"),
            fmt,
            created_values=None,
        ),
        *_entries(
            figure_records,
            lambda r: _("Số liệu năm %(year)s") % {"year": r.year},
            fmt,
            created_values={"year"},
        ),
        *_entries(
            product_records,
            lambda r: _("Sản phẩm “%(name)s”") % {"name": r.name},
            fmt,
            created_values={"name"},
        ),
        *_entries(
            recognition_records,
            lambda r: (
                _("Công nhận %(level)s năm %(year)s – sản phẩm “%(product)s”")
                % {
                    "level": str(levels.get(r.level, r.level)).lower(),
                    "year": r.year,
                    "product": product_names.get(r.product_id, "?"),
                }
            ),
            fmt,
            created_values={"level", "year"},
        ),
    ]
    entries.sort(key=lambda e: (e.when, e.order), reverse=True)
    return entries
