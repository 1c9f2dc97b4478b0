"""ListPaginator picks a page's ids first and then reads those rows: the pages must be the ones
a plain OFFSET gives, in the same order, whatever the sort."""

import pytest
from django.core.paginator import Paginator

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
