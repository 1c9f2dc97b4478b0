"""Money is whole Vietnamese đồng: shown as 1.075.000.000 ₫, typed the same way.

`parse_vnd` is the one reader of a typed amount in the portal (forms, Excel import): a
thousands separator is a dot or a space, never a decimal mark, so "1.5" and "2,5" are refused
instead of becoming 15 ₫ or 25 ₫.
"""

import re

# A million billion đồng: far above any budget, and well inside a 64-bit column.
MAX_MONEY = 10**15

_SUFFIX = re.compile(r"\s*(₫|vnđ|vnd|đồng|đ)$", re.IGNORECASE)
_PLAIN = re.compile(r"[0-9]+")
# Groups of three after the first, all with the same separator: 1.075.000.000 or 1 075 000 000.
_GROUPED = re.compile(r"[0-9]{1,3}(?P<sep>[. ])[0-9]{3}(?:(?P=sep)[0-9]{3})*")


class MoneyError(ValueError):
    """Why a typed amount was refused: `code` is invalid, negative or too_large."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def format_vnd(amount: int | None, symbol: bool = True) -> str:
    if amount is None or amount == "":
        return ""
    amount = int(amount)
    sign = "-" if amount < 0 else ""
    digits = f"{abs(amount):,}".replace(",", ".")
    return f"{sign}{digits} ₫" if symbol else f"{sign}{digits}"


def parse_whole(text: str) -> int:
    """A whole number as a Vietnamese user types it: "1500000", "1.500.000", "1 500 000",
    optionally followed by ₫/đ/đồng/VNĐ. Raises `MoneyError("invalid")` for a decimal part
    ("1.5", "1,5"), separators out of place ("5.0000.000") or digits that are not ASCII."""
    cleaned = str(text).replace("\u00a0", " ").replace("\u202f", " ").strip()
    cleaned = _SUFFIX.sub("", cleaned).strip()
    negative = cleaned.startswith("-")
    cleaned = cleaned.removeprefix("-").strip()
    if _PLAIN.fullmatch(cleaned):
        number = int(cleaned)
    elif _GROUPED.fullmatch(cleaned):
        number = int(cleaned.replace(".", "").replace(" ", ""))
    else:
        raise MoneyError("invalid")
    return -number if negative else number


def parse_vnd(value, *, maximum: int = MAX_MONEY) -> int:
    """An amount in whole đồng, never negative and never above `maximum`."""
    if isinstance(value, bool):
        raise MoneyError("invalid")
    if isinstance(value, int):
        amount = value
    elif isinstance(value, float):
        # A spreadsheet cell: 1500000.0 is a whole amount, 1.5 is not.
        if not value.is_integer():
            raise MoneyError("invalid")
        amount = int(value)
    else:
        amount = parse_whole(value)
    if amount < 0:
        raise MoneyError("negative")
    if amount > maximum:
        raise MoneyError("too_large")
    return amount
