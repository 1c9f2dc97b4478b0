"""Backups that restore: `manage.py backup` → `manage.py restore` gives back every row of every
table and every uploaded file, and a restore refuses what it must not overwrite."""

import filecmp
import io
import json
import sqlite3
import uuid
from pathlib import Path

import psycopg
import pytest
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.db import connection

from khuyencong.models import ServiceStamp
from khuyencong.ops import backup
from khuyencong.ops.backup import BackupError, create_backup, restore_backup, table_digests
from tests.services import require_postgres


def same_tree(left: Path, right: Path) -> bool:
    """Every file under `left` is under `right` with the same bytes, and nothing else."""
    names = {p.relative_to(left) for p in left.rglob("*") if p.is_file()}
    other = {p.relative_to(right) for p in right.rglob("*") if p.is_file()}
    return names == other and all(
        filecmp.cmp(left / name, right / name, shallow=False) for name in names
    )


def write_media(root: Path) -> None:
    (root / "documents" / "7").mkdir(parents=True)
    (root / "documents" / "7" / "bien-ban.pdf").write_bytes(b"%PDF-1.4\n" + bytes(range(256)))
    (root / "documents" / "Quyết định số 35.docx").write_text("Quyết định", encoding="utf-8")


# --- SQLite, on a small database of its own (runs whatever DATABASE_URL says) -----------------


@pytest.fixture
def sqlite_source(tmp_path):
    path = tmp_path / "source.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE locality (id INTEGER PRIMARY KEY, name TEXT, area REAL, map BLOB)")
    conn.execute('CREATE TABLE "odd ""name""" (id INTEGER PRIMARY KEY, note TEXT)')
    conn.executemany(
        "INSERT INTO locality (name, area, map) VALUES (?, ?, ?)",
        [("Xã Thành Công", 12.5, b"\x00\x01"), ("Hà Quảng", None, None), ("Bảo Lạc", 0.1, b"")],
    )
    conn.execute('INSERT INTO "odd ""name""" (note) VALUES (?)', ["x"])
    conn.commit()
    conn.close()
    return {"ENGINE": "django.db.backends.sqlite3", "NAME": str(path)}


def test_it_backs_up_and_restores_a_sqlite_database_and_the_documents(tmp_path, sqlite_source):
    media = tmp_path / "media"
    write_media(media)
    result = create_backup(tmp_path / "backups", 3, database=sqlite_source, media_root=media)

    manifest = json.loads((result.folder / "manifest.json").read_text())
    assert manifest["vendor"] == "sqlite"
    assert manifest["tables"]["locality"]["rows"] == 3
    assert manifest["tables"]['odd "name"']["rows"] == 1
    assert set(manifest["media"]) == {"documents/7/bien-ban.pdf", "documents/Quyết định số 35.docx"}

    target = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "fresh.sqlite3")}
    restore_backup(result.folder, database=target, media_root=tmp_path / "fresh-media")

    assert table_digests(target) == table_digests(sqlite_source) == manifest["tables"]
    assert same_tree(media, tmp_path / "fresh-media")


def test_it_refuses_a_target_with_tables_or_files_unless_forced(tmp_path, sqlite_source):
    media = tmp_path / "media"
    write_media(media)
    folder = create_backup(tmp_path / "b", 3, database=sqlite_source, media_root=media).folder

    with pytest.raises(BackupError, match="has tables"):
        restore_backup(folder, database=sqlite_source, media_root=tmp_path / "empty")
    target = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "fresh.sqlite3")}
    with pytest.raises(BackupError, match="not empty"):
        restore_backup(folder, database=target, media_root=media)
    assert not Path(target["NAME"]).exists()

    # Forced: the changed row and the stray file are gone, the backup's state is back.
    conn = sqlite3.connect(sqlite_source["NAME"])
    conn.execute("UPDATE locality SET name = 'changed'")
    conn.commit()
    conn.close()
    (media / "stray.txt").write_text("not in the backup")
    restore_backup(folder, database=sqlite_source, media_root=media, force=True)
    assert not (media / "stray.txt").exists()
    assert table_digests(sqlite_source) == backup.read_manifest(folder)["tables"]


def test_it_refuses_a_damaged_backup(tmp_path, sqlite_source):
    media = tmp_path / "media"
    write_media(media)
    folder = create_backup(tmp_path / "b", 3, database=sqlite_source, media_root=media).folder
    (folder / "media" / "documents" / "7" / "bien-ban.pdf").write_bytes(b"truncated")
    target = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "fresh.sqlite3")}
    with pytest.raises(BackupError, match="bien-ban.pdf differs"):
        restore_backup(folder, database=target, media_root=tmp_path / "fresh-media")
    assert not (tmp_path / "fresh-media").exists()


def test_it_refuses_backups_inside_the_media_folder(tmp_path, sqlite_source):
    media = tmp_path / "media"
    with pytest.raises(BackupError, match="inside MEDIA_ROOT"):
        create_backup(media / "backups", 3, database=sqlite_source, media_root=media)


def test_it_keeps_the_newest_backups_only(tmp_path, sqlite_source):
    root = tmp_path / "backups"
    media = tmp_path / "media"
    folders = [
        create_backup(root, 2, database=sqlite_source, media_root=media).folder for _ in range(4)
    ]
    assert backup.backups(root) == folders[-2:]
    assert not any(p.name.endswith(".partial") for p in root.iterdir())


@pytest.mark.django_db(transaction=True)
def test_the_commands_back_up_and_restore_the_portal_database(tmp_path, settings):
    if connection.vendor != "sqlite":
        pytest.skip("the PostgreSQL round trip is test_a_postgresql_backup_restores_…")
    settings.MEDIA_ROOT = tmp_path / "media"
    write_media(settings.MEDIA_ROOT)
    call_command("backup", dir=str(tmp_path / "backups"), keep=2)
    (folder,) = backup.backups(tmp_path / "backups")
    assert ServiceStamp.objects.filter(name="backup").exists()

    with pytest.raises(CommandError, match="has tables"):
        call_command("restore", str(folder))

    fresh = tmp_path / "fresh.sqlite3"
    settings.MEDIA_ROOT = tmp_path / "fresh-media"
    restore_backup(
        folder,
        database={**connection.settings_dict, "NAME": str(fresh)},
        media_root=settings.MEDIA_ROOT,
    )
    assert same_tree(tmp_path / "media", tmp_path / "fresh-media")


# --- PostgreSQL: demo data and uploaded documents into a fresh database ------------------------


@pytest.fixture
def scratch_database():
    """An empty database on the test server, dropped afterwards."""
    source = connection.settings_dict
    name = f"kc_restore_{uuid.uuid4().hex[:12]}"
    admin = backup._pg_params({**source, "NAME": "postgres"})
    with psycopg.connect(**admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield {**source, "NAME": name}
    finally:
        with psycopg.connect(**admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_postgresql_backup_restores_every_row_and_every_file(tmp_path, settings, request):
    require_postgres()
    from projects.models import DocumentKind, Project, ProjectDocument

    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("seed_demo", stdout=io.StringIO())
    for n, project in enumerate(Project.objects.order_by("pk")[:3]):
        ProjectDocument.objects.create(
            project=project,
            kind=DocumentKind.PROPOSAL,
            file=ContentFile(b"%PDF-1.4 " + bytes([n]) * 5000, name=f"thuyet-minh-{n}.pdf"),
            original_name=f"Thuyết minh {n}.pdf",
            size=5009,
        )
    write_media(settings.MEDIA_ROOT)

    call_command("backup", dir=str(tmp_path / "backups"), stdout=io.StringIO())
    (folder,) = backup.backups(tmp_path / "backups")
    manifest = backup.read_manifest(folder)
    assert manifest["vendor"] == "postgresql"
    assert manifest["tables"]["projects_projectdocument"]["rows"] == 3
    assert len(manifest["media"]) == 5

    target = request.getfixturevalue("scratch_database")  # only once PostgreSQL is known
    restore_backup(folder, database=target, media_root=tmp_path / "fresh-media")
    restored = table_digests(target)
    assert restored == manifest["tables"]
    # The source still holds the same rows, bar the stamp the command wrote after the backup.
    source_tables = table_digests(connection.settings_dict)
    stamps = "khuyencong_servicestamp"
    assert {**restored, stamps: None} == {**source_tables, stamps: None}
    assert source_tables["projects_project"]["rows"] > 0
    assert source_tables["projects_projectdocument"]["rows"] == 3
    assert same_tree(tmp_path / "media", tmp_path / "fresh-media")
