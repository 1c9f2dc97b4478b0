"""Folding of Vietnamese text for search that ignores diacritics and case.

The folded form is stored beside the record (a `search_text` column), so the same plain
`contains` lookup works on SQLite and PostgreSQL alike.
"""

import unicodedata


def fold(value: str | None) -> str:
    if not value:
        return ""
    decomposed = unicodedata.normalize("NFD", value)
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    stripped = stripped.replace("đ", "d").replace("Đ", "D")
    return " ".join(stripped.casefold().split())


def fold_join(*values: object) -> str:
    return fold(" ".join(str(v) for v in values if v))
