"""The locality tree over time (khuyencong/localities.py): reorganisations, scope through
successors, today's unit, the Cao Bằng data."""

import io
import json
from io import StringIO

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from facilities.models import Facility
from khuyencong import access
from khuyencong.localities import (
    ReorganisationError,
    apply_reorganisation,
    load_default_tree,
)
from khuyencong.models import ChangeKind, Locality, LocalityChange, LocalityKind, Role, User
from tests.conftest import make_facility, make_user

pytestmark = pytest.mark.django_db


def plan(*changes, reference="NQ thử nghiệm", effective="2025-07-01"):
    return {"reference": reference, "effective": effective, "changes": list(changes)}


def commune(code, name, parent="T", kind="commune"):
    return {"code": code, "name": name, "kind": kind, "parent": parent}


def merge_a1_into_n():
    """District A's commune A1 goes into a new commune N under the province; A is dissolved."""
    return plan(
        {"op": "merge", "from": ["A1"], "into": commune("N", "Mới")},
        {"op": "dissolve", "code": "A", "into": "T"},
    )


def scoped(user):
    return set(access.scope_by_locality(Facility.objects.all(), user))


class TestReorganisation:
    def test_a_merger_ends_the_old_units_and_links_them_to_the_new_one(
        self, province, district_a, commune_a1
    ):
        apply_reorganisation(merge_a1_into_n())
        new = Locality.objects.by_code("N")
        commune_a1.refresh_from_db()
        district_a.refresh_from_db()
        assert new.parent == province and new.valid_from.isoformat() == "2025-07-01"
        assert commune_a1.valid_to.isoformat() == "2025-06-30" and not commune_a1.is_active
        assert commune_a1.current == new
        assert district_a.current == province
        assert LocalityChange.objects.get(predecessor=commune_a1).kind == ChangeKind.MERGED
        # The old unit keeps its parent: the tree as it was is still there.
        assert commune_a1.parent == district_a
        assert str(commune_a1) == "Xã Mới (trước 01/07/2025: Xã Xã A Một, Huyện Huyện A)"

    def test_applying_the_same_file_again_changes_nothing(self, commune_a1):
        assert apply_reorganisation(merge_a1_into_n()) is not None
        count = Locality.objects.count()
        assert apply_reorganisation(merge_a1_into_n()) is None
        assert Locality.objects.count() == count

    def test_an_error_anywhere_leaves_the_tree_untouched(self, commune_a1, commune_b1):
        bad = plan(
            {"op": "merge", "from": ["A1"], "into": commune("N", "Mới")},
            {"op": "merge", "from": ["KHONG-CO"], "into": "N"},
        )
        with pytest.raises(ReorganisationError, match="Thay đổi số 2.*KHONG-CO"):
            apply_reorganisation(bad)
        commune_a1.refresh_from_db()
        assert commune_a1.valid_to is None
        assert not Locality.objects.filter(code="N").exists()
        assert not LocalityChange.objects.exists()

    def test_a_unit_with_units_in_force_under_it_cannot_be_dissolved(self, commune_a1):
        with pytest.raises(ReorganisationError, match="còn đơn vị trực thuộc"):
            apply_reorganisation(plan({"op": "dissolve", "code": "A", "into": "T"}))

    def test_a_split_gives_the_old_unit_several_successors(self, commune_a1):
        apply_reorganisation(
            plan(
                {"op": "split", "from": "A1", "into": [commune("S1", "Một"), commune("S2", "Hai")]}
            )
        )
        commune_a1.refresh_from_db()
        assert commune_a1.current is None  # its area is in two units now
        assert "đơn vị cũ" in str(commune_a1)
        successors = LocalityChange.objects.filter(predecessor=commune_a1)
        assert {c.successor.code for c in successors} == {"S1", "S2"}

    def test_a_rename_may_keep_the_code_and_the_children_follow(self, district_a, commune_a1):
        apply_reorganisation(plan({"op": "rename", "code": "A", "name": "Huyện Đổi Tên"}))
        renamed = Locality.objects.by_code("A")
        assert renamed.pk != district_a.pk and renamed.name == "Huyện Đổi Tên"
        commune_a1.refresh_from_db()
        assert commune_a1.parent == renamed and commune_a1.path.startswith(renamed.path)
        district_a.refresh_from_db()
        assert district_a.valid_to and district_a.path != renamed.path

    def test_a_move_puts_a_new_unit_under_the_new_parent(self, province, district_a, commune_a1):
        apply_reorganisation(plan({"op": "move", "code": "A1", "parent": "T"}))
        moved = Locality.objects.by_code("A1")
        assert moved.parent == province and moved.pk != commune_a1.pk
        commune_a1.refresh_from_db()
        assert commune_a1.parent == district_a and commune_a1.current == moved

    def test_the_command_applies_a_file_once_and_explains_a_refusal(self, tmp_path, commune_a1):
        path = tmp_path / "nq.json"
        path.write_text(json.dumps(merge_a1_into_n()), encoding="utf-8")
        out = StringIO()
        call_command("reorganise_localities", str(path), stdout=out)
        assert "Đã áp dụng NQ thử nghiệm" in out.getvalue()
        call_command("reorganise_localities", str(path), stdout=out)
        assert "Đã áp dụng trước đây" in out.getvalue()
        path.write_text(json.dumps(plan({"op": "explode"}, reference="x")), encoding="utf-8")
        with pytest.raises(CommandError, match="không thay đổi gì.*explode"):
            call_command("reorganise_localities", str(path))


class TestScopeThroughSuccessors:
    def test_the_officer_of_the_new_commune_sees_the_merged_communes_records(
        self, commune_a1, commune_b1
    ):
        old = make_facility(commune_a1)
        neighbour = make_facility(commune_b1)
        apply_reorganisation(merge_a1_into_n())
        officer = make_user("xa_moi", Role.DISTRICT_OFFICER, Locality.objects.by_code("N"))
        assert scoped(officer) == {old}
        assert access.locality_in_scope(officer, commune_a1)
        assert not access.locality_in_scope(officer, commune_b1)
        assert neighbour not in scoped(officer)

    def test_nobody_loses_access_when_the_tree_changes(self, officer, commune_a1, commune_b1):
        mine = make_facility(commune_a1)
        assert scoped(officer) == {mine}
        apply_reorganisation(merge_a1_into_n())
        officer = User.objects.get(pk=officer.pk)  # as the next request loads it
        # The officer of the dissolved district now covers the commune its commune became.
        assert [loc.code for loc in officer.localities.all()] == ["N"]
        assert scoped(officer) == {mine}
        # …and files new records under units in force only.
        assert [loc.code for loc in access.localities_for(officer)] == ["N"]

    def test_an_officer_of_several_communes_sees_each(self, commune_a1, commune_b1):
        both = make_user("hai_xa", Role.DISTRICT_OFFICER, [commune_a1, commune_b1])
        facilities = {make_facility(commune_a1), make_facility(commune_b1)}
        assert scoped(both) == facilities

    def test_an_officer_without_localities_sees_nothing(self, commune_a1):
        make_facility(commune_a1)
        nobody = make_user("khong_dia_ban", Role.DISTRICT_OFFICER)
        assert scoped(nobody) == set()


class TestCaoBangData:
    def test_the_default_tree_is_56_units_in_force_and_the_former_districts(self):
        load_default_tree()
        province = Locality.objects.by_code("04")
        in_force = Locality.objects.current().exclude(pk=province.pk)
        assert in_force.count() == 56
        assert set(in_force.values_list("parent", flat=True)) == {province.pk}
        assert in_force.filter(kind=LocalityKind.WARD).count() == 3
        assert Locality.objects.by_code("01273").name == "Thục Phán"
        former = Locality.objects.filter(kind__in=["district", "city"])
        assert former.count() == 10 and not former.filter(valid_to__isnull=True).exists()
        # Thục Phán ward = Sông Hiến + Đề Thám + Hợp Giang + Hưng Đạo + Hoàng Tung.
        thuc_phan = Locality.objects.by_code("01273")
        assert set(
            LocalityChange.objects.filter(successor=thuc_phan).values_list(
                "predecessor__name", flat=True
            )
        ) == {"Sông Hiến", "Đề Thám", "Hợp Giang", "Hưng Đạo", "Hoàng Tung"}

    def test_loading_it_twice_changes_nothing(self):
        load_default_tree()
        before = list(Locality.objects.values_list("pk", "path", "valid_to", "current"))
        load_default_tree()
        assert list(Locality.objects.values_list("pk", "path", "valid_to", "current")) == before


class TestTodaysUnitOnScreens:
    def test_lists_and_exports_name_todays_unit_and_the_one_filed_under(
        self, client, staff, commune_a1
    ):
        facility = make_facility(commune_a1, name="Cơ sở cũ")
        apply_reorganisation(merge_a1_into_n())
        client.force_login(staff)
        label = "Xã Mới (trước 01/07/2025: Xã Xã A Một, Huyện Huyện A)"
        assert label in client.get("/co-so/").text
        export = client.get("/co-so/xuat-excel/")
        book = openpyxl.load_workbook(io.BytesIO(b"".join(export.streaming_content)))
        cells = {c.value for row in book.active.iter_rows() for c in row}
        assert {label, "N"} <= cells
        # The edit form offers today's unit; saving files the facility there.
        form = client.get(f"/co-so/{facility.pk}/sua/").context["form"]
        assert form["locality"].value() == Locality.objects.by_code("N").pk


class TestOfficersInTheAdmin:
    def test_an_officer_needs_at_least_one_locality_and_may_have_several(
        self, rf, admin_user, commune_a1, commune_b1, officer
    ):
        from django.contrib import admin

        request = rf.get("/")
        request.user = admin_user
        form_class = admin.site._registry[User].get_form(request, officer)

        def form(**data):
            fields = {
                "username": officer.username,
                "role": Role.DISTRICT_OFFICER,
                "date_joined_0": "01/01/2026",
                "date_joined_1": "08:00:00",
                **data,
            }
            return form_class(fields, instance=officer)

        empty = form(localities=[])
        assert not empty.is_valid()
        assert "Cán bộ địa bàn phải có địa bàn phụ trách." in empty.errors["localities"]
        two = form(localities=[commune_a1.pk, commune_b1.pk])
        assert two.is_valid(), two.errors
        two.save()
        assert set(officer.localities.all()) == {commune_a1, commune_b1}
