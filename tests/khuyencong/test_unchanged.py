"""Results kept while the database has not changed (khuyencong/unchanged.py): given again only
while no transaction has committed, read afresh after any commit — a write still running on
another connection does not count until it commits — and never inside a transaction."""

import psycopg
import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from khuyencong import unchanged
from khuyencong.models import Locality, LocalityKind

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _reader(value):
    calls = []

    def read():
        calls.append(1)
        return value()

    return read, calls


def _other_connection() -> psycopg.Connection:
    settings = connection.settings_dict
    return psycopg.connect(
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        user=settings["USER"],
        password=settings["PASSWORD"] or None,
        dbname=settings["NAME"],
    )


def test_a_result_is_given_again_until_a_commit(province):
    read, calls = _reader(lambda: Locality.objects.count())
    first = unchanged.kept(("test", "localities"), read)
    with CaptureQueriesContext(connection) as captured:
        assert unchanged.kept(("test", "localities"), read) == first
    assert len(calls) == 1
    # The second time only the snapshot is asked for: the count is not run again.
    assert [q["sql"] for q in captured] == ["SELECT pg_current_snapshot()::text"]

    Locality.objects.create(code="M", name="Xã Mới", kind=LocalityKind.COMMUNE, parent=province)
    assert unchanged.kept(("test", "localities"), read) == first + 1
    assert len(calls) == 2


def test_a_write_not_yet_committed_elsewhere_changes_nothing_until_it_commits(province):
    spare = Locality.objects.create(
        code="TH", name="Xã Thừa", kind=LocalityKind.COMMUNE, parent=province
    )
    read, calls = _reader(lambda: Locality.objects.count())
    before = unchanged.kept(("test", "other"), read)
    with _other_connection() as other:
        other.execute("DELETE FROM khuyencong_locality WHERE id = %s", [spare.pk])
        # Running, not committed: readers see the same rows, so the kept result stands.
        assert unchanged.kept(("test", "other"), read) == before
        assert len(calls) == 1
        other.commit()
    assert unchanged.kept(("test", "other"), read) == before - 1
    assert len(calls) == 2


def test_keys_are_kept_apart_and_a_failed_read_keeps_nothing(province):
    assert unchanged.kept(("test", "a"), lambda: "a") == "a"
    assert unchanged.kept(("test", "b"), lambda: "b") == "b"
    assert unchanged.kept(("test", "a"), lambda: "not read") == "a"

    def fails():
        raise ValueError

    with pytest.raises(ValueError):
        unchanged.kept(("test", "c"), fails)
    assert unchanged.kept(("test", "c"), lambda: "c") == "c"


def test_inside_a_transaction_every_call_reads(province):
    # A transaction's own writes do not change its snapshot: nothing may be kept there.
    read, calls = _reader(lambda: Locality.objects.count())
    with transaction.atomic():
        first = unchanged.kept(("test", "atomic"), read)
        Locality.objects.create(
            code="TR", name="Xã Trong", kind=LocalityKind.COMMUNE, parent=province
        )
        assert unchanged.kept(("test", "atomic"), read) == first + 1
    assert len(calls) == 2


def test_switched_off_every_call_reads(province, settings):
    settings.KEEP_UNCHANGED_RESULTS = False
    read, calls = _reader(lambda: 1)
    unchanged.kept(("test", "off"), read)
    with CaptureQueriesContext(connection) as captured:
        unchanged.kept(("test", "off"), read)
    assert len(calls) == 2 and len(captured) == 0


def test_a_request_asks_for_the_snapshot_once_and_again_after_its_own_write(province, rf):
    asked = []

    def view(request):
        with CaptureQueriesContext(connection) as captured:
            counts = [unchanged.kept(("test", "view", 1), Locality.objects.count)]
            counts.append(unchanged.kept(("test", "view", 2), Locality.objects.count))
            Locality.objects.create(
                code="V", name="Xã Viết", kind=LocalityKind.COMMUNE, parent=province
            )
            counts.append(unchanged.kept(("test", "view", 1), Locality.objects.count))
        asked.extend(q["sql"] for q in captured if "pg_current_snapshot" in q["sql"])
        return counts

    first, second, after = unchanged.RequestSnapshotMiddleware(view)(rf.get("/"))
    assert first == second and after == first + 1  # its own write, seen at once
    assert len(asked) == 2  # once for the two reads, once after the write
    assert connection.kc_request_snapshot is None  # nothing left for the next request


def test_a_key_that_cannot_be_kept_is_read_every_time(province):
    read, calls = _reader(lambda: "read")
    for _ in range(2):
        assert unchanged.kept(("test", ["a list"]), read) == "read"
    assert len(calls) == 2


def _names():
    return unchanged.kept(
        ("test", "names"), lambda: sorted(Locality.objects.values_list("name", flat=True))
    )


def test_a_write_prepared_by_hand_or_sent_with_a_select_is_seen_by_the_request(province):
    # Only khuyencong/prepared.py's own statements (SELECTs) pass for reads; any other PREPARE
    # or EXECUTE, or a string of several statements, makes the request ask again.
    seen = {}

    def view(request):
        seen["before"] = _names()
        with connection.cursor() as cursor:
            cursor.execute(
                "PREPARE kc_test_rename AS UPDATE khuyencong_locality SET name = 'Đổi tên'"
                " WHERE id = $1"
            )
            cursor.execute("EXECUTE kc_test_rename(%s)", [province.pk])
        seen["renamed"] = _names()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT 1; UPDATE khuyencong_locality SET name = 'Tên khác' WHERE id = %s",
                [province.pk],
            )
        seen["again"] = _names()

    unchanged.RequestSnapshotMiddleware(view)(None)
    assert seen["before"] == ["Thử Nghiệm"]
    assert seen["renamed"] == ["Đổi tên"] and seen["again"] == ["Tên khác"]


def test_nothing_read_in_a_transaction_opened_by_hand_is_kept_for_others(province):
    import threading

    from django.db import connections

    before = Locality.objects.count()
    other = {}
    transaction.set_autocommit(False)
    try:
        Locality.objects.create(
            code="U", name="Xã Chưa", kind=LocalityKind.COMMUNE, parent=province
        )
        assert unchanged.kept(("test", "open"), Locality.objects.count) == before + 1

        def another_request():
            try:
                other["count"] = unchanged.kept(("test", "open"), Locality.objects.count)
            finally:
                connections.close_all()

        thread = threading.Thread(target=another_request)
        thread.start()
        thread.join()
    finally:
        transaction.rollback()
        transaction.set_autocommit(True)
    assert other["count"] == before  # not the count of a write that was never committed
