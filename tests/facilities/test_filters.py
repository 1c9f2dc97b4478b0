import django_filters
import pytest
from django.test import RequestFactory

from facilities.filters import FacilityFilter
from facilities.models import (
    Facility,
    LegalForm,
    Product,
    Recognition,
    RecognitionLevel,
    Sector,
    YearlyFigure,
)
from khuyencong import access
from tests.conftest import make_facility


def run(user, **params):
    request = RequestFactory().get("/co-so/", params)
    request.user = user
    qs = access.scope_by_locality(Facility.objects.for_list(), user)
    filterset = FacilityFilter(request.GET, queryset=qs, request=request)
    return filterset, list(filterset.qs)


@pytest.mark.django_db
class TestSearch:
    def test_it_ignores_diacritics_and_case(self, staff, facility_a, facility_b):
        assert run(staff, q="giang hien")[1] == [facility_a]
        assert run(staff, q="GIANG HIỀN")[1] == [facility_a]
        assert run(staff, q="tam hoa")[1] == [facility_b]

    def test_it_searches_tax_code_and_representative(self, staff, facility_a, facility_b):
        assert run(staff, q=facility_a.tax_code)[1] == [facility_a]
        assert run(staff, q="nong van")[1] == [facility_a]

    def test_it_stays_within_the_officers_scope(self, officer, facility_a, facility_b):
        assert run(officer, q="tam hoa")[1] == []


@pytest.mark.django_db
class TestLocality:
    def test_it_matches_the_locality_and_everything_under_it(
        self, staff, district_a, commune_a1, facility_a, facility_b
    ):
        at_district = make_facility(district_a, name="Cơ sở cấp huyện")
        assert set(run(staff, locality=district_a.pk)[1]) == {facility_a, at_district}
        assert run(staff, locality=commune_a1.pk)[1] == [facility_a]

    def test_it_offers_only_localities_the_user_may_see(
        self, officer, district_a, commune_a1, district_b, commune_b1, province
    ):
        filterset, _ = run(officer)
        offered = list(filterset.form.fields["locality"].queryset)
        assert offered == [district_a, commune_a1]

    def test_it_refuses_a_locality_out_of_scope_and_still_shows_only_the_scope(
        self, officer, district_b, facility_a, facility_b
    ):
        filterset, rows = run(officer, locality=district_b.pk)
        assert "locality" in filterset.form.errors
        assert rows == [facility_a]


@pytest.mark.django_db
class TestOtherFilters:
    def test_it_filters_by_main_or_any_sector(self, staff, commune_a1):
        mechanics = Sector.objects.get(code="CK")
        main = make_facility(commune_a1, main_sector=mechanics)
        other = make_facility(commune_a1)
        other.sectors.add(mechanics)
        make_facility(commune_a1)

        assert set(run(staff, sector=mechanics.pk)[1]) == {main, other}
        assert run(staff, sector=mechanics.pk, sector_scope="main")[1] == [main]

    def test_it_filters_by_legal_form(self, staff, facility_a, commune_a1):
        coop = make_facility(commune_a1, legal_form=LegalForm.COOPERATIVE)
        assert run(staff, legal_form="cooperative")[1] == [coop]

    def test_it_filters_by_size_class(self, staff, facility_a, facility_b):
        YearlyFigure.objects.create(facility=facility_a, year=2024, workers=8, revenue=10**9)
        assert run(staff, size_class="micro")[1] == [facility_a]
        assert run(staff, size_class="none")[1] == [facility_b]

    def test_it_filters_by_recognised_products(self, staff, facility_a, facility_b):
        product = Product.objects.create(facility=facility_a, name="Tôn chống nóng")
        Recognition.objects.create(product=product, level=RecognitionLevel.PROVINCIAL, year=2018)
        Product.objects.create(facility=facility_b, name="Chưa công nhận")
        assert run(staff, recognised="yes")[1] == [facility_a]
        assert run(staff, recognised="no")[1] == [facility_b]

    def test_it_filters_by_owner(self, staff, commune_a1):
        woman = make_facility(commune_a1, woman_owned=True)
        minority = make_facility(commune_a1, ethnic_minority_owned=True)
        assert run(staff, woman_owned="yes")[1] == [woman]
        assert run(staff, ethnic_minority_owned="yes")[1] == [minority]
        assert set(run(staff, woman_owned="no")[1]) == {minority}


@pytest.mark.django_db
class TestSorting:
    def test_it_sorts_each_column_both_ways(self, staff, commune_a1, commune_b1):
        a = make_facility(commune_a1, name="Đá xây dựng", tax_code="4800000011", founded_year=2001)
        b = make_facility(commune_b1, name="Bánh cuốn", tax_code="4800000022", founded_year=1999)
        c = make_facility(commune_a1, name="Dao rèn", tax_code="4800000033")
        YearlyFigure.objects.create(facility=a, year=2024, workers=150, revenue=10**11)
        YearlyFigure.objects.create(facility=b, year=2024, workers=5, revenue=10**9)

        # Accents are ignored: "Đá" sorts among the D's, not after "Z" as bytes would.
        assert run(staff, o="name")[1] == [b, a, c]
        assert run(staff, o="-name")[1] == [c, a, b]
        assert run(staff, o="tax_code")[1] == [a, b, c]
        assert run(staff, o="-tax_code")[1] == [c, b, a]
        assert run(staff, o="locality")[1][-1] == b  # "Xã B Một" after "Xã A Một"
        assert run(staff, o="-locality")[1][0] == b
        # Empty values last both ways.
        assert run(staff, o="founded_year")[1] == [b, a, c]
        assert run(staff, o="-founded_year")[1] == [a, b, c]
        assert run(staff, o="size_class")[1] == [b, a, c]  # micro, small, none
        assert run(staff, o="-size_class")[1] == [a, b, c]

    def test_it_reports_the_current_sort(self, staff):
        assert run(staff)[0].sort == "name"
        assert run(staff, o="-founded_year")[0].sort == "-founded_year"


@pytest.mark.django_db
class TestNothingFiltered:
    """A query that gives no filter a value (none, a page, empty values) is read without
    building the filter form (ListFilterSet.filters_used): rows, sort, count and the card's key
    are what the form would give."""

    @pytest.mark.parametrize("params", [{}, {"page": "2"}, {"q": "", "o": "", "locality": ""}])
    def test_it_reads_what_the_form_would_without_building_it(
        self, staff, officer, commune_a1, commune_b1, params
    ):
        for name in ("Đá xây dựng", "Bánh cuốn", "Dao rèn"):
            make_facility(commune_a1, name=name)
            make_facility(commune_b1, name=name)
        for user in (staff, officer):
            filterset, rows = run(user, **params)
            assert filterset.sort == "name"
            filterset.count_from_totals()
            assert filterset.markup_key is not None
            assert "_form" not in vars(filterset)
            by_form = FacilityFilter(
                filterset.data, queryset=filterset.queryset, request=filterset.request
            )
            form_rows = django_filters.FilterSet.qs.fget(by_form)  # through the form
            assert "_form" in vars(by_form)
            assert str(filterset.qs.query) == str(form_rows.query)
            assert rows == list(form_rows)
            # By the folded name: "Đá" (da) among the D's, before "Dao".
            names = list(dict.fromkeys(row.name for row in rows))
            assert names == ["Bánh cuốn", "Đá xây dựng", "Dao rèn"]

    def test_a_value_builds_the_form(self, staff):
        for params in ({"q": "x"}, {"o": "-name"}, {"legal_form": "bogus"}):
            filterset, _rows = run(staff, **params)
            assert filterset.filters_used
            assert "_form" in vars(filterset)
        assert run(staff, legal_form="bogus")[0].markup_key is None
