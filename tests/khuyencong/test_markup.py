"""khuyencong.markup.esc escapes as Django's conditional_escape does."""

import pytest
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

from khuyencong.markup import esc


@pytest.mark.parametrize(
    "value",
    [
        "",
        "Cơ sở chế biến miến dong Phja Đén",
        'Bánh "cuốn" & <b>mắc khén</b>',
        "O'Neil",
        "&amp; already",
        12345,
        None,
        mark_safe("<b>đậm</b>"),
    ],
)
def test_it_escapes_as_django_does(value):
    assert esc(value) == str(conditional_escape(value))
