import pytest

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
