import pytest
from django.core.exceptions import ImproperlyConfigured

from khuyencong.env import env_bool, env_int, env_list


def test_booleans_are_parsed_strictly(monkeypatch):
    monkeypatch.setenv("FLAG", "yes")
    assert env_bool("FLAG") is True
    monkeypatch.setenv("FLAG", "0")
    assert env_bool("FLAG", default=True) is False
    monkeypatch.setenv("FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="FLAG"):
        env_bool("FLAG")


def test_numbers_and_lists(monkeypatch):
    monkeypatch.setenv("N", "12")
    monkeypatch.setenv("HOSTS", "a.vn, b.vn,,")
    assert env_int("N", 1) == 12
    assert env_list("HOSTS") == ["a.vn", "b.vn"]
    monkeypatch.setenv("N", "mười")
    with pytest.raises(ImproperlyConfigured):
        env_int("N", 1)


def _run(code: str):
    import subprocess
    import sys

    env = {"DEBUG": "0", "PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "khuyencong.settings"}
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )


def test_production_refuses_to_serve_without_a_secret_key():
    # Sessions, CSRF and password resets all sign with the key: none of them can work.
    result = _run(
        "import django; django.setup(); from django.core import signing; signing.dumps(1)"
    )
    assert result.returncode != 0
    assert "The SECRET_KEY setting must not be empty" in result.stderr


def test_commands_that_need_no_key_run_without_one():
    result = _run(
        "import django; django.setup(); from django.core.management import "
        "call_command; call_command('makemigrations', '--check', '--dry-run')"
    )
    assert result.returncode == 0, result.stderr
