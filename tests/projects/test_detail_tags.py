"""The project page's template tags."""

import pytest
from crispy_forms.helper import FormHelper
from django import forms
from django.template import Context, RequestContext, Template
from django.utils import translation
from django.utils.translation import gettext_lazy

from projects.applications.forms import CommentForm
from projects.templatetags import detail_tags
from projects.templatetags.detail_tags import with_field_markup

PAIR = Template("{% load crispy_forms_tags detail_tags %}{% crispy form %}|{% blank_form form %}")


@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize("data", [None, {"text": ""}])
def test_blank_form_writes_what_crispy_writes_with_the_request_token(rf, language, data):
    request = rf.get("/de-an/1/")
    with translation.override(language):
        for _ in range(2):  # the second from the markup kept
            crispy, blank = PAIR.render(RequestContext(request, {"form": CommentForm(data)})).split(
                "|"
            )
            assert blank == crispy
    assert 'name="csrfmiddlewaretoken"' in blank
    assert ("Your comment" in blank) if language == "en" else ("Ý kiến của bạn" in blank)


class Dialog(forms.Form):
    """A field of each kind the dialogs hold, and kinds crispy writes itself every time."""

    text = forms.CharField(label=gettext_lazy("Địa điểm"), max_length=60)
    note = forms.CharField(
        label=gettext_lazy("Ghi chú"),
        required=False,
        help_text=gettext_lazy("Để trống nếu không có."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    number = forms.IntegerField(label="Số", min_value=0)
    day = forms.DateField(label="Ngày", required=False)
    kind = forms.ChoiceField(label="Loại", choices=[("", "---"), ("a", "A"), ("b", "B")])
    agree = forms.BooleanField(label="Đồng ý", required=False)
    people = forms.MultipleChoiceField(
        label="Người", choices=[("1", "Một"), ("2", "Hai")], widget=forms.CheckboxSelectMultiple
    )
    secret = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


WHOLE = Template("{% load crispy_forms_tags %}{% crispy form %}")
FIELDS = Template(
    "{% load crispy_forms_tags %}{% for field in form %}{{ field|as_crispy_field }}|{% endfor %}"
)


def _pages(data, initial):
    """The dialog through crispy alone, then twice through field_markup (once to learn its
    markup, once from it), by both ways the page asks crispy for fields."""
    pages = []
    for markup in (False, True, True):
        for way in (WHOLE, FIELDS):
            form = Dialog(data, initial=initial, auto_id="id_dialog_%s")
            if markup:
                with_field_markup(form)
            pages.append(way.render(Context({"form": form})))
    return pages


@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize(
    ("data", "initial"),
    [
        (None, None),
        (None, {"text": "Xã <A>", "number": 7, "kind": "b", "agree": True, "day": "1/2/2026"}),
        ({"text": "", "number": "x", "kind": "c"}, None),  # with errors: crispy writes them
    ],
)
def test_field_markup_writes_what_crispy_writes(language, data, initial):
    detail_tags._markup.clear()
    with translation.override(language):
        pages = _pages(data, initial)
    crispy_whole, crispy_fields = pages[:2]
    assert pages[2::2] == [crispy_whole, crispy_whole]
    assert pages[3::2] == [crispy_fields, crispy_fields]
    if initial:
        assert "Xã &lt;A&gt;" in crispy_whole and 'value="b" selected' in crispy_whole
    assert ("Leave empty" in crispy_whole) == (language == "en") or "Để trống" in crispy_whole


def test_field_markup_keeps_the_markup_around_the_widget_only():
    detail_tags._markup.clear()
    _pages(None, None)
    # The text, note, number, day, kind and agree fields, once for each way crispy is asked
    # (their contexts differ); not the boxes nor the hidden field.
    assert len(detail_tags._markup) == 12
    kept = "".join(before + after for before, after, _css in detail_tags._markup.values())
    assert "<input" not in kept and "<textarea" not in kept and "<select" not in kept
