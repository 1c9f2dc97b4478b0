"""A day is typed the Vietnamese way: day first, then month, then year.

`parse_day` is the one reader of a typed date in the portal (every date field, the audit log's
filter). A phone's numeric keypad has no "/" (an iPhone's has no separator at all), so the
separators are any of "/", ".", "-" or a space, and eight digits with none (15062027) are a
whole date; a two-digit year is of this century (15/6/27 is 15/06/2027). The ISO form
(2027-06-15) is what a native date picker gives. Anything else, and a day no calendar has
(31/02/2026), is refused.
"""

import datetime
import re

# Day, month, year with one separator between each: 15/06/2027, 15.6.27, 15 - 06 - 2027.
_SEPARATED = re.compile(r"([0-9]{1,2})\s*[/.\- ]\s*([0-9]{1,2})\s*[/.\- ]\s*([0-9]{4}|[0-9]{2})")
_DIGITS = re.compile(r"([0-9]{2})([0-9]{2})([0-9]{4})")  # ddmmyyyy
_ISO = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")
CENTURY = 2000  # a two-digit year is 20yy: the portal keeps no dates before 2000


def parse_day(text: str) -> datetime.date:
    """The day `text` names, or ValueError when it names none."""
    text = str(text).strip()
    if match := _ISO.fullmatch(text):
        year, month, day = (int(part) for part in match.groups())
    elif match := _SEPARATED.fullmatch(text) or _DIGITS.fullmatch(text):
        day, month, year = (int(part) for part in match.groups())
        if len(match.group(3)) == 2:
            year += CENTURY
    else:
        raise ValueError(f"not a date: {text!r}")
    return datetime.date(year, month, day)  # ValueError for 31/02 or month 13
