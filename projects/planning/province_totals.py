"""Keeps `ProvinceTotals` (projects/models/summary.py) in step with `ProjectTotals`.

ProvinceTotals holds the ProjectTotals rows added up over the localities: the province-wide
reports and the dashboard's budget figures group by year, source, activity type, allocation and
status, never by locality when they read them, and a year of ProjectTotals is one row per
locality too (some 1,400 a year for a province of 130 units, against about a hundred here).

Exact by the same construction as ProjectTotals: `refresh(groups)` is called by
`summaries.refresh_groups` right after it rewrote the rows of those (year, source, activity
type, locality) groups, in the same transaction. It takes the row lock of each (year, source,
activity type) — after the locality groups' locks, in a fixed order, as every writer does — and
rewrites the province rows from the ProjectTotals rows, read after the lock is held: a writer of
another locality of the same year, source and activity type waits for it, then adds up what it
committed with its own change. `rebuild()` rewrites every row; `differences()` compares them with
a recomputation from the projects themselves (`manage.py summaries --check`).
"""

from collections.abc import Iterable
from functools import reduce
from operator import or_

from django.db import connection, transaction
from django.db.models import Q, Sum

from projects.models import ProjectTotals, ProvinceGroup, ProvinceTotals

# A province group: the rows rewritten together under one lock.
GROUP = ("year", "funding_source_id", "activity_type_id")
# A row of ProvinceTotals: a row of ProjectTotals without its locality.
ROW = (*GROUP, "allocation_id", "status", "has_amount")


def _sums() -> tuple[str, ...]:
    """The counted fields (TotalsSums): those of summaries.SUMS."""
    keys = {"id", *(name.removesuffix("_id") for name in ROW)}
    return tuple(f.name for f in ProvinceTotals._meta.concrete_fields if f.name not in keys)


def _in_groups(groups: Iterable[tuple]) -> Q:
    return reduce(or_, (Q(**dict(zip(GROUP, g, strict=True))) for g in groups), Q(pk__in=[]))


def _added_up(totals) -> list[ProvinceTotals]:
    """ProjectTotals rows `totals` summed over their localities, as ProvinceTotals rows."""
    sums = _sums()
    rows = totals.values(*ROW).annotate(**{f"s_{name}": Sum(name) for name in sums}).order_by()
    return [
        ProvinceTotals(**{k: row[k] for k in ROW}, **{name: row[f"s_{name}"] or 0 for name in sums})
        for row in rows
    ]


def refresh(groups: Iterable[tuple]) -> None:
    """Rewrite the province rows of the (year, source, activity type[, locality]) `groups`
    from ProjectTotals, under their locks; called inside summaries.refresh_groups."""
    groups = sorted({tuple(g[: len(GROUP)]) for g in groups if None not in g[: len(GROUP)]})
    if not groups:
        return
    with transaction.atomic(savepoint=False):
        locked = set(
            ProvinceGroup.objects.select_for_update()
            .filter(_in_groups(groups))
            .order_by(*GROUP)
            .values_list(*GROUP)
        )
        missing = [g for g in groups if g not in locked]
        if missing:
            ProvinceGroup.objects.bulk_create(
                [ProvinceGroup(**dict(zip(GROUP, g, strict=True))) for g in missing],
                ignore_conflicts=True,
            )
            list(
                ProvinceGroup.objects.select_for_update()
                .filter(_in_groups(missing))
                .order_by(*GROUP)
                .values_list("pk", flat=True)
            )
        rows = _added_up(ProjectTotals.objects.filter(_in_groups(groups)))
        ProvinceTotals.objects.filter(_in_groups(groups)).delete()
        ProvinceTotals.objects.bulk_create(rows)


def rebuild() -> int:
    """Rewrite every row from ProjectTotals (rebuilt first, in the same transaction, by
    summaries.rebuild); returns the number of rows written."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {ProvinceGroup._meta.db_table} IN EXCLUSIVE MODE")
        ProvinceGroup.objects.bulk_create(
            [
                ProvinceGroup(**dict(zip(GROUP, g, strict=True)))
                for g in ProjectTotals.objects.values_list(*GROUP).distinct().order_by()
            ],
            ignore_conflicts=True,
            batch_size=2000,
        )
        rows = _added_up(ProjectTotals.objects.all())
        ProvinceTotals.objects.all().delete()
        ProvinceTotals.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def differences(recomputed: dict[tuple, dict]) -> list[str]:
    """Where the stored province rows differ from `recomputed` — summaries.compute over every
    project — added up over the localities (empty: they agree)."""
    sums = _sums()
    expected: dict[tuple, dict] = {}
    for key, cell in recomputed.items():
        # ROW of ProjectTotals is (*GROUP, locality, allocation, status, has_amount).
        mine = (*key[:3], *key[4:])
        total = expected.setdefault(mine, dict.fromkeys(sums, 0))
        for name in sums:
            total[name] += cell[name]
    stored: dict[tuple, dict] = {}
    found = []
    for row in ProvinceTotals.objects.values(*ROW, *sums).order_by():
        key = tuple(row[k] for k in ROW)
        if key in stored:
            found.append(f"ProvinceTotals {_label(key)}: hàng trùng")
        stored[key] = {name: row[name] for name in sums}
    zero = dict.fromkeys(sums, 0)
    for key in sorted(set(expected) | set(stored), key=repr):
        want, have = expected.get(key, zero), stored.get(key, zero)
        wrong = [f"{n} {have[n]} ≠ {want[n]}" for n in sums if have[n] != want[n]]
        if wrong:
            found.append(f"ProvinceTotals {_label(key)}: {', '.join(wrong)}")
    return found


def _label(key: tuple) -> str:
    return ", ".join(f"{name}={value}" for name, value in zip(ROW, key, strict=True))
