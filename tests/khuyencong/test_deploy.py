"""The deployment files agree with the code: every setting is documented, the upload limits
match, gunicorn's configuration loads, and there is exactly one beat. (`deploy/check`, run by
CI, feeds the files to `nginx -t` and `systemd-analyze verify`.)"""

import re
import runpy
from pathlib import Path

from django.conf import settings

from khuyencong.env import env_int

ROOT = Path(settings.BASE_DIR)
DEPLOY = ROOT / "deploy"


def settings_read_from_the_environment() -> set[str]:
    names = set()
    for source in (ROOT / "khuyencong" / "settings.py", ROOT / "gunicorn.conf.py"):
        names |= set(re.findall(r'env_\w+\(\s*"([A-Z][A-Z0-9_]*)"', source.read_text()))
    return names


def test_every_setting_is_in_the_environment_template_and_the_readme():
    template = (DEPLOY / "khuyencong.env.example").read_text()
    listed = set(re.findall(r"^#?([A-Z][A-Z0-9_]*)=", template, flags=re.M))
    readme = (ROOT / "README.md").read_text()
    names = settings_read_from_the_environment()
    assert len(names) > 50
    assert names - listed == set(), "add them to deploy/khuyencong.env.example"
    assert {n for n in names if f"`{n}`" not in readme} == set(), (
        "add them to the README's production table"
    )


def test_nginx_accepts_an_upload_of_max_upload_mb():
    site = (DEPLOY / "nginx" / "khuyencong.conf").read_text()
    (limit,) = re.findall(r"^\s*client_max_body_size (\d+)m;", site, flags=re.M)
    default = 20
    assert env_int("NO_SUCH_VARIABLE", default) == default == int(_default_max_upload_mb())
    assert int(limit) == default + 1  # the file plus the rest of the multipart form


def _default_max_upload_mb() -> str:
    text = (ROOT / "khuyencong" / "settings.py").read_text()
    return re.search(r'env_int\("MAX_UPLOAD_MB", (\d+)\)', text)[1]


def test_nginx_forwards_what_the_portal_reads():
    site = (DEPLOY / "nginx" / "khuyencong.conf").read_text()
    for header in ("Host $host", "X-Forwarded-Proto $scheme", "X-Request-ID $request_id"):
        assert f"proxy_set_header {header};" in site
    assert "Strict-Transport-Security" in site
    assert "listen 443 ssl" in site
    assert "location /static/" in site
    assert not re.search(r"location\s+\S*/media", site)  # documents only through the portal


def test_gunicorn_configuration(monkeypatch):
    monkeypatch.delenv("GUNICORN_WORKERS", raising=False)
    monkeypatch.setenv("GUNICORN_BIND", "127.0.0.1:8001")
    monkeypatch.setenv("GUNICORN_MAX_REQUESTS", "500")
    config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    import multiprocessing

    assert config["workers"] == 2 * multiprocessing.cpu_count() + 1
    assert config["bind"] == ["127.0.0.1:8001"]
    assert (config["max_requests"], config["max_requests_jitter"]) == (500, 50)
    assert config["timeout"] == 60
    assert config["wsgi_app"] == "khuyencong.wsgi"


def test_the_units_use_the_gunicorn_configuration_and_run_exactly_one_beat():
    units = {p.name: p.read_text() for p in (DEPLOY / "systemd").iterdir()}
    assert "--config /srv/khuyencong/gunicorn.conf.py" in units["khuyencong-web.service"]
    beats = [name for name, text in units.items() if re.search(r"celery .*\bbeat\b", text)]
    assert beats == ["khuyencong-beat.service"]
    assert "@" not in beats[0]  # not a template: one instance only
    assert " worker " in units["khuyencong-worker@.service"]
    for name, text in units.items():
        if name.endswith(".service"):
            assert "EnvironmentFile=/etc/khuyencong/khuyencong.env" in text, name
