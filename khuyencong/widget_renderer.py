"""A form renderer that writes Django's plain widgets in Python, as their templates write them.

Django renders every widget through its templates (django/forms/widgets/…), and a select
through one more template per option, with its attributes through another: the project page's
close-out dialogs, whose member and follow-up rows each offer every user, took five times as
long as the rest of the page. For the widgets whose templates are listed here the markup is
written by plain functions from the same context the template gets (`Widget.get_context`),
character for character (tests/khuyencong/test_widget_renderer.py holds them to the
templates); any other template is rendered as the default renderer does.
"""

from django.forms.renderers import DjangoTemplates
from django.utils.formats import localize
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeData

_OPTION = "django/forms/widgets/select_option.html"


def _shown(value) -> str:
    """`{{ value }}`: localized and escaped (render_value_in_context)."""
    if type(value) is str:
        return escape(value)
    return conditional_escape(localize(value))


def _formatted(value) -> str:
    """`{{ value|stringformat:'s' }}`: the filter keeps a safe value safe (is_safe)."""
    text = "%s" % (str(value) if isinstance(value, tuple) else value)
    return text if isinstance(value, SafeData) else escape(text)


def _attrs(attrs: dict) -> str:
    """django/forms/widgets/attrs.html."""
    return "".join(
        f" {_shown(name)}" if value is True else f' {_shown(name)}="{_formatted(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def _input(widget: dict) -> str:
    """django/forms/widgets/input.html (which text.html, number.html … include)."""
    value = widget["value"]
    shown = f' value="{_formatted(value)}"' if value is not None else ""
    return (
        f'<input type="{_shown(widget["type"])}" name="{_shown(widget["name"])}"'
        f"{shown}{_attrs(widget['attrs'])}>"
    )


def _select(widget: dict) -> str | None:
    """django/forms/widgets/select.html with select_option.html for each option (None for an
    option of another template)."""
    parts = [f'<select name="{_shown(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_shown(group_name)}">')
        for option in group_choices:
            if option["template_name"] != _OPTION:
                return None
            parts.append(
                f'\n  <option value="{_formatted(option["value"])}"{_attrs(option["attrs"])}>'
                f"{_shown(option['label'])}</option>\n"
            )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


def _textarea(widget: dict) -> str:
    """django/forms/widgets/textarea.html."""
    value = widget["value"]
    return (
        f'<textarea name="{_shown(widget["name"])}"{_attrs(widget["attrs"])}>\n'
        f"{_shown(value) if value else ''}</textarea>"
    )


_INPUTS = ("checkbox", "color", "date", "datetime", "email", "hidden", "number", "password")
_WRITERS = {
    **{f"django/forms/widgets/{name}.html": _input for name in _INPUTS},
    **{
        f"django/forms/widgets/{name}.html": _input
        for name in ("search", "tel", "text", "time", "url")
    },
    "django/forms/widgets/select.html": _select,
    "django/forms/widgets/textarea.html": _textarea,
}


class WidgetRenderer(DjangoTemplates):
    """The default renderer, but for the widgets of _WRITERS."""

    def render(self, template_name, context, request=None):
        write = _WRITERS.get(template_name)
        widget = context.get("widget") if write is not None else None
        html = write(widget) if isinstance(widget, dict) else None
        if html is None:
            return super().render(template_name, context, request=request)
        return html.strip()  # as BaseRenderer.render


renderer = WidgetRenderer()
