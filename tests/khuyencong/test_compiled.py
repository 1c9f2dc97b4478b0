"""khuyencong/compiled.py: a statement compiled once per key gives the rows its queryset gives,
read afresh on every call."""

import itertools

import pytest
from django.db import connection
from django.db.models import Avg, BigIntegerField, Count, Q, Sum
from django.test.utils import CaptureQueriesContext

from facilities.models import Facility
from khuyencong import compiled
from khuyencong.models import Locality, LocalityKind

pytestmark = pytest.mark.django_db

_keys = itertools.count()


def _key(name: str) -> tuple:
    # A key of its own per test: the statements are kept for the whole process.
    return (f"test_compiled.{name}", next(_keys))


def test_it_gives_the_rows_of_the_queryset_converted_as_the_orm_does(commune_a1, commune_b1):
    def build():
        return (
            Locality.objects.values("kind")
            .annotate(n=Count("id"), depth=Sum("id") - Sum("id"))
            .order_by("kind")
        )

    rows = compiled.values_rows(_key("rows"), build)
    assert rows == list(build())
    # A sum of integers comes from PostgreSQL as a decimal; the ORM's converters make it an int.
    assert all(type(row["depth"]) is int for row in rows)


def test_its_sums_become_ints_and_other_columns_convert_as_the_orm_does(commune_a1, commune_b1):
    def build():
        return (
            Locality.objects.values("kind")
            .annotate(
                total=Sum("id", output_field=BigIntegerField()),
                none=Sum("id", filter=Q(pk=-1), output_field=BigIntegerField()),
                mean=Avg("id"),
                n=Count("id"),
            )
            .order_by("kind")
        )

    rows = compiled.values_rows(_key("converted"), build)
    assert rows == list(build())
    for row, orm in zip(rows, build(), strict=True):
        assert {k: type(v) for k, v in row.items()} == {k: type(v) for k, v in orm.items()}
    assert all(type(row["total"]) is int and row["none"] is None for row in rows)
    assert all(type(row["mean"]) is float for row in rows)


def test_it_builds_once_per_key_and_reads_the_rows_on_every_call(district_a):
    built = []
    key = _key("once")

    def build():
        built.append(1)
        return Locality.objects.filter(parent=district_a).values("name").order_by("name")

    assert compiled.values_rows(key, build) == []
    Locality.objects.create(code="A9", name="Xã Mới", kind=LocalityKind.COMMUNE, parent=district_a)
    assert compiled.values_rows(key, build) == [{"name": "Xã Mới"}]
    assert len(built) == 1


def test_a_statement_that_cannot_match_reads_nothing(province, django_assert_num_queries):
    key = _key("none")
    with django_assert_num_queries(0):
        assert compiled.values_rows(key, lambda: Locality.objects.none().values("id")) == []
        assert compiled.values_rows(key, lambda: Locality.objects.none().values("id")) == []


def test_instances_and_count_are_the_querysets(commune_a1, commune_b1, django_assert_num_queries):
    def build():
        return (
            Locality.objects.select_related("parent")
            .only("code", "name", "parent__code")
            .order_by("code")
        )

    def shown(objects):
        return [(o.pk, o.code, o.name, o.parent.code if o.parent else None) for o in objects]

    expected = list(build())
    objects = compiled.instances(_key("instances"), build)
    with django_assert_num_queries(0):
        # The related rows come with them, and the same fields are left unread.
        assert shown(objects) == shown(expected)
    assert [o.get_deferred_fields() for o in objects] == [o.get_deferred_fields() for o in expected]
    assert compiled.count(_key("count"), build) == build().count() == len(expected) > 2
    assert compiled.count(_key("count"), lambda: build().filter(code="A1")) == 1


def test_a_total_is_the_querysets_sum(commune_a1, commune_b1):
    def build():
        return Locality.objects.filter(parent__isnull=False)

    expected = build().aggregate(n=Sum("id"))["n"]
    assert compiled.total(_key("total"), build, "id") == expected > 0
    assert compiled.total(_key("total"), lambda: build().filter(code="none"), "id") == 0


def test_instances_by_ids_read_what_the_orm_reads_for_any_ids(
    facility_a, facility_b, django_assert_num_queries
):
    def build(pk):
        return Facility.objects.filter(pk__in=pk).select_related("locality").order_by("pk")

    for ids in ((facility_a.pk,), (facility_b.pk, facility_a.pk), (facility_b.pk,), (999,)):
        expected = list(build(list(ids)))
        with django_assert_num_queries(1):
            found = compiled.instances("test.facilities", build, pk=ids)
            assert [f.locality.name for f in found] == [f.locality.name for f in expected]
        assert found == expected
    shapes = [key for key in compiled._compiled if key[:2] == ("instances", "test.facilities")]
    assert len(shapes) == (2 if connection.vendor == "postgresql" else 0)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared on PostgreSQL only")
def test_instances_by_ids_are_prepared_once_per_connection_and_run_with_each_calls_ids(
    facility_a, facility_b
):
    def build(pk):
        return Facility.objects.filter(pk__in=pk, name__contains="%").order_by("pk")

    Facility.objects.filter(pk=facility_b.pk).update(name="Cơ sở 100%")
    sql = []
    for ids in ((facility_a.pk,), (facility_b.pk,), (facility_a.pk,)):
        with CaptureQueriesContext(connection) as captured:
            found = compiled.instances("test.prepared", build, pk=ids)
        assert found == list(build(list(ids)))  # the constant "%" kept in the prepared one
        sql += [query["sql"] for query in captured]
    first, second, third = sql
    assert first.startswith("PREPARE record_") and first.endswith(f"({facility_a.pk})")
    assert second == f"EXECUTE {first.split()[1].split('(')[0]}({facility_b.pk})"
    assert third.startswith("EXECUTE ")
    # A statement without ids (its key holds its values) is not prepared.
    with CaptureQueriesContext(connection) as captured:
        compiled.instances(_key("plain"), lambda: Facility.objects.order_by("pk"))
    assert captured[0]["sql"].startswith("SELECT ")
