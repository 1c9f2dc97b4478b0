from django import template
from django.utils.http import urlencode

from khuyencong.money import format_vnd

register = template.Library()


@register.filter
def vnd(amount):
    """1075000000 → "1.075.000.000 ₫"."""
    return format_vnd(amount)


@register.filter
def vnd_plain(amount):
    return format_vnd(amount, symbol=False)


@register.filter
def number(value):
    """Whole numbers with dot grouping, as Vietnamese documents write them."""
    if value is None or value == "":
        return ""
    return format_vnd(value, symbol=False)


@register.simple_tag(takes_context=True)
def query_replace(context, **kwargs):
    """The current query string with some parameters replaced (for sorting and paging links)."""
    params = context["request"].GET.copy()
    for key, value in kwargs.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = value
    return urlencode(sorted(params.lists()), doseq=True)
