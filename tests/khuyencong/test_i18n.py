"""The English interface: the catalogue in locale/en is complete and up to date with the code,
switching language from the user menu shows English screens, and Vietnamese stays the default.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils.translation import trans_real

ROOT = Path(settings.BASE_DIR)
PO = ROOT / "locale" / "en" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|%%")

# ---------------------------------------------------------------------------------------------
# A small .po reader: enough for the files makemessages writes.


def _unquote(line: str) -> str:
    text = line[line.index('"') + 1 : line.rindex('"')]
    return text.replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")


def read_po(path: Path) -> list[dict]:
    """Every entry of a .po file as {"flags", "refs", "msgid", "msgid_plural", "msgstr": [...]}
    (the header, with an empty msgid, left out)."""
    entries = []
    for block in path.read_text(encoding="utf-8").strip().split("\n\n"):
        entry = {"flags": "", "refs": "", "msgstr": []}
        key = None
        for line in block.splitlines():
            if line.startswith("#,"):
                entry["flags"] += line[2:]
            elif line.startswith("#:"):
                entry["refs"] += line[2:]
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                if key == "msgstr":
                    entry["msgstr"][-1] += _unquote(line)
                else:
                    entry[key] += _unquote(line)
            else:
                key = line.split(" ", 1)[0]
                if key.startswith("msgstr"):
                    key = "msgstr"
                    entry["msgstr"].append(_unquote(line))
                else:
                    entry[key] = _unquote(line)
        if entry.get("msgid"):
            entries.append(entry)
    return entries


def _describe(entry: dict) -> str:
    return f"{entry['msgid']!r} ({entry['refs'].strip()})"


# ---------------------------------------------------------------------------------------------
# The catalogue itself


def test_it_translates_every_string_of_the_catalogue():
    entries = read_po(PO)
    assert len(entries) > 1000
    untranslated = [_describe(e) for e in entries if not all(s.strip() for s in e["msgstr"])]
    fuzzy = [_describe(e) for e in entries if "fuzzy" in e["flags"]]
    assert not untranslated, "Untranslated in locale/en (see locale/README.md):\n" + "\n".join(
        untranslated
    )
    assert not fuzzy, "Fuzzy in locale/en (check and clear the flag):\n" + "\n".join(fuzzy)


def test_it_keeps_every_placeholder_in_the_translations():
    for entry in read_po(PO):
        sources = [entry["msgid"], entry.get("msgid_plural", entry["msgid"])]
        for index, translated in enumerate(entry["msgstr"]):
            source = sources[min(index, 1)]
            assert sorted(PLACEHOLDER.findall(translated)) == sorted(PLACEHOLDER.findall(source)), (
                f"{_describe(entry)} → {translated!r}"
            )


def test_it_has_every_string_of_the_code_in_the_catalogue(tmp_path):
    """makemessages on a copy of the sources finds nothing that locale/en lacks: a string
    marked in code or templates without updating and translating the catalogue fails here."""
    if shutil.which("xgettext") is None or shutil.which("msgmerge") is None:
        pytest.skip("GNU gettext is not installed (make messages installs it)")
    skip = shutil.ignore_patterns("__pycache__", "*.pyc", "*.mo")
    for name in ("khuyencong", "facilities", "projects", "templates", "static", "locale"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=skip)
    shutil.copy(ROOT / "manage.py", tmp_path / "manage.py")
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "en", "--no-obsolete", "-v", "0"],
        cwd=tmp_path,
        env={k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"} | {"DEBUG": "1"},
        check=True,
        capture_output=True,
    )
    fresh = read_po(tmp_path / "locale" / "en" / "LC_MESSAGES" / "django.po")
    missing = [
        _describe(e)
        for e in fresh
        if "fuzzy" in e["flags"] or not all(s.strip() for s in e["msgstr"])
    ]
    assert not missing, (
        "Strings in the code that locale/en does not translate yet; run makemessages and "
        "translate them (locale/README.md):\n" + "\n".join(missing)
    )


# ---------------------------------------------------------------------------------------------
# The screens


@pytest.fixture(scope="session")
def english_catalogue():
    """The compiled catalogue, rebuilt when missing or older than the .po (the .mo is not in
    git; `make messages` builds it too)."""
    if not MO.exists() or MO.stat().st_mtime < PO.stat().st_mtime:
        call_command(
            "compilemessages",
            locale=["en"],
            ignore_patterns=[".venv", "node_modules", "staticfiles", "var"],
            verbosity=0,
        )
        # Forget catalogues an earlier test may have loaded before the .mo existed.
        trans_real._translations = {}
        trans_real._default = None
    return MO


@pytest.fixture
def in_english(client, english_catalogue):
    """A client that chose English with the button of the user menu."""
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    return client


def _page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


# Labels every signed-in page shows in its menu.
MENU_EN = ["Dashboard", "Facilities", "Projects", "My work", "Reports", "Log out"]
MENU_VI = ["Tổng quan", "Cơ sở CNNT", "Việc của tôi", "Báo cáo", "Đăng xuất"]


@pytest.mark.django_db
def test_it_shows_the_login_page_in_english(in_english):
    page = _page(in_english, reverse("login"))
    assert 'lang="en"' in page
    assert "Log in" in page
    assert "Username" in page and "Password" in page
    assert "Đăng nhập" not in page
    assert "Mật khẩu" not in page


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "english", "vietnamese"),
    [
        ("/", ["Dashboard", "Overdue"], ["Quá hạn"]),
        (
            "/co-so/",
            ["Rural industrial facilities", "Import from Excel", "Export to Excel", "Tax code"],
            ["Cơ sở công nghiệp nông thôn", "Nhập từ Excel", "Mã số thuế"],
        ),
        (
            "/de-an/",
            ["Industrial promotion projects", "Funding source", "Activity type"],
            ["Đề án khuyến công", "Nguồn kinh phí", "Nội dung khuyến công"],
        ),
        (
            "/bao-cao/",
            ["Annual industrial promotion results report", "Project register"],
            ["Báo cáo kết quả hoạt động khuyến công năm", "Danh mục đề án"],
        ),
        (
            "/bao-cao/ket-qua-nam/?year=2026",
            ["Annual industrial promotion results report 2026", "By activity type", "Print"],
            ["Theo nội dung khuyến công", "Tổng cộng"],
        ),
    ],
)
def test_it_shows_the_pages_in_english_after_switching(
    in_english, staff, facility_a, url, english, vietnamese
):
    in_english.force_login(staff)
    page = _page(in_english, url)
    assert 'lang="en"' in page
    for label in MENU_EN + english:
        assert label in page, f"{label!r} missing on {url}"
    for label in MENU_VI + vietnamese:
        assert label not in page, f"{label!r} still on {url}"


@pytest.mark.django_db
def test_it_speaks_english_in_messages_and_form_errors(in_english, officer):
    in_english.force_login(officer)
    response = in_english.post(reverse("facilities:create"), {"name": ""})
    page = response.content.decode()
    assert "Enter the facility name." in page
    assert "Nhập tên cơ sở." not in page


@pytest.mark.django_db
def test_it_switches_back_to_vietnamese(in_english, officer):
    in_english.force_login(officer)
    assert "Facilities" in _page(in_english, "/co-so/")
    in_english.post(reverse("set_language"), {"language": "vi", "next": "/"})
    page = _page(in_english, "/co-so/")
    assert 'lang="vi"' in page
    assert "Cơ sở công nghiệp nông thôn" in page
    assert "Rural industrial facilities" not in page


@pytest.mark.django_db
@pytest.mark.parametrize("accept_language", [None, "vi-VN,vi;q=0.9", "en-US,en;q=0.9"])
def test_it_speaks_vietnamese_to_a_new_session(client, english_catalogue, officer, accept_language):
    headers = {"Accept-Language": accept_language} if accept_language else {}
    login_page = client.get(reverse("login"), headers=headers).content.decode()
    assert 'lang="vi"' in login_page
    assert "Đăng nhập" in login_page
    assert "Log in" not in login_page
    client.force_login(officer)
    page = client.get("/co-so/", headers=headers).content.decode()
    for label in MENU_VI:
        assert label in page
    assert "Rural industrial facilities" not in page
    # The language menu offers English, in English.
    assert 'name="language" value="en">English<' in page
