from django.utils import translation

from facilities.models import SizeClass
from facilities.rows import size_badge


def test_size_badge_has_each_class_its_colour_and_escapes_the_label():
    assert size_badge(SizeClass.MICRO, "Siêu nhỏ") == (
        '<span class="badge text-bg-secondary">Siêu nhỏ</span>'
    )
    assert 'class="badge text-bg-info"' in size_badge(SizeClass.SMALL, "Nhỏ")
    assert 'class="badge text-bg-primary"' in size_badge(SizeClass.MEDIUM, "Vừa")
    # A class without a colour of its own (not an SME) and an unknown one: the dark badge.
    assert size_badge(SizeClass.NOT_SME, "<b>x</b>") == (
        '<span class="badge text-bg-dark">&lt;b&gt;x&lt;/b&gt;</span>'
    )


def test_size_badge_without_a_class_says_there_are_no_figures_in_the_language():
    assert size_badge("", "") == '<span class="text-muted small">Chưa có số liệu</span>'
    with translation.override("en"):
        assert "Chưa có số liệu" not in size_badge("", "")
