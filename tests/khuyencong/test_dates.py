"""Dates typed the way officers type them, on a computer or on a phone's numeric keypad."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from khuyencong.dates import parse_day
from khuyencong.forms import DateField, DateInput

D = datetime.date


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("15/06/2027", D(2027, 6, 15)),
        ("15.06.2027", D(2027, 6, 15)),
        ("15-06-2027", D(2027, 6, 15)),
        ("15 06 2027", D(2027, 6, 15)),
        ("15122026", D(2026, 12, 15)),  # an iPhone's numeric keypad has no "/"
        ("01012026", D(2026, 1, 1)),
        ("5/6/2027", D(2027, 6, 5)),
        ("5/6/27", D(2027, 6, 5)),  # two-digit year: this century
        ("05.06.27", D(2027, 6, 5)),
        ("29/02/2028", D(2028, 2, 29)),
        (" 15 / 6 / 2027 ", D(2027, 6, 15)),
        ("2027-06-15", D(2027, 6, 15)),  # what a native date picker gives
    ],
)
def test_it_reads_every_common_way_of_writing_a_day(text, day):
    assert parse_day(text) == day


@pytest.mark.parametrize(
    "text",
    [
        "31/02/2026",  # no such day
        "29/02/2027",  # not a leap year
        "15/13/2026",
        "00/06/2026",
        "31042026",  # no 31 April, without separators either
        "1512026",  # seven digits: which is the day?
        "150626",  # six digits are not a form we promise
        "15/06",
        "15/06/202",
        "2026",
        "15/06/2027x",
        "mười lăm tháng sáu",
        "",
    ],
)
def test_it_refuses_what_is_not_a_day(text):
    with pytest.raises(ValueError):
        parse_day(text)


def test_the_field_refuses_an_impossible_day_in_vietnamese():
    field = DateField(label="Ngày ký")
    with pytest.raises(ValidationError) as refused:
        field.clean("31/02/2026")
    assert "Nhập ngày theo dạng dd/mm/yyyy" in str(refused.value)


def test_the_field_takes_eight_digits_and_two_digit_years():
    field = DateField(label="Ngày ký")
    year = timezone.localdate().year
    assert field.clean(f"0103{year}") == D(year, 3, 1)
    assert field.clean(f"1.3.{year % 100:02d}") == D(year, 3, 1)


def test_the_field_still_bounds_the_day():
    # "99" is 2099, not 1999: far too late, and said so (not silently a date last century).
    with pytest.raises(ValidationError, match="quá xa"):
        DateField(label="Ngày ký").clean("01/01/99")


def test_the_input_says_what_the_numeric_keypad_can_type():
    html = DateInput().render("day", None)
    assert 'inputmode="numeric"' in html
    assert "ddmmyyyy" in html  # the placeholder names the form without separators
    assert "data-date-picker=" in html  # static/js/datepicker.js adds the calendar button
