"""Texts stored for later readers, said in each reader's language.

A notification is written once, in Vietnamese, and read later by people who may use the portal
in English. `StoredText` is a `str` (the Vietnamese rendering, what the `title`/`body` columns
and e-mails keep) that also remembers its message id and values; the rows keep those in their
`texts` column and `say()` renders them again through gettext in the language of the request.
A row without them (written before this existed, or a free text such as an officer's comment)
shows its stored text as it is.
"""

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext


class StoredText(str):
    """`StoredText(gettext_noop("Đề án %(code)s …"), {"code": …})`.

    Values end up plain JSON (strings, numbers): dates and amounts formatted already. A string
    value that is itself a message id (a choice label, say) is translated too when shown.
    """

    msgid: str
    values: dict

    def __new__(cls, msgid: str, values: dict | None = None):
        # Numbers stay numbers (for %d); anything else (a locality, a lazy label) as its text.
        values = {
            key: value if isinstance(value, int | float) else str(value)
            for key, value in (values or {}).items()
        }
        with translation.override(settings.LANGUAGE_CODE):
            rendered = _render(msgid, values)
        text = super().__new__(cls, rendered)
        text.msgid = msgid
        text.values = values
        return text

    def as_json(self) -> list:
        return [self.msgid, self.values]


def as_json(value) -> list | None:
    return value.as_json() if isinstance(value, StoredText) else None


def _render(msgid: str, values: dict) -> str:
    if not values:
        return gettext(msgid)
    return gettext(msgid) % {
        key: gettext(value) if isinstance(value, str) and value else value
        for key, value in values.items()
    }


def say(stored: str, texts: dict | None, key: str) -> str:
    """The text `key` of a row in the active language; the stored text when it has no id."""
    entry = (texts or {}).get(key)
    if not entry:
        return stored
    try:
        msgid, values = entry
        return _render(msgid, values)
    except (TypeError, ValueError, KeyError):  # a catalogue entry that no longer fits
        return stored


def source(message) -> str:
    """The Vietnamese source of a (lazy) message, to store where a later reader's language
    is not known yet (a change-history reason); `said()` translates it when shown."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(message)


def said(stored: str) -> str:
    """A stored message id in the active language; free text (no catalogue entry) unchanged."""
    return gettext(stored) if stored else stored
