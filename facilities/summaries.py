"""Keeps the registry's running totals (`RegistryTotals`, `FigureTotals` in facilities/models.py)
in step with the facilities and their yearly figures.

The same scheme as the projects' totals (projects/planning/summaries.py): a write never adds or
subtracts a delta. Whatever changes what a report counts — a facility created, deleted, moved to
another locality or given another main sector; a yearly figure added, edited or deleted — ends
with `refresh_localities(ids)`, which recomputes every row of the facilities of those localities
(the locality of the facility, where access scoping looks) from the base tables, in the same
transaction, under the localities' row locks (`RegistryGroup`, created if missing, locked in a
fixed order). It is called from model signals (connected in facilities/apps.py), so every path
through `save()` or `delete()` — forms, the admin, cascades, test data — keeps the totals
right. The bulk writers call it themselves: the yearly figures import
(facilities/figures_import.py) and the facility import (facilities/excel.py); the benchmark
filler runs `rebuild()`. `manage.py summaries --check` compares every row with a full
recomputation, `--rebuild` rewrites them.

A reorganisation of localities edits neither a facility's locality nor a figure's: the reports
regroup ended units in Python (projects.reports.base.roll_up), so it needs no rewrite here.
"""

from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Count, F, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save

from facilities.models import (
    Facility,
    FigureTotals,
    Product,
    Recognition,
    RecognitionTotals,
    RegistryGroup,
    RegistryTotals,
    YearlyFigure,
)

FIGURE_KEY = ("year", "facility_locality_id", "locality_id", "main_sector_id")
FIGURE_SUMS = ("facilities", "workers", "revenue", "production", "production_reported")
REGISTRY_KEY = ("locality_id", "main_sector_id")
RECOGNITION_KEY = ("year", "level", "facility_locality_id", "main_sector_id")


def compute_figures(figures: QuerySet) -> dict[tuple, dict]:
    """FigureTotals of `figures` (YearlyFigure rows), from the base tables: one grouped query."""
    rows = (
        figures.annotate(
            k_facility_locality=F("facility__locality_id"),
            k_locality=Coalesce("locality_id", "facility__locality_id"),
            k_sector=F("facility__main_sector_id"),
        )
        .values("year", "k_facility_locality", "k_locality", "k_sector")
        .annotate(
            n=Count("id"),
            w=Sum("workers"),
            r=Sum("revenue"),
            p=Sum("production_value"),
            pn=Count("production_value"),
        )
        .order_by()
    )
    return {
        (row["year"], row["k_facility_locality"], row["k_locality"], row["k_sector"]): {
            "facilities": row["n"],
            "workers": row["w"] or 0,
            "revenue": row["r"] or 0,
            "production": row["p"] or 0,
            "production_reported": row["pn"],
        }
        for row in rows
    }


def compute_registry(facilities: QuerySet) -> dict[tuple, dict]:
    """RegistryTotals of `facilities`: one grouped query."""
    rows = facilities.values(*REGISTRY_KEY).annotate(n=Count("id")).order_by()
    return {(row["locality_id"], row["main_sector_id"]): {"facilities": row["n"]} for row in rows}


def compute_recognitions(recognitions: QuerySet) -> dict[tuple, dict]:
    """RecognitionTotals of `recognitions`: one grouped query."""
    rows = (
        recognitions.values(
            "year", "level", "product__facility__locality_id", "product__facility__main_sector_id"
        )
        .annotate(n=Count("id"))
        .order_by()
    )
    return {
        (
            row["year"],
            row["level"],
            row["product__facility__locality_id"],
            row["product__facility__main_sector_id"],
        ): {"recognitions": row["n"]}
        for row in rows
    }


def _write(figures: dict[tuple, dict], registry: dict[tuple, dict], recognitions: dict) -> int:
    FigureTotals.objects.bulk_create(
        [
            FigureTotals(**dict(zip(FIGURE_KEY, key, strict=True)), **sums)
            for key, sums in figures.items()
        ],
        batch_size=2000,
    )
    RegistryTotals.objects.bulk_create(
        [
            RegistryTotals(**dict(zip(REGISTRY_KEY, key, strict=True)), **sums)
            for key, sums in registry.items()
        ],
        batch_size=2000,
    )
    RecognitionTotals.objects.bulk_create(
        [
            RecognitionTotals(**dict(zip(RECOGNITION_KEY, key, strict=True)), **sums)
            for key, sums in recognitions.items()
        ],
        batch_size=2000,
    )
    return len(figures) + len(registry) + len(recognitions)


def refresh_localities(ids: Iterable[int | None]) -> None:
    """Recompute the totals of the facilities of localities `ids` from the base tables, under
    the localities' locks. Seven statements for any number of localities (two more when a lock
    row is missing); the sums read those localities' facilities and figures only."""
    ids = sorted({i for i in ids if i is not None})
    if not ids:
        return
    # No savepoint of its own: a failure here fails the write that called it.
    with transaction.atomic(savepoint=False):
        # In a fixed order, so that two writers of overlapping localities do not deadlock.
        locked = set(
            RegistryGroup.objects.select_for_update()
            .filter(locality_id__in=ids)
            .order_by("locality_id")
            .values_list("locality_id", flat=True)
        )
        missing = [i for i in ids if i not in locked]
        if missing:
            # A writer creating the same group at this moment makes this insert wait for it.
            RegistryGroup.objects.bulk_create(
                [RegistryGroup(locality_id=i) for i in missing], ignore_conflicts=True
            )
            list(
                RegistryGroup.objects.select_for_update()
                .filter(locality_id__in=missing)
                .order_by("locality_id")
                .values_list("pk", flat=True)
            )
        figures = compute_figures(YearlyFigure.objects.filter(facility__locality_id__in=ids))
        registry = compute_registry(Facility.objects.filter(locality_id__in=ids))
        recognitions = compute_recognitions(
            Recognition.objects.filter(product__facility__locality_id__in=ids)
        )
        FigureTotals.objects.filter(facility_locality_id__in=ids).delete()
        RegistryTotals.objects.filter(locality_id__in=ids).delete()
        RecognitionTotals.objects.filter(facility_locality_id__in=ids).delete()
        _write(figures, registry, recognitions)


def rebuild() -> int:
    """Rewrite every row from the base tables; returns the number of rows written."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Writers take group locks (ROW SHARE) or add groups (ROW EXCLUSIVE): both wait for
            # the rebuild, then recompute their localities from what it committed.
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {RegistryGroup._meta.db_table} IN EXCLUSIVE MODE")
        RegistryGroup.objects.bulk_create(
            [
                RegistryGroup(locality_id=i)
                for i in Facility.objects.values_list("locality_id", flat=True)
                .distinct()
                .order_by()
            ],
            ignore_conflicts=True,
            batch_size=2000,
        )
        figures = compute_figures(YearlyFigure.objects.all())
        registry = compute_registry(Facility.objects.all())
        recognitions = compute_recognitions(Recognition.objects.all())
        FigureTotals.objects.all().delete()
        RegistryTotals.objects.all().delete()
        RecognitionTotals.objects.all().delete()
        return _write(figures, registry, recognitions)


def differences() -> list[str]:
    """Where the stored totals differ from a full recomputation (empty: they agree)."""
    found = []
    for model, key, sums, expected in (
        (FigureTotals, FIGURE_KEY, FIGURE_SUMS, compute_figures(YearlyFigure.objects.all())),
        (RegistryTotals, REGISTRY_KEY, ("facilities",), compute_registry(Facility.objects.all())),
        (
            RecognitionTotals,
            RECOGNITION_KEY,
            ("recognitions",),
            compute_recognitions(Recognition.objects.all()),
        ),
    ):
        stored: dict[tuple, dict] = {}
        for row in model.objects.values(*key, *sums).order_by():
            k = tuple(row[name] for name in key)
            if k in stored:
                found.append(f"{model.__name__} {_label(key, k)}: hàng trùng")
            stored[k] = {name: row[name] for name in sums}
        zero = dict.fromkeys(sums, 0)
        for k in sorted(set(expected) | set(stored), key=repr):
            want, have = expected.get(k, zero), stored.get(k, zero)
            wrong = [f"{n} {have[n]} ≠ {want[n]}" for n in sums if have[n] != want[n]]
            if wrong:
                found.append(f"{model.__name__} {_label(key, k)}: {', '.join(wrong)}")
    return found


def _label(names: tuple, key: tuple) -> str:
    return ", ".join(f"{name}={value}" for name, value in zip(names, key, strict=True))


# --- keeping in step: model signals -------------------------------------------------------

# What decides where a facility's figures and registry count go.
FACILITY_FIELDS = ("locality_id", "main_sector_id")


def _stored(qs: QuerySet) -> QuerySet:
    # Inside a transaction (every portal write, see Facility.save) the row stays locked until
    # commit: a concurrent move of the same facility waits, and the locality read here is the
    # one the other writer left it in. Facility row first, then the locality locks: one order.
    return qs.select_for_update() if transaction.get_connection().in_atomic_block else qs


def _facility_locality(pk) -> int | None:
    if pk is None:
        return None
    return _stored(Facility.objects.filter(pk=pk)).values_list("locality_id", flat=True).first()


def _figure_facility(pk) -> int | None:
    return YearlyFigure.objects.filter(pk=pk).values_list("facility_id", flat=True).first()


def _facility_before_save(sender, instance: Facility, raw=False, **kwargs):
    if raw:
        return
    before = None
    if instance.pk is not None:
        before = _stored(Facility.objects.filter(pk=instance.pk)).values(*FACILITY_FIELDS).first()
    instance._totals_before = before


def _facility_saved(sender, instance: Facility, raw=False, created=False, **kwargs):
    if raw:
        return
    before = getattr(instance, "_totals_before", None)
    instance._totals_before = None
    after = {k: getattr(instance, k) for k in FACILITY_FIELDS}
    if before == after:
        return  # a name, an address, a phone number: nothing the totals count
    refresh_localities({after["locality_id"], before["locality_id"] if before else None})


def _facility_before_delete(sender, instance: Facility, **kwargs):
    # Sent before any row of the cascade is deleted: the facility is locked before its
    # figures' deletions take the locality locks.
    instance._totals_locality = _facility_locality(instance.pk)


def _facility_deleted(sender, instance: Facility, **kwargs):
    refresh_localities({getattr(instance, "_totals_locality", None), instance.locality_id})


def _figure_before_save(sender, instance: YearlyFigure, raw=False, **kwargs):
    if raw:
        return
    before = None
    if instance.pk is not None:
        # A figure moved to another facility (the admin) leaves its former facility's locality.
        before = _facility_locality(_figure_facility(instance.pk))
    instance._totals_localities = {before, _facility_locality(instance.facility_id)}


def _figure_saved(sender, instance: YearlyFigure, raw=False, **kwargs):
    if raw:
        return
    localities = getattr(instance, "_totals_localities", None)
    instance._totals_localities = None
    if localities is None:
        localities = {_facility_locality(instance.facility_id)}
    refresh_localities(localities)


def _figure_before_delete(sender, instance: YearlyFigure, **kwargs):
    instance._totals_locality = _facility_locality(_figure_facility(instance.pk))


def _figure_deleted(sender, instance: YearlyFigure, **kwargs):
    refresh_localities({getattr(instance, "_totals_locality", None)})


def _product_facility(pk) -> int | None:
    return Product.objects.filter(pk=pk).values_list("facility_id", flat=True).first()


def _recognition_product(pk) -> int | None:
    return Recognition.objects.filter(pk=pk).values_list("product_id", flat=True).first()


def _product_before_save(sender, instance: Product, raw=False, **kwargs):
    if raw:
        return
    # A product moved to another facility (the admin) leaves its former facility's locality.
    before = _facility_locality(_product_facility(instance.pk)) if instance.pk else None
    instance._totals_localities = {before, _facility_locality(instance.facility_id)}


def _product_saved(sender, instance: Product, raw=False, created=False, **kwargs):
    if raw:
        return
    localities = getattr(instance, "_totals_localities", None) or set()
    instance._totals_localities = None
    # A new product holds no recognition yet; an edited one may have moved (with them) to a
    # facility of another locality or sector.
    if not created:
        refresh_localities(localities)


def _product_before_delete(sender, instance: Product, **kwargs):
    instance._totals_locality = _facility_locality(_product_facility(instance.pk))


def _product_deleted(sender, instance: Product, **kwargs):
    refresh_localities({getattr(instance, "_totals_locality", None)})


def _recognition_before_save(sender, instance: Recognition, raw=False, **kwargs):
    if raw:
        return
    before = None
    if instance.pk is not None:
        before = _facility_locality(_product_facility(_recognition_product(instance.pk)))
    instance._totals_localities = {
        before,
        _facility_locality(_product_facility(instance.product_id)),
    }


def _recognition_saved(sender, instance: Recognition, raw=False, **kwargs):
    if raw:
        return
    localities = getattr(instance, "_totals_localities", None)
    instance._totals_localities = None
    if localities is None:
        localities = {_facility_locality(_product_facility(instance.product_id))}
    refresh_localities(localities)


def _recognition_before_delete(sender, instance: Recognition, **kwargs):
    instance._totals_locality = _facility_locality(
        _product_facility(_recognition_product(instance.pk))
    )


def _recognition_deleted(sender, instance: Recognition, **kwargs):
    refresh_localities({getattr(instance, "_totals_locality", None)})


def connect() -> None:
    for model, before_save, saved, before_delete, deleted in (
        (Product, _product_before_save, _product_saved, _product_before_delete, _product_deleted),
        (
            Recognition,
            _recognition_before_save,
            _recognition_saved,
            _recognition_before_delete,
            _recognition_deleted,
        ),
    ):
        name = model._meta.model_name
        pre_save.connect(before_save, sender=model, dispatch_uid=f"totals_{name}_pre")
        post_save.connect(saved, sender=model, dispatch_uid=f"totals_{name}_saved")
        pre_delete.connect(before_delete, sender=model, dispatch_uid=f"totals_{name}_pre_del")
        post_delete.connect(deleted, sender=model, dispatch_uid=f"totals_{name}_del")
    pre_save.connect(_facility_before_save, sender=Facility, dispatch_uid="totals_facility_pre")
    post_save.connect(_facility_saved, sender=Facility, dispatch_uid="totals_facility_saved")
    pre_delete.connect(
        _facility_before_delete, sender=Facility, dispatch_uid="totals_facility_pre_del"
    )
    post_delete.connect(_facility_deleted, sender=Facility, dispatch_uid="totals_facility_del")
    pre_save.connect(_figure_before_save, sender=YearlyFigure, dispatch_uid="totals_figure_pre")
    post_save.connect(_figure_saved, sender=YearlyFigure, dispatch_uid="totals_figure_saved")
    pre_delete.connect(
        _figure_before_delete, sender=YearlyFigure, dispatch_uid="totals_figure_pre_del"
    )
    post_delete.connect(_figure_deleted, sender=YearlyFigure, dispatch_uid="totals_figure_del")
