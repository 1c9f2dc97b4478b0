"""The project page's template tags."""

import pytest
from django.template import RequestContext, Template
from django.utils import translation

from projects.applications.forms import CommentForm

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
