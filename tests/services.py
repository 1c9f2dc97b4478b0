"""Tests that need a real service (PostgreSQL, Redis) skip with a reason where it is missing,
and fail instead when KC_REQUIRE_SERVICES=1 (CI), so a broken service never passes unseen."""

import os

import pytest


def services_required() -> bool:
    return os.environ.get("KC_REQUIRE_SERVICES", "") == "1"


def skip_or_fail(reason: str) -> None:
    if services_required():
        pytest.fail(f"{reason} (KC_REQUIRE_SERVICES=1: this test must run)")
    pytest.skip(reason)


def require_postgres() -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        skip_or_fail(
            "needs PostgreSQL (row locks and concurrent inserts); "
            "set DATABASE_URL=postgres://… to run it"
        )
