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


def test_production_refuses_to_start_without_a_secret_key(monkeypatch):
    import subprocess
    import sys

    env = {"DEBUG": "0", "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-c", "import khuyencong.settings"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
