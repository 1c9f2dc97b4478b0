"""A "Lịch sử thay đổi" section for any model kept by django-simple-history.

`change_history(*sources)` takes historical querysets (each with a subject: a fixed text or a
function of the record) and returns entries newest first: who, when, and for each changed field
its Vietnamese name, old → new. Foreign keys are shown by name, one query per related model
whatever the number of records; money (whole-đồng `PositiveBigIntegerField`s), dates, choices
and yes/no are shown the way the rest of the portal shows them. Used by the planning pages
(allocations, programmes, plans, norms, funding sources, activity types).
"""

import datetime
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import models
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from khuyencong.money import format_vnd

Subject = str | Callable[[object], str]


@dataclass
class Change:
    label: str
    old: str
    new: str


@dataclass
class Entry:
    when: datetime.datetime
    user: object
    subject: str
    action: str  # "created", "changed" or "deleted"
    changes: list[Change] = field(default_factory=list)
    order: int = 0

    @property
    def action_label(self) -> str:
        return {"created": _("Thêm mới"), "changed": _("Sửa"), "deleted": _("Xóa")}[self.action]


def _fields(model, hidden: set[str]) -> list[models.Field]:
    return [
        f
        for f in model._meta.concrete_fields
        if f.editable and not f.primary_key and f.name not in hidden
    ]


class _Formatter:
    """Shows values; foreign keys by name, fetched once per related model."""

    def __init__(self, records_by_model: dict, hidden: set[str]):
        wanted = defaultdict(set)
        for model, records in records_by_model.items():
            for f in _fields(model, hidden):
                if f.is_relation:
                    for record in records:
                        value = getattr(record, f.attname, None)
                        if value is not None:
                            wanted[f.related_model].add(value)
        self.names = {
            related: {pk: str(obj) for pk, obj in related.objects.in_bulk(ids).items()}
            for related, ids in wanted.items()
        }

    def value(self, f: models.Field, value) -> str:
        if value is None or value == "":
            return "—"
        if f.is_relation:
            return self.names.get(f.related_model, {}).get(value, _("(đã xóa)"))
        if f.choices:
            return str(dict(f.flatchoices).get(value, value))
        if isinstance(f, models.BooleanField):
            return _("Có") if value else _("Không")
        if isinstance(f, models.PositiveBigIntegerField | models.BigIntegerField):
            return format_vnd(value)
        if isinstance(value, datetime.datetime):
            return date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
        if isinstance(value, datetime.date):
            return date_format(value, "SHORT_DATE_FORMAT")
        return str(value)

    @staticmethod
    def label(f: models.Field) -> str:
        # Money is shown with its ₫ sign, so the "(đồng)" of the field name is not repeated.
        return capfirst(str(f.verbose_name).removesuffix(" (đồng)"))


def _subject(subject: Subject, record, fields, fmt: _Formatter) -> str:
    """A fixed text, a function of the record, or a text with %(field)s placeholders filled
    with the record's values as shown (a funding source by its name)."""
    if callable(subject):
        return subject(record)
    text = str(subject)
    if "%(" not in text:
        return text
    return text % {f.name: fmt.value(f, getattr(record, f.attname)) for f in fields}


def change_history(*sources: tuple, hidden: set[str] | None = None) -> list[Entry]:
    """`sources`: (historical queryset, subject) pairs. `hidden`: field names never shown
    (links to the parent record, e.g. "programme"). One query per source plus one per related
    model shown by name."""
    hidden = set(hidden or ())
    loaded = []
    for queryset, subject in sources:
        records = list(queryset.select_related("history_user"))
        loaded.append((queryset.model.instance_type, records, subject))
    by_model = defaultdict(list)
    for model, records, _unused in loaded:
        by_model[model].extend(records)
    fmt = _Formatter(by_model, hidden)

    entries = []
    for model, records, subject in loaded:
        fields = _fields(model, hidden)
        by_object = defaultdict(list)
        for record in records:
            by_object[record.id].append(record)
        for versions in by_object.values():
            versions.sort(key=lambda r: (r.history_date, r.history_id))
            previous = None
            for record in versions:
                entry = Entry(
                    when=record.history_date,
                    user=record.history_user,
                    subject=_subject(subject, record, fields, fmt),
                    action="changed",
                    order=record.history_id,
                )
                if record.history_type == "+":
                    entry.action = "created"
                    entry.changes = [
                        Change(fmt.label(f), "", fmt.value(f, getattr(record, f.attname)))
                        for f in fields
                        if getattr(record, f.attname) not in (None, "")
                    ]
                elif record.history_type == "-":
                    entry.action = "deleted"
                elif previous is None:
                    # Recorded before history was kept (reference data loaded by a migration):
                    # the old values are unknown, the saved ones are shown.
                    entry.changes = [
                        Change(
                            fmt.label(f), _("(không rõ)"), fmt.value(f, getattr(record, f.attname))
                        )
                        for f in fields
                    ]
                elif previous is not None:
                    for f in fields:
                        old, new = getattr(previous, f.attname), getattr(record, f.attname)
                        if old != new:
                            entry.changes.append(
                                Change(fmt.label(f), fmt.value(f, old), fmt.value(f, new))
                            )
                    if not entry.changes:
                        previous = record
                        continue  # saved without changing anything
                entries.append(entry)
                previous = record
    entries.sort(key=lambda e: (e.when, e.order), reverse=True)
    return entries
