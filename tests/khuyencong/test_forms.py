"""The one reader of typed amounts (khuyencong/money.py) and the shared form fields
(khuyencong/forms.py)."""

import pytest
from django import forms as django_forms

from khuyencong.forms import MoneyField, MoneyInput, WholeNumberField
from khuyencong.money import MAX_MONEY, MoneyError, parse_vnd, parse_whole


class TestMoneyField:
    @pytest.mark.parametrize(
        ("typed", "amount"),
        [
            ("1.075.000.000", 1_075_000_000),
            ("1075000000", 1_075_000_000),
            (" 1 075 000 000 ", 1_075_000_000),
            ("1.075.000.000 ₫", 1_075_000_000),
            ("850.000.000 đồng", 850_000_000),
            ("0", 0),
        ],
    )
    def test_it_reads_the_ways_officers_write_amounts(self, typed, amount):
        assert MoneyField().clean(typed) == amount

    @pytest.mark.parametrize("typed", ["1,5", "12a", "1.000,50", "mười triệu", "١٢٣"])
    def test_it_refuses_what_is_not_a_whole_number_of_dong(self, typed):
        with pytest.raises(django_forms.ValidationError) as error:
            MoneyField().clean(typed)
        assert "số nguyên đồng" in error.value.messages[0]

    def test_it_refuses_negative_amounts(self):
        with pytest.raises(django_forms.ValidationError) as error:
            MoneyField().clean("-1.000")
        assert error.value.messages == ["Số tiền không được âm."]

    def test_it_is_required_unless_said_otherwise(self):
        with pytest.raises(django_forms.ValidationError):
            MoneyField().clean("")
        assert MoneyField(required=False).clean("") is None

    def test_it_shows_amounts_with_dot_grouping(self):
        assert 'value="1.075.000.000"' in MoneyInput().render("x", 1_075_000_000)


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("1075000000", 1_075_000_000),
        ("1.075.000.000", 1_075_000_000),
        ("1 075 000 000", 1_075_000_000),
        ("1\u00a0075\u00a0000\u00a0000", 1_075_000_000),
        ("1.075.000.000 ₫", 1_075_000_000),
        ("1.500.000đ", 1_500_000),
        ("1.500.000 VNĐ", 1_500_000),
        (" 0 ", 0),
        ("-5", -5),
    ],
)
def test_it_reads_numbers_written_the_vietnamese_way(text, number):
    assert parse_whole(text) == number


@pytest.mark.parametrize(
    "text",
    [
        "1.5",  # would have been 15 ₫
        "2.5",
        "1,5",  # a decimal comma
        "1.500.000,00",
        "5.0000.000",  # a group of four
        "12.34.567",
        "1 500.000",  # two kinds of separator
        "1.",
        ".500",
        "１２３",  # full-width digits
        "١٢٣",  # Arabic-Indic digits
        "1e6",
        "một tỷ",
        "",
    ],
)
def test_it_refuses_what_is_not_a_whole_number_written_plainly(text):
    with pytest.raises(MoneyError):
        parse_whole(text)


class TestParseVnd:
    def test_it_refuses_negative_and_too_large_amounts(self):
        with pytest.raises(MoneyError) as error:
            parse_vnd("-1.000")
        assert error.value.code == "negative"
        with pytest.raises(MoneyError) as error:
            parse_vnd(str(MAX_MONEY + 1))
        assert error.value.code == "too_large"
        assert parse_vnd(str(MAX_MONEY)) == MAX_MONEY

    def test_it_takes_whole_spreadsheet_numbers_only(self):
        assert parse_vnd(1_500_000.0) == 1_500_000
        with pytest.raises(MoneyError):
            parse_vnd(1.5)
        with pytest.raises(MoneyError):
            parse_vnd(True)


class TestMoneyFieldRefusesMisreadings:
    @pytest.mark.parametrize("typed", ["1.5", "2.5", "5.0000.000", "１２３"])
    def test_no_decimal_or_misgrouped_amount_becomes_money(self, typed):
        with pytest.raises(django_forms.ValidationError) as error:
            MoneyField().clean(typed)
        assert "số nguyên đồng" in error.value.messages[0]

    def test_it_refuses_amounts_beyond_the_ceiling(self):
        with pytest.raises(django_forms.ValidationError) as error:
            MoneyField().clean("10.000.000.000.000.000")
        assert error.value.messages == ["Số tiền quá lớn, hãy kiểm tra lại."]


class TestWholeNumberField:
    def test_it_names_the_field_and_keeps_within_its_column(self):
        field = WholeNumberField(label="Số lao động", max_value=2_147_483_647)
        assert field.clean("1.250") == 1250
        with pytest.raises(django_forms.ValidationError) as error:
            field.clean("3.000.000.000")
        assert error.value.messages == ["Số lao động quá lớn (tối đa 2.147.483.647)."]
        with pytest.raises(django_forms.ValidationError) as error:
            field.clean("1.5")
        assert "Số lao động phải là số nguyên" in error.value.messages[0]
