"""ListPaginator picks a page's ids first and then reads those rows: the pages must be the ones
a plain OFFSET gives, in the same order, whatever the sort."""

import pytest
from django.core.paginator import Paginator
from django.db import connection

from facilities.models import Facility
from khuyencong.paging import ListPaginator
from tests.conftest import make_facility


@pytest.mark.django_db
@pytest.mark.parametrize(
    "order", [("name", "pk"), ("-founded_year", "-pk"), ("locality__name", "pk")]
)
def test_it_shows_the_same_rows_as_a_plain_offset(commune_a1, commune_b1, order):
    for i in range(11):
        make_facility(
            commune_a1 if i % 2 else commune_b1,
            name=f"Cơ sở {i % 3}",  # ties on the name, broken by the id
            founded_year=2000 + i % 4,
        )
    rows = Facility.objects.for_list().order_by(*order)
    plain, deferred = Paginator(rows, 4, orphans=1), ListPaginator(rows, 4, orphans=1)
    assert deferred.num_pages == plain.num_pages == 3
    for number in plain.page_range:
        expected = [(f.pk, f.locality.name) for f in plain.page(number)]
        assert [(f.pk, f.locality.name) for f in deferred.page(number)] == expected


@pytest.mark.django_db
def test_an_empty_list_has_one_empty_page():
    page = ListPaginator(Facility.objects.all(), 4).get_page(1)
    assert list(page) == [] and page.paginator.count == 0


@pytest.mark.django_db
@pytest.mark.parametrize("sort", ["", "-size_class", "locality", "-founded_year"])
def test_page_rows_are_the_orms(commune_a1, commune_b1, rf, staff, sort):
    """page_rows compiles the statement around a page's ids once per order (on PostgreSQL):
    every page, under any filter, has the rows the ORM reads, converted as it converts them."""
    from facilities.filters import FacilityFilter
    from facilities.rows import _values
    from khuyencong import paging
    from khuyencong.paging import page_rows

    for i in range(11):
        facility = make_facility(
            commune_a1 if i % 2 else commune_b1,
            name=f"Cơ sở {i % 3}",  # ties on the name, broken by the id
            founded_year=2000 + i % 4,
        )
        size = ["micro", "small", "", "medium"][i % 4]  # sorted by an annotation (size_rank)
        Facility.objects.filter(pk=facility.pk).update(size_class=size)
    for query in ({"o": sort}, {"o": sort, "q": "co so 1"}, {"o": sort, "q": "khong co"}):
        request = rf.get("/co-so/", query)
        request.user = staff
        rows = FacilityFilter(request.GET, queryset=Facility.objects.all(), request=request).qs
        paginator = ListPaginator(rows, 4, orphans=1)
        for number in paginator.page_range:
            page = paginator.page(number)
            assert page_rows(page, "facilities", _values) == list(_values(page.object_list))
    if connection.vendor == "postgresql":  # the statements compiled once were what ran
        assert any(key[0] == "facilities" for key in paging._statements)


@pytest.mark.django_db
def test_an_unfiltered_lists_kept_pages_show_the_rows_of_now(commune_a1):
    """An unfiltered list's ids' statement is kept per order and page bounds: each page still
    reads the rows there are now, and each page its own."""
    from facilities.rows import _values
    from khuyencong.paging import page_rows

    def names(number):
        page = ListPaginator(Facility.objects.order_by("-pk"), 2).page(number)
        return [row["name"] for row in page_rows(page, "facilities", _values)]

    for i in range(4):
        make_facility(commune_a1, name=f"Cũ {i}")
    assert names(1) == ["Cũ 3", "Cũ 2"]
    assert names(2) == ["Cũ 1", "Cũ 0"]
    make_facility(commune_a1, name="Mới")
    assert names(1) == ["Mới", "Cũ 3"]
    assert names(2) == ["Cũ 2", "Cũ 1"]


@pytest.mark.django_db
def test_a_keyed_list_builds_its_queryset_once_and_reads_the_rows_of_now(commune_a1):
    """A keyed list's count and pages' ids are compiled once per process and key (on
    PostgreSQL): its queryset is built only the first time, and every page still reads the
    rows there are now. Elsewhere the queryset is built every time."""
    from facilities.rows import _values
    from khuyencong.paging import page_rows

    built = []

    def rows():
        built.append(1)
        return Facility.objects.filter(name__startswith="Cơ sở").order_by("-pk")

    def shown(number):
        paginator = ListPaginator(rows, 2, key=("test_paging", "keyed"))
        page = paginator.page(number)
        return paginator.count, [row["name"] for row in page_rows(page, "facilities", _values)]

    for i in range(3):
        make_facility(commune_a1, name=f"Cơ sở {i}")
    make_facility(commune_a1, name="Khác")
    assert shown(1) == (3, ["Cơ sở 2", "Cơ sở 1"])
    assert shown(2) == (3, ["Cơ sở 0"])
    make_facility(commune_a1, name="Cơ sở 3")
    assert shown(1) == (4, ["Cơ sở 3", "Cơ sở 2"])
    assert shown(2) == (4, ["Cơ sở 1", "Cơ sở 0"])
    assert shown(1) == (4, ["Cơ sở 3", "Cơ sở 2"])
    if connection.vendor == "postgresql":
        # The count, page 1 and page 2 (its bounds 2-3, then 2-4): each compiled once.
        assert len(built) == 4
    else:
        assert len(built) == 5
