"""Template tags of the project page (templates/projects/detail.html)."""

import functools

from crispy_forms.templatetags.crispy_forms_field import (
    CrispyFieldNode,
    is_checkbox,
    is_checkboxselectmultiple,
    is_file,
    is_radioselect,
    is_select,
)
from crispy_forms.utils import render_crispy_form
from django import template
from django.forms import ModelChoiceField
from django.forms.formsets import BaseFormSet
from django.template import Context
from django.template.loader import get_template
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from khuyencong import widget_renderer

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


# --- fields of the close-out and action dialogs ---------------------------------------------

# Where a form's helper sends crispy to render each field (helper.field_template): a one-line
# template calling `field_markup` below.
FIELD_TEMPLATE = "projects/closeout/_field.html"
# crispy's own template for one field, which `field_markup` renders on its first call.
_CRISPY_FIELD = "bootstrap5/field.html"
# The variables of crispy's context that its field template reads (besides the field).
_CONTEXT_NAMES = (
    "tag",
    "form_class",
    "label_class",
    "field_class",
    "wrapper_class",
    "form_show_labels",
    "form_show_errors",
    "help_text_inline",
    "error_text_inline",
    "bootstrap_checkbox_offsets",
)
# Keys are few (the dialogs' fields × languages); the cap only bounds a flood of labels.
_MARKUP_MAX = 1024
_markup: dict[tuple, tuple[str, str, str] | None] = {}


def with_field_markup(*forms) -> None:
    """Render the fields of `forms` (each with a crispy helper) through `field_markup`, and
    their widgets and those of their rows (a formset `rows`) in Python
    (khuyencong/widget_renderer.py)."""
    for form in forms:
        form.helper.field_template = FIELD_TEMPLATE
        form.renderer = widget_renderer.renderer
        rows = getattr(form, "rows", None)
        if isinstance(rows, BaseFormSet):
            rows.renderer = rows.form_renderer = widget_renderer.renderer
            for name in ("forms", "management_form", "empty_form"):
                made = rows.__dict__.get(name)  # cached properties already read
                for row in made if isinstance(made, list) else [made] if made else ():
                    row.renderer = widget_renderer.renderer


@register.simple_tag(takes_context=True)
def field_markup(context):
    """What crispy's bootstrap5 field template writes for `field`, without running it each time.

    The project page's dialogs hold some fifty fields; crispy renders each through a dozen
    nested templates, which took most of the page's time. What it writes around the widget
    depends only on the field's label, help text, identifiers, kind of widget, requiredness and
    the helper's settings, so that markup is rendered once per process, language and those,
    and each request renders only the widget itself (its value and choices), with the CSS
    class crispy adds. Fields with errors, hidden ones, files, lists of boxes or radio buttons
    (crispy writes each choice), fields whose choices are a query (reading their markup writes
    the widget twice: a query more), and fields whose widget is not written once, are
    rendered by crispy every time."""
    flat = context.flatten()
    field = flat["field"]
    css_class = _widget_class(field, flat)
    if css_class is None:
        return _crispy(flat)
    widget = field.field.widget
    key = (
        get_language(),
        type(widget),
        field.auto_id,
        field.id_for_label,
        str(field.label),
        str(field.help_text),
        field.field.required,
        field.css_classes(),
        field.use_fieldset,
        widget.attrs.get("aria-describedby"),
        *(_hashable(flat.get(name)) for name in _CONTEXT_NAMES),
    )
    entry = _markup.get(key, _markup)  # the dict itself: not rendered yet
    if entry is _markup:
        html = _crispy(flat)
        written = str(field)  # the widget as crispy's class left it
        entry = (*html.split(written), css_class) if html.count(written) == 1 else None
        if len(_markup) >= _MARKUP_MAX:
            _markup.clear()
        _markup[key] = entry
        return html
    if entry is None:
        return _crispy(flat)
    before, after, css_class = entry
    written = CrispyFieldNode("field", {"'class'": f"'{css_class}'"}).render(
        Context({"field": field})
    )
    return mark_safe(before + written + after)


def _widget_class(field, flat) -> str | None:
    """The class crispy's field template gives the widget, None when it is not one piece."""
    if (
        field.errors
        or field.is_hidden
        or isinstance(field.field, ModelChoiceField)
        or is_file(field)
        or is_checkboxselectmultiple(field)
        or is_radioselect(field)
    ):
        return None
    if is_checkbox(field):
        return "form-check-input"
    return "form-select" if is_select(field) else "form-control"


def _hashable(value):
    return tuple(value) if isinstance(value, list) else value


def _crispy(flat: dict) -> str:
    return get_template(_CRISPY_FIELD).render(flat)
