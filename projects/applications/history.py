"""The "Lịch sử thay đổi" of a project: field changes read from django-simple-history.

Each historical record is compared with the one before it; foreign keys are shown by name
(one query per related model, whatever the number of records) and money, dates, choices and
yes/no values the way the rest of the portal shows them.
"""

import datetime
from dataclasses import dataclass, field

from django.db import models
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from khuyencong.money import format_vnd
from khuyencong.named_users import NamedUsers
from projects.models import Project

# Bookkeeping that the timeline already shows in a better form.
SKIPPED = {"status_changed_at", "created_at"}
MONEY_FIELDS = {
    f.name for f in Project._meta.get_fields() if isinstance(f, models.PositiveBigIntegerField)
}


@dataclass
class Change:
    label: str
    old: str
    new: str


@dataclass
class HistoryEntry:
    at: datetime.datetime
    user: object
    kind: str  # "+" created, "~" changed
    reason: str
    changes: list[Change] = field(default_factory=list)


def _tracked_fields():
    return [
        f
        for f in Project._meta.concrete_fields
        if f.name not in SKIPPED and f.name not in {"id", "search_text", "updated_at"}
    ]


def _label(f) -> str:
    # Money is shown with its ₫ sign, so the "(đồng)" of the field name is not repeated.
    return str(f.verbose_name).removesuffix(" (đồng)").capitalize()


def _display(f, value, names) -> str:
    if value is None or value == "":
        return "—"
    if f.is_relation:
        return names.get(f.name, {}).get(value, f"#{value}")
    if f.choices:
        return str(dict(f.flatchoices).get(value, value))
    if f.name in MONEY_FIELDS:
        return format_vnd(value)
    if isinstance(value, bool):
        return _("Có") if value else _("Không")
    if isinstance(value, datetime.datetime):
        return date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
    if isinstance(value, datetime.date):
        return date_format(value, "SHORT_DATE_FORMAT")
    return str(value)


def history_records(project: Project, people: NamedUsers | None = None) -> list:
    """The project's historical records, oldest first, with the users who made them: read now,
    or by `people` with the other users of the page (then before project_history)."""
    records = project.history.order_by("history_date", "pk")
    if people is None:
        return list(records.select_related("history_user"))
    return people.want(records, "history_user")


def project_history(project: Project, records: list | None = None) -> list[HistoryEntry]:
    """Newest first. A record without a visible change (e.g. a bare save) is left out.
    `records`: history_records(project), when read already."""
    if records is None:
        records = history_records(project)
    fields = _tracked_fields()
    names = {}
    for f in fields:
        if f.is_relation:
            values = {getattr(r, f.attname) for r in records}
            ids = values - {None}
            # Names are shown only for changes: a value the records all share needs none.
            if ids and len(values) > 1:
                related = f.related_model._default_manager.filter(pk__in=ids)
                names[f.name] = {obj.pk: str(obj) for obj in related}
    entries = []
    previous = None
    for record in records:
        entry = HistoryEntry(
            at=record.history_date,
            user=record.history_user,
            kind=record.history_type,
            reason=record.history_change_reason or "",
        )
        if previous is not None:
            for f in fields:
                old, new = getattr(previous, f.attname), getattr(record, f.attname)
                if old != new and not (old in (None, "") and new in (None, "")):
                    entry.changes.append(
                        Change(
                            label=_label(f),
                            old=_display(f, old, names),
                            new=_display(f, new, names),
                        )
                    )
        if previous is None or entry.changes:
            entries.append(entry)
        previous = record
    entries.reverse()
    return entries
