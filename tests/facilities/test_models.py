import pytest

from facilities.models import Facility, Product, Recognition, RecognitionLevel, Sector
from tests.conftest import make_facility


@pytest.mark.django_db
class TestForList:
    def test_it_counts_products_with_a_recognition_not_recognitions(self, facility_a):
        sausage = Product.objects.create(facility=facility_a, name="Lạp sườn")
        for level, year in [
            (RecognitionLevel.PROVINCIAL, 2018),
            (RecognitionLevel.REGIONAL, 2020),
            (RecognitionLevel.NATIONAL, 2021),
        ]:
            Recognition.objects.create(product=sausage, level=level, year=year)
        smoked = Product.objects.create(facility=facility_a, name="Thịt hun khói")
        Recognition.objects.create(product=smoked, level=RecognitionLevel.PROVINCIAL, year=2018)
        Product.objects.create(facility=facility_a, name="Chưa công nhận")

        row = Facility.objects.for_list().get(pk=facility_a.pk)

        assert row.recognised_products == 2

    def test_it_gives_zero_without_products(self, facility_a):
        assert Facility.objects.for_list().get(pk=facility_a.pk).recognised_products == 0

    def test_it_keeps_one_row_per_facility_when_joined_with_sectors(self, commune_a1):
        extra = list(Sector.objects.exclude(code="CBNLTS")[:3])
        facility = make_facility(commune_a1)
        facility.sectors.set(extra)
        product = Product.objects.create(facility=facility, name="Miến dong")
        Recognition.objects.create(product=product, level=RecognitionLevel.PROVINCIAL, year=2022)

        rows = list(Facility.objects.for_list().filter(sectors__in=extra))

        assert [r.recognised_products for r in rows] == [
            1,
            1,
            1,
        ]  # the join repeats, the count does not
