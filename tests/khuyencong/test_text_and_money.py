from django.template import Context, Template

from khuyencong.money import format_vnd
from khuyencong.text import fold


def test_fold_removes_vietnamese_marks_and_case():
    assert fold("Công ty TNHH Giang Hiền") == "cong ty tnhh giang hien"
    assert fold("ĐÀM  Thị  Nguyệt") == "dam thi nguyet"
    # Decomposed input (as some keyboards send it) folds the same way.
    assert fold("Hie\u0302\u0300n") == "hien"


def test_money_is_whole_dong_with_dots():
    assert format_vnd(1_075_000_000) == "1.075.000.000 ₫"
    assert format_vnd(0) == "0 ₫"
    assert format_vnd(None) == ""


def test_the_vnd_filter():
    rendered = Template("{% load portal %}{{ amount|vnd }}").render(Context({"amount": 850000000}))
    assert rendered == "850.000.000 ₫"
