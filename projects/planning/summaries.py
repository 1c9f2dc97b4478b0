"""Keeps `ProjectTotals` and `ProvinceTotals` (projects/models/summary.py) in step with the
projects.

The scheme is exact by construction: a write never adds or subtracts a delta. Whatever changes a
counted field — a project saved (created, edited, moved between states, approved, settled,
cancelled), a disbursement or its reversal recorded, an acceptance review scheduled, decided,
corrected or cancelled — ends with `refresh_groups(groups)`, which recomputes the totals of the
touched (year, source, activity type, locality) groups from the base tables in the same
transaction. It is called from model signals (below, connected in projects/apps.py), so every
path that goes through `save()` or `delete()` — rule functions, forms, the admin, test data —
keeps the totals right. Writes that bypass signals (`QuerySet.update()`, `bulk_create`, `loaddata`)
must call `refresh_groups` themselves or run `manage.py summaries --rebuild` after (the benchmark
filler does); none of the portal's own code changes a counted field that way.

Concurrency: the first step takes the row lock of each touched group (created if missing, in a
fixed order). A second writer of the same group waits, then recomputes after the first has
committed, so it sees both changes; on SQLite writers are serialised anyway.
"""

from collections import defaultdict
from collections.abc import Iterable
from functools import reduce
from operator import or_

from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    Count,
    ExpressionWrapper,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save

from projects.models import (
    SIGNED_AMOUNT,
    AcceptanceReview,
    Disbursement,
    Project,
    ProjectTotals,
    ProvinceTotals,
    Status,
    SummaryBucket,
    SummaryGroup,
)
from projects.models.project import COMMITTED_STATUSES
from projects.models.summary import FUND_SUMS, OUTCOME_KEYS
from projects.planning.budget import AllocationFigures

# A group: the rows rewritten together under one lock.
GROUP = ("year", "funding_source_id", "activity_type_id", "locality_id")
# A row of ProjectTotals within its group.
ROW = (*GROUP, "allocation_id", "status", "has_amount")
# A bucket: the groups of all localities, whose ProvinceTotals are rewritten together.
BUCKET = GROUP[:3]
# A row of ProvinceTotals: ROW without the locality.
PROVINCE_ROW = (*BUCKET, "allocation_id", "status", "has_amount")
SUMS = (
    *FUND_SUMS,
    *[f"expected_{k}" for k in OUTCOME_KEYS],
    "reviews",
    *[f"achieved_{k}" for k in OUTCOME_KEYS],
    "counterpart_invested",
)
# The project fields that decide where and what a project counts.
COUNTED_FIELDS = (
    *GROUP,
    "allocation_id",
    "status",
    "approved_amount",
    "settled_amount",
    "counterpart_funds",
    *[f"expected_{k}" for k in OUTCOME_KEYS],
)


def _has_amount(prefix: str = "") -> ExpressionWrapper:
    return ExpressionWrapper(
        Q(**{f"{prefix}approved_amount__isnull": False}), output_field=BooleanField()
    )


def compute(projects: QuerySet) -> dict[tuple, dict]:
    """The totals of `projects`, recomputed from the base tables: {ROW values: {sum: value}}.

    Three grouped queries (projects, disbursements, counted reviews), whatever the count.
    """
    result: dict[tuple, dict] = defaultdict(lambda: dict.fromkeys(SUMS, 0))
    rows = (
        projects.annotate(has_amount=_has_amount())
        .values(*ROW)
        .annotate(
            n=Count("id"),
            s_approved=Sum("approved_amount"),
            s_settled=Sum("settled_amount"),
            s_counterpart=Sum("counterpart_funds"),
            **{f"s_expected_{k}": Sum(f"expected_{k}") for k in OUTCOME_KEYS},
        )
        .order_by()
    )
    for row in rows:
        cell = result[tuple(row[k] for k in ROW)]
        cell["projects"] = row["n"]
        for name in (
            "approved",
            "settled",
            "counterpart",
            *[f"expected_{k}" for k in OUTCOME_KEYS],
        ):
            cell[name] = row[f"s_{name}"] or 0
        cell["counterpart_counted"] = cell["counterpart"]
    theirs = [f"project__{k}" for k in ROW[:-1]]
    money = (
        Disbursement.objects.filter(project__in=projects)
        .annotate(has_amount=_has_amount("project__"))
        .values(*theirs, "has_amount")
        .annotate(total=Sum(SIGNED_AMOUNT))
        .order_by()
    )
    for row in money:
        result[(*[row[k] for k in theirs], row["has_amount"])]["disbursed"] = row["total"] or 0
    reviews = (
        AcceptanceReview.objects.counted()
        .filter(project__in=projects)
        .annotate(has_amount=_has_amount("project__"))
        .values(*theirs, "has_amount")
        .annotate(
            n=Count("id"),
            **{f"s_{k}": Sum(f"achieved_{k}") for k in OUTCOME_KEYS},
            s_counterpart=Sum("counterpart_invested"),
            # A review that recorded the counterpart actually invested replaces the plan.
            s_recorded=Sum("counterpart_invested", filter=Q(counterpart_invested__gt=0)),
            s_replaced=Sum("project__counterpart_funds", filter=Q(counterpart_invested__gt=0)),
        )
        .order_by()
    )
    for row in reviews:
        cell = result[(*[row[k] for k in theirs], row["has_amount"])]
        cell["reviews"] = row["n"]
        for k in OUTCOME_KEYS:
            cell[f"achieved_{k}"] = row[f"s_{k}"] or 0
        cell["counterpart_invested"] = row["s_counterpart"] or 0
        cell["counterpart_counted"] += (row["s_recorded"] or 0) - (row["s_replaced"] or 0)
    return dict(result)


def _in_groups(groups: Iterable[tuple], prefix: str = "", fields: tuple = GROUP) -> Q:
    return reduce(
        or_,
        (
            Q(**{f"{prefix}{field}": value for field, value in zip(fields, g, strict=True)})
            for g in groups
        ),
    )


def _rows(cells: dict[tuple, dict]) -> list[ProjectTotals]:
    return [
        ProjectTotals(**dict(zip(ROW, key, strict=True)), **sums) for key, sums in cells.items()
    ]


def province_cells(cells: dict[tuple, dict]) -> dict[tuple, dict]:
    """ProjectTotals cells ({ROW: sums}) summed over the localities: {PROVINCE_ROW: sums}."""
    at = [ROW.index(k) for k in PROVINCE_ROW]
    result: dict[tuple, dict] = defaultdict(lambda: dict.fromkeys(SUMS, 0))
    for key, sums in cells.items():
        cell = result[tuple(key[i] for i in at)]
        for name in SUMS:
            cell[name] += sums[name]
    return dict(result)


def _province_rows(cells: dict[tuple, dict]) -> list[ProvinceTotals]:
    return [
        ProvinceTotals(**dict(zip(PROVINCE_ROW, key, strict=True)), **sums)
        for key, sums in province_cells(cells).items()
    ]


def _lock(model, fields: tuple, keys: list[tuple]) -> None:
    """Take the row locks of `keys` (rows of `model` keyed by `fields`), creating the missing
    rows first, in a fixed order, so that two writers of overlapping keys do not deadlock."""
    locked = set(
        model.objects.select_for_update()
        .filter(_in_groups(keys, fields=fields))
        .order_by(*fields)
        .values_list(*fields)
    )
    missing = [k for k in keys if k not in locked]
    if missing:
        # A writer creating the same row at this moment makes this insert wait for it.
        model.objects.bulk_create(
            [model(**dict(zip(fields, k, strict=True))) for k in missing],
            ignore_conflicts=True,
        )
        list(
            model.objects.select_for_update()
            .filter(_in_groups(missing, fields=fields))
            .order_by(*fields)
            .values_list("pk", flat=True)
        )


def refresh_groups(groups: Iterable[tuple]) -> None:
    """Recompute the totals of `groups` (GROUP values) from the base tables, under their locks,
    then the province-wide totals of their buckets from those.

    About ten statements for any number of groups: lock the buckets and the groups (creating
    those missing first takes two more each), three sums, delete and insert the rows, sum the
    buckets' rows, delete and insert those; each is well under a millisecond of database time,
    as the sums read one group's projects and one bucket's totals.
    """
    groups = sorted({tuple(g) for g in groups if None not in g})
    if not groups:
        return
    # No savepoint of its own: a failure here fails the write that called it.
    with transaction.atomic(savepoint=False):
        # Buckets first, then groups, always in this order (rebuild() locks the tables in the
        # same order): every writer of a bucket waits for the one before it to commit, then
        # sums the bucket's rows with that writer's change in them.
        buckets = sorted({g[: len(BUCKET)] for g in groups})
        _lock(SummaryBucket, BUCKET, buckets)
        _lock(SummaryGroup, GROUP, groups)
        cells = compute(Project.objects.filter(_in_groups(groups)))
        ProjectTotals.objects.filter(_in_groups(groups)).delete()
        ProjectTotals.objects.bulk_create(_rows(cells))
        in_buckets = _in_groups(buckets, fields=BUCKET)
        summed = (
            ProjectTotals.objects.filter(in_buckets)
            .values(*PROVINCE_ROW)
            .annotate(**{f"s_{name}": Sum(name) for name in SUMS})
            .order_by()
        )
        ProvinceTotals.objects.filter(in_buckets).delete()
        ProvinceTotals.objects.bulk_create(
            [
                ProvinceTotals(
                    **{k: row[k] for k in PROVINCE_ROW},
                    **{name: row[f"s_{name}"] or 0 for name in SUMS},
                )
                for row in summed
            ]
        )


def rebuild(*, province: bool = True) -> int:
    """Rewrite every row from the base tables; returns the number of ProjectTotals rows written.
    `province=False` leaves ProvinceTotals alone (migration 0009, which runs before they
    exist; 0012 fills them)."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Writers take bucket and group locks (ROW SHARE) or add them (ROW EXCLUSIVE): both
            # wait for the rebuild, then recompute their groups from what it committed. The
            # tables in the writers' order, so that neither waits for the other's second lock.
            tables = [SummaryGroup._meta.db_table]
            if province:
                tables.insert(0, SummaryBucket._meta.db_table)
            with connection.cursor() as cursor:
                for table in tables:
                    cursor.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
        groups = list(Project.objects.values_list(*GROUP).distinct().order_by())
        SummaryGroup.objects.bulk_create(
            [SummaryGroup(**dict(zip(GROUP, g, strict=True))) for g in groups],
            ignore_conflicts=True,
            batch_size=2000,
        )
        cells = compute(Project.objects.all())
        rows = _rows(cells)
        ProjectTotals.objects.all().delete()
        ProjectTotals.objects.bulk_create(rows, batch_size=2000)
        if province:
            SummaryBucket.objects.bulk_create(
                [
                    SummaryBucket(**dict(zip(BUCKET, b, strict=True)))
                    for b in {g[: len(BUCKET)] for g in groups}
                ],
                ignore_conflicts=True,
                batch_size=2000,
            )
            ProvinceTotals.objects.all().delete()
            ProvinceTotals.objects.bulk_create(_province_rows(cells), batch_size=2000)
    return len(rows)


def differences() -> list[str]:
    """Where the stored totals (ProjectTotals and ProvinceTotals) differ from a full
    recomputation (empty: they agree)."""
    expected = compute(Project.objects.all())
    found = _compare(ProjectTotals, ROW, expected, "")
    found += _compare(ProvinceTotals, PROVINCE_ROW, province_cells(expected), "toàn tỉnh: ")
    return found


def _compare(model, fields: tuple, expected: dict[tuple, dict], prefix: str) -> list[str]:
    stored: dict[tuple, dict] = {}
    duplicates = []
    for row in model.objects.values(*fields, *SUMS).order_by():
        key = tuple(row[k] for k in fields)
        if key in stored:
            duplicates.append(f"{prefix}{_label(key, fields)}: hàng trùng")
        stored[key] = {name: row[name] for name in SUMS}
    found = list(duplicates)
    zero = dict.fromkeys(SUMS, 0)
    for key in sorted(set(expected) | set(stored), key=repr):
        want, have = expected.get(key, zero), stored.get(key, zero)
        wrong = [f"{name} {have[name]} ≠ {want[name]}" for name in SUMS if have[name] != want[name]]
        if wrong:
            found.append(f"{prefix}{_label(key, fields)}: {', '.join(wrong)}")
    return found


def _label(key: tuple, fields: tuple = ROW) -> str:
    return ", ".join(f"{name}={value}" for name, value in zip(fields, key, strict=True))


# --- keeping in step: model signals -------------------------------------------------------


def _group_of(values) -> tuple:
    return tuple(values[k] if isinstance(values, dict) else getattr(values, k) for k in GROUP)


def groups_of_projects(ids: Iterable[int]) -> set[tuple]:
    return set(Project.objects.filter(pk__in=list(ids)).values_list(*GROUP).order_by())


def _project_before_save(sender, instance: Project, raw=False, **kwargs):
    if raw:
        return
    before = None
    if instance.pk is not None:
        stored = Project.objects.filter(pk=instance.pk)
        if transaction.get_connection().in_atomic_block:
            # Rule functions hold this lock already; a save that did not (a form, the admin)
            # waits here for a concurrent save of the same project, so the group it leaves is
            # the one that other save left it in.
            stored = stored.select_for_update()
        before = stored.values(*COUNTED_FIELDS).first()
    instance._summary_before = before


def _project_saved(sender, instance: Project, raw=False, created=False, **kwargs):
    if raw:
        return
    before = getattr(instance, "_summary_before", None)
    instance._summary_before = None
    after = {k: getattr(instance, k) for k in COUNTED_FIELDS}
    if before == after:
        return  # nothing that counts has changed (a title, a description, a date)
    groups = {_group_of(after)}
    if before is not None:
        groups.add(_group_of(before))
    refresh_groups(groups)


def _project_before_delete(sender, instance: Project, **kwargs):
    # The instance may be stale (loaded before an edit): its group as stored is the one to
    # refresh.
    instance._summary_groups = groups_of_projects([instance.pk])


def _project_deleted(sender, instance: Project, **kwargs):
    refresh_groups(getattr(instance, "_summary_groups", set()) | {_group_of(instance)})


def _child_changed(sender, instance, raw=False, **kwargs):
    """A disbursement or an acceptance review saved or deleted: its project's group."""
    if raw:
        return
    refresh_groups(groups_of_projects([instance.project_id]))


def connect() -> None:
    pre_save.connect(_project_before_save, sender=Project, dispatch_uid="totals_project_pre")
    post_save.connect(_project_saved, sender=Project, dispatch_uid="totals_project_saved")
    pre_delete.connect(
        _project_before_delete, sender=Project, dispatch_uid="totals_project_pre_del"
    )
    post_delete.connect(_project_deleted, sender=Project, dispatch_uid="totals_project_deleted")
    for model in (Disbursement, AcceptanceReview):
        name = model._meta.model_name
        post_save.connect(_child_changed, sender=model, dispatch_uid=f"totals_{name}_saved")
        post_delete.connect(_child_changed, sender=model, dispatch_uid=f"totals_{name}_deleted")


# --- reading ------------------------------------------------------------------------------


# An allocation's sums, read per (allocation, status, has_amount) row of ProvinceTotals.
ALLOCATION_SUMS = ("projects", "approved", "settled", "disbursed")
# The states whose approved amount an allocation has given out (budget.allocation_figures).
DRAWN_STATUSES = frozenset({*COMMITTED_STATUSES, Status.CANCELLED})


def add_allocation_row(
    figures,
    *,
    status: str,
    has_amount: bool,
    projects: int,
    approved: int,
    settled: int,
    disbursed: int,
) -> None:
    """Add one row of totals of an allocation (its projects in one state, with or without an
    approved amount, summed) to its AllocationFigures, as budget.allocation_figures counts them
    from the projects and disbursements: the one copy of that rule for every reader of the
    totals (allocation_figures below, the dashboard)."""
    # Money paid out counts whatever the state; what a cancelled project already received
    # stays spent, so it is not released.
    figures.disbursed += disbursed
    if status == Status.CANCELLED:
        figures.released -= disbursed
    if not has_amount:
        return
    if status in DRAWN_STATUSES:
        figures.approved += approved
    if status in COMMITTED_STATUSES:
        figures.projects += projects
    if status == Status.SETTLED:
        figures.settled += settled
        figures.released += approved - settled
    elif status == Status.CANCELLED:
        figures.released += approved


def add_allocation_rows(figures: dict, rows) -> None:
    """`add_allocation_row` for rows grouped by allocation (values() of ProvinceTotals with
    `allocation_id`, `status`, `has_amount` and `s_<name>` sums of ALLOCATION_SUMS): rows of
    allocations not in `figures` are left out."""
    for row in rows:
        f = figures.get(row["allocation_id"])
        if f is not None:
            add_allocation_row(
                f,
                status=row["status"],
                has_amount=row["has_amount"],
                **{name: row[f"s_{name}"] or 0 for name in ALLOCATION_SUMS},
            )


def allocation_figures(allocations: QuerySet | list) -> dict[int, AllocationFigures]:
    """budget.allocation_figures, read from the totals: the same figures in one query."""
    allocations = list(allocations)
    figures = {a.pk: AllocationFigures(allocated=a.amount) for a in allocations}
    if not figures:
        return figures
    rows = (
        # The province's rows: an allocation is the province's, summed over every locality.
        ProvinceTotals.objects.filter(allocation_id__in=list(figures))
        .values("allocation_id", "status", "has_amount")
        .annotate(**{f"s_{name}": Sum(name) for name in ALLOCATION_SUMS})
        .order_by()
    )
    add_allocation_rows(figures, rows)
    return figures
