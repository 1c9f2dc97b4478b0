"""Strict readers for settings taken from the environment.

A typo in a production variable must stop the start-up, not silently fall back to a default.
"""

import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name} must be one of 1/0, true/false, yes/no, on/off; got {raw!r}"
    )


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number; got {raw!r}") from exc


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_int_list(name: str, default: list[int]) -> list[int]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return list(default)
    try:
        return [int(item) for item in raw.split(",") if item.strip()]
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"{name} must be comma-separated whole numbers; got {raw!r}"
        ) from exc


def env_time(name: str, default: str) -> tuple[int, int]:
    """A time of day "HH:MM" as (hour, minute)."""
    raw = os.environ.get(name) or default
    try:
        hour, minute = (int(part) for part in raw.strip().split(":"))
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a time of day HH:MM; got {raw!r}") from exc
    if not (0 <= hour < 24 and 0 <= minute < 60):
        raise ImproperlyConfigured(f"{name} must be a time of day HH:MM; got {raw!r}")
    return hour, minute


def env_day_month(name: str, default: str) -> tuple[int, int]:
    """A yearly date "dd/mm" as (day, month); 29/02 is refused (it is not yearly)."""
    import datetime

    raw = os.environ.get(name) or default
    try:
        day, month = (int(part) for part in raw.strip().split("/"))
        datetime.date(2001, month, day)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a yearly date dd/mm; got {raw!r}") from exc
    return day, month


def env_addresses(name: str) -> list[tuple[str, str]]:
    """E-mail addresses "Name <a@example.vn>, b@example.vn" as [(name, address), …]."""
    from email.utils import getaddresses

    raw = os.environ.get(name, "")
    pairs = [(n.strip(), a.strip()) for n, a in getaddresses([raw]) if n.strip() or a.strip()]
    for _name, address in pairs:
        if "@" not in address or " " in address:
            raise ImproperlyConfigured(
                f'{name} must be addresses like "Name <a@example.vn>, b@example.vn"; got {raw!r}'
            )
    return pairs


def env_choice(name: str, default: str, choices: set[str]) -> str:
    raw = os.environ.get(name)
    value = default if raw is None or raw.strip() == "" else raw.strip().lower()
    if value not in choices:
        raise ImproperlyConfigured(
            f"{name} must be one of {', '.join(sorted(choices))}; got {raw!r}"
        )
    return value
