import pytest

from facilities.forms import FacilityForm, YearlyFigureForm


@pytest.mark.django_db
class TestYearlyFigureForm:
    def test_it_shows_money_grouped_with_dots(self, facility_a):
        form = YearlyFigureForm(initial={"revenue": 4_293_000_000}, facility=facility_a)
        assert 'value="4.293.000.000"' in str(form["revenue"])

    def test_it_refuses_a_decimal(self, facility_a):
        form = YearlyFigureForm(
            {"year": "2024", "workers": "5", "revenue": "1,5", "capital": "0"},
            facility=facility_a,
        )
        assert form.errors["revenue"] == ["Doanh thu (đồng) phải là số nguyên (ví dụ 1.250.000)."]

    def test_production_value_left_empty_is_not_reported_rather_than_zero(self, facility_a):
        data = {"year": "2024", "workers": "5", "revenue": "0", "capital": "0"}
        form = YearlyFigureForm({**data, "production_value": ""}, facility=facility_a)
        assert form.save().production_value is None
        form = YearlyFigureForm(
            {**data, "year": "2023", "production_value": "1.200.000.000"}, facility=facility_a
        )
        assert form.save().production_value == 1_200_000_000


@pytest.mark.django_db
class TestFacilityForm:
    def test_it_indents_localities_under_the_officers_district(self, officer, commune_a1):
        choices = [label for _value, label in FacilityForm(user=officer).fields["locality"].choices]
        assert choices == ["— Chọn địa bàn —", "Huyện Huyện A", "\u00a0" * 4 + "Xã Xã A Một"]
