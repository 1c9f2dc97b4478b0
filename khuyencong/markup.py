"""HTML written in Python, where a template would cost too much (the lists' rows)."""

import html
import re

# The characters html.escape replaces. Most texts a page shows (names, codes, amounts) have
# none: one search in C then replaces five passes of str.replace.
_SPECIAL = re.compile("[&<>\"']")


def esc(value) -> str:
    """`value` escaped for HTML, as Django's conditional_escape (a value with `__html__`, such as
    a string marked safe, as it marks itself). Django's wraps every call in a check of its
    arguments for lazy translations: a list page escapes some 700 values, and the wrapper was
    most of their cost. The result is plain text, for an f-string that is marked safe as a
    whole."""
    if hasattr(value, "__html__"):
        return value.__html__()
    text = str(value)
    return html.escape(text) if _SPECIAL.search(text) else text
