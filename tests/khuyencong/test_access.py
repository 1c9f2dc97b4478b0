import pytest
from django.db import connection
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL
from django.http import Http404

from facilities.models import Facility
from khuyencong import access
from khuyencong.models import Locality


@pytest.mark.django_db
class TestScope:
    def test_it_limits_a_district_officer_to_the_subtree(self, officer, facility_a, facility_b):
        visible = access.scope_by_locality(Facility.objects.all(), officer)
        assert list(visible) == [facility_a]

    def test_it_shows_the_province_to_centre_staff_manager_and_viewer(
        self, staff, manager, viewer, facility_a, facility_b
    ):
        for user in (staff, manager, viewer):
            assert access.scope_by_locality(Facility.objects.all(), user).count() == 2

    def test_it_hides_everything_from_an_inactive_user(self, staff, facility_a):
        staff.is_active = False
        assert not access.scope_by_locality(Facility.objects.all(), staff).exists()

    def test_viewer_cannot_edit(self, viewer, officer, staff, manager):
        assert not access.can_edit(viewer)
        assert all(access.can_edit(u) for u in (officer, staff, manager))

    def test_locality_in_scope(self, officer, commune_a1, commune_b1, district_a, province):
        assert access.locality_in_scope(officer, commune_a1)
        assert access.locality_in_scope(officer, district_a)
        assert not access.locality_in_scope(officer, commune_b1)
        assert not access.locality_in_scope(officer, province)


@pytest.mark.django_db
class TestLocalityTree:
    def test_moving_a_district_moves_its_communes(self, district_a, commune_a1, district_b):
        district_a.parent = district_b
        district_a.save()
        commune_a1.refresh_from_db()
        assert commune_a1.path == "T/B/A/A1/"
        assert list(Locality.objects.subtree(district_b)) == [district_b, district_a, commune_a1]

    def test_it_refuses_a_cycle(self, district_a, commune_a1):
        district_a.parent = commune_a1
        with pytest.raises(ValueError):
            district_a.save()


@pytest.mark.django_db
class TestCompiledGet:
    """get_compiled_or_404 finds what get_scoped_or_404 finds, compiled once per scope size."""

    @staticmethod
    def build():
        return (
            Facility.objects.select_related("locality__parent")
            .annotate(
                has_name=RawSQL("facilities_facility.name <> ''", (), output_field=BooleanField())
            )
            .only("name", "locality__name", "locality__parent__code")
        )

    def get(self, user, pk, calls):
        def build():
            calls.append(1)
            return self.build()

        return access.get_compiled_or_404("test.facility", build, user, pk)

    def test_it_finds_the_record_as_the_orm_does(self, staff, officer, facility_a, facility_b):
        calls = []
        for user, facility in ((staff, facility_b), (staff, facility_a), (officer, facility_a)):
            expected = access.get_scoped_or_404(self.build(), user, pk=facility.pk)
            for _ in range(2):
                found = self.get(user, facility.pk, calls)
                assert found == expected and found.name == expected.name
                assert found.has_name is True
                assert found.locality.parent.code == expected.locality.parent.code
                assert found.get_deferred_fields() == expected.get_deferred_fields()
        # Built once for the whole province and once for one district's scope (on PostgreSQL).
        assert len(calls) == (2 if connection.vendor == "postgresql" else 6)

    def test_it_refuses_what_the_user_does_not_see_with_a_404(
        self, officer, viewer, facility_a, facility_b
    ):
        calls = []
        for user, pk in ((officer, facility_b.pk), (viewer, 0), (viewer, 10**12), (officer, -1)):
            with pytest.raises(Http404):
                self.get(user, pk, calls)
        viewer.is_active = False
        with pytest.raises(Http404):
            self.get(viewer, facility_a.pk, calls)

    def test_it_reads_in_one_query(self, staff, facility_a, django_assert_num_queries):
        self.get(staff, facility_a.pk, [])
        with django_assert_num_queries(1):
            found = self.get(staff, facility_a.pk, [])
            assert found.locality.parent is not None
