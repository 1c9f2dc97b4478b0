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


def test_production_keeps_database_connections_between_requests():
    # Opening a PostgreSQL connection per request costs a round trip and authentication; the
    # health check replaces a kept connection the server has closed.
    code = (
        "from django.conf import settings; d = settings.DATABASES['default']; "
        "print(d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS'])"
    )
    result = _run(f"import os; os.environ['SECRET_KEY'] = 'x' * 50; {code}")
    assert result.stdout.split() == ["60", "True"], result.stderr
    result = _run(f"import os; os.environ['DEBUG'] = '1'; {code}")
    assert result.stdout.split() == ["0", "True"], result.stderr
    result = _run(
        "import os; os.environ['DB_CONN_MAX_AGE'] = '0'; "
        f"os.environ['SECRET_KEY'] = 'x' * 50; {code}"
    )
    assert result.stdout.split()[0] == "0", result.stderr
