"""khuyencong/widget_renderer.py writes the widgets it knows as Django's templates write them."""

import datetime

import pytest
from django import forms
from django.utils import translation
from django.utils.safestring import mark_safe

from khuyencong.widget_renderer import _WRITERS, renderer

CHOICES = [
    ("", "---------"),
    (1, "Nguyễn Văn A <trưởng>"),
    ("Nhóm & đơn vị", [("x", 'X "một"'), ("y", mark_safe("<b>Y</b>"))]),
    (3, 3),
]


class Everything(forms.Form):
    text = forms.CharField(max_length=20, help_text="gợi ý")
    optional = forms.CharField(required=False)
    number = forms.IntegerField(min_value=0, max_value=1000)
    decimal = forms.DecimalField(max_digits=8, decimal_places=2, required=False)
    day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    moment = forms.DateTimeField(required=False)
    email = forms.EmailField(required=False)
    url = forms.URLField(required=False, assume_scheme="https")
    hidden = forms.CharField(widget=forms.HiddenInput, required=False)
    secret = forms.CharField(widget=forms.PasswordInput, required=False)
    flag = forms.BooleanField(required=False)
    choice = forms.ChoiceField(choices=CHOICES, required=False)
    many = forms.MultipleChoiceField(choices=CHOICES, required=False)
    yes_no = forms.NullBooleanField(required=False)
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2, "data-x": None}))
    odd = forms.CharField(
        widget=forms.TextInput(attrs={"readonly": True, "disabled": False, "title": 'a "b" & c'}),
        required=False,
    )


VALUES = [
    {},
    {
        "text": 'Tên <b>"đậm"</b> & rõ',
        "number": "12",
        "decimal": "1234.5",
        "day": "2026-12-02",
        "moment": "2026-12-02 10:00",
        "hidden": "ẩn",
        "secret": "x",
        "flag": "on",
        "choice": "x",
        "many": ["1", "y"],
        "yes_no": "true",
        "note": "dòng 1\n<dòng 2>",
        "odd": "&amp;",
    },
    {"choice": "3", "many": ["3"], "note": "", "number": "không phải số"},
]


@pytest.mark.parametrize("data", VALUES)
@pytest.mark.parametrize("language", ["vi", "en"])
def test_it_writes_every_widget_it_knows_as_its_template_does(data, language):
    with translation.override(language):
        for bound in (
            Everything(data or None, initial={"day": datetime.date(2026, 1, 31), "text": 5}),
            Everything(data or None, auto_id=False),
        ):
            templates, default = set(), bound.renderer
            for field in bound:
                templates.add(field.field.widget.template_name)
                expected = field.as_widget()
                bound.renderer = renderer
                try:
                    assert field.as_widget() == expected
                finally:
                    bound.renderer = default
            assert templates <= set(_WRITERS)


def test_other_templates_are_rendered_as_the_default_renderer_does():
    form = Everything({"text": ""})
    field = form["text"]
    expected = str(form.errors["text"]) + str(forms.ClearableFileInput().render("f", None))
    form.renderer = renderer
    form.errors["text"].renderer = renderer
    written = str(form.errors["text"]) + str(
        forms.ClearableFileInput().render("f", None, renderer=renderer)
    )
    assert written == expected and field.errors
