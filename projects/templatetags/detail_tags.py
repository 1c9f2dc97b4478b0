"""Template tags of the project page (templates/projects/detail.html)."""

import functools

from crispy_forms.utils import render_crispy_form
from django import template
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

register = template.Library()

# Stands for the request's CSRF token in markup rendered once for every request.
_TOKEN = "csrf-token-of-the-request"


@register.simple_tag(takes_context=True)
def blank_form(context, form):
    """`{% crispy form %}` of a form that is the same on every page: unbound and without
    initial values (the comment box), rendered once per process, form class and language with
    the request's CSRF token put in. crispy renders a field through a dozen nested templates:
    the comment box took an eighth of the project page's time."""
    token = str(context.get("csrf_token") or "")
    blank = not form.is_bound and not form.initial
    given = token and token != "NOTPROVIDED"
    if not blank or any(f.initial is not None for f in form.fields.values()) or not given:
        return render_crispy_form(form, context=context.flatten())
    return mark_safe(_blank_form(type(form), form.prefix, get_language()).replace(_TOKEN, token))


@functools.lru_cache(maxsize=16)
def _blank_form(form_class, prefix, language) -> str:
    return render_crispy_form(form_class(prefix=prefix), context={"csrf_token": _TOKEN})
