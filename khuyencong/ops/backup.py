"""Backups that restore: the database, the uploaded documents and a manifest that proves both.

`create_backup()` writes one dated folder under BACKUP_DIR:

    khuyencong-20261201-023000/
        database.dump      PostgreSQL: pg_dump custom format (restore with pg_restore)
        database.sqlite3   SQLite (the embedded default): a copy made with the online-backup API
        media/…            every file under MEDIA_ROOT
        manifest.json      row count and content digest of every table, size and SHA-256 of the
                           database file and of every document

The folder is written as `….partial` and renamed when complete, so a folder with the final name
is always whole. On PostgreSQL the dump and the row counts come from one exported snapshot
(`pg_dump --snapshot`), so the manifest describes exactly what the dump holds even while people
work.

`restore_backup()` checks every checksum of the folder first, refuses a database that has tables
or a media folder that has files unless `force` is given (then both are emptied), restores, and
compares the restored tables and files with the manifest.

A table's digest is the SHA-256 of the sorted per-row hashes, so it depends neither on row order
nor on the server's collation. Tables are read from the database catalogue, not from the
models, so the core needs to know no app and a table no model owns is still counted.
"""

import hashlib
import json
import logging
import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.utils import timezone

logger = logging.getLogger(__name__)

FORMAT = 1
MANIFEST = "manifest.json"
MEDIA = "media"
PG_FILE = "database.dump"
SQLITE_FILE = "database.sqlite3"
FOLDER = re.compile(r"^khuyencong-(\d{8}-\d{6})(?:-(\d+))?(?:\.partial)?$")
PARTIAL = ".partial"
# Keys of a Django PostgreSQL OPTIONS dict that are libpq connection parameters.
_LIBPQ_OPTIONS = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "options": "PGOPTIONS",
}


class BackupError(Exception):
    """A backup or restore that cannot be done or did not come out right."""


def vendor_of(database: dict) -> str:
    engine = database["ENGINE"]
    if "postgresql" in engine:
        return "postgresql"
    if "sqlite3" in engine:
        return "sqlite"
    raise BackupError(f"backups support PostgreSQL and SQLite, not {engine}")


# --- digests -------------------------------------------------------------------------------------


def _digest(row_hashes: list[str]) -> str:
    return hashlib.sha256("\n".join(sorted(row_hashes)).encode()).hexdigest()


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _pg_tables(conn) -> list[str]:
    rows = conn.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind IN ('r', 'p') AND n.nspname = current_schema() ORDER BY 1"
    ).fetchall()
    return [name for (name,) in rows]


def _pg_table_digests(conn) -> dict[str, dict]:
    # Fixed output formats, so a row reads the same on any server and in any session.
    for statement in (
        "SET LOCAL TIME ZONE 'UTC'",
        "SET LOCAL DateStyle = 'ISO, YMD'",
        "SET LOCAL IntervalStyle = 'iso_8601'",
        "SET LOCAL extra_float_digits = 3",
        "SET LOCAL bytea_output = 'hex'",
    ):
        conn.execute(statement)
    result = {}
    for table in _pg_tables(conn):
        hashes = [h for (h,) in conn.execute(f"SELECT md5(t::text) FROM {_quote(table)} AS t")]
        result[table] = {"rows": len(hashes), "digest": _digest(hashes)}
    return result


def _sqlite_tables(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY 1"
    ).fetchall()
    return [name for (name,) in rows]


def _sqlite_table_digests(conn: sqlite3.Connection) -> dict[str, dict]:
    result = {}
    for table in _sqlite_tables(conn):
        hashes = [
            hashlib.md5(repr(row).encode(), usedforsecurity=False).hexdigest()
            for row in conn.execute(f"SELECT * FROM {_quote(table)}")
        ]
        result[table] = {"rows": len(hashes), "digest": _digest(hashes)}
    return result


def _sha256(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            sha.update(chunk)
    return sha.hexdigest()


def _files(root: Path) -> dict[str, dict]:
    """Every regular file under `root` by POSIX relative path: size and SHA-256."""
    if not root.exists():
        return {}
    return {
        path.relative_to(root).as_posix(): {"size": path.stat().st_size, "sha256": _sha256(path)}
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


# --- PostgreSQL connections and tools -------------------------------------------------------------


def _pg_params(database: dict) -> dict:
    params = {
        "dbname": database["NAME"],
        "user": database.get("USER") or None,
        "password": database.get("PASSWORD") or None,
        "host": database.get("HOST") or None,
        "port": str(database["PORT"]) if database.get("PORT") else None,
    }
    params.update({k: v for k, v in (database.get("OPTIONS") or {}).items() if k in _LIBPQ_OPTIONS})
    return {k: v for k, v in params.items() if v is not None}


def _pg_env(database: dict) -> dict:
    """Connection settings for pg_dump/pg_restore as libpq variables (never on the command
    line, where `ps` would show the password)."""
    names = {
        "dbname": "PGDATABASE",
        "user": "PGUSER",
        "password": "PGPASSWORD",
        "host": "PGHOST",
        "port": "PGPORT",
        **_LIBPQ_OPTIONS,
    }
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update({names[k]: str(v) for k, v in _pg_params(database).items()})
    return env


def _pg_connect(database: dict):
    import psycopg

    return psycopg.connect(**_pg_params(database))


def pg_tool(name: str, server_major: int) -> str:
    """pg_dump/pg_restore of the server's major version: PG_BIN_DIR if set, else Debian's
    /usr/lib/postgresql/<major>/bin, else the one on PATH."""
    if settings.PG_BIN_DIR:
        return str(Path(settings.PG_BIN_DIR) / name)
    candidate = Path(f"/usr/lib/postgresql/{server_major}/bin/{name}")
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} not found: install the PostgreSQL client or set PG_BIN_DIR")
    return found


def _run(command: list[str], env: dict) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {done.stderr.strip()}")


# --- backup ---------------------------------------------------------------------------------------


@dataclass
class Result:
    folder: Path
    manifest: dict
    removed: list[Path] = field(default_factory=list)


def _order(path: Path) -> tuple[str, int]:
    """Backup folders in the order they were made: by time, then by the -2, -3 … suffix of
    several made within one second."""
    match = FOLDER.match(path.name)
    return match[1], int(match[2] or 1)


def _new_folder(root: Path) -> Path:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    taken = [_order(p)[1] for p in root.iterdir() if FOLDER.match(p.name) and stamp in p.name]
    n = max(taken, default=0) + 1
    return root / (f"khuyencong-{stamp}" if n == 1 else f"khuyencong-{stamp}-{n}")


def _backup_postgres(database: dict, target: Path) -> tuple[dict, dict]:
    import psycopg

    with _pg_connect(database) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        (snapshot,) = conn.execute("SELECT pg_export_snapshot()").fetchone()
        dump = target / PG_FILE
        command = [
            pg_tool("pg_dump", conn.info.server_version // 10000),
            "--format=custom",
            f"--snapshot={snapshot}",
            f"--file={dump}",
        ]
        _run(command, _pg_env(database))
        tables = _pg_table_digests(conn)
        conn.rollback()
    return {"file": PG_FILE, "size": dump.stat().st_size, "sha256": _sha256(dump)}, tables


def _backup_sqlite(database: dict, target: Path) -> tuple[dict, dict]:
    copy = target / SQLITE_FILE
    source, destination = _sqlite_connect(database), sqlite3.connect(copy)
    try:
        source.backup(destination)  # one consistent copy, while others read and write
        tables = _sqlite_table_digests(destination)
    finally:
        destination.close()
        source.close()
    return {"file": SQLITE_FILE, "size": copy.stat().st_size, "sha256": _sha256(copy)}, tables


def _copy_media(source: Path, target: Path) -> dict[str, dict]:
    if source.exists():
        shutil.copytree(source, target, symlinks=False, dirs_exist_ok=True)
    else:
        target.mkdir()
    return _files(target)


def create_backup(
    root: Path | None = None,
    keep: int | None = None,
    *,
    database: dict | None = None,
    media_root: Path | None = None,
) -> Result:
    """Back up `database` (a Django settings dict; default: the portal's) and `media_root`
    (MEDIA_ROOT) into a new folder under `root` (BACKUP_DIR), then keep only the newest `keep`
    (BACKUP_KEEP) backups."""
    from django.db import connection

    database = database or connection.settings_dict
    media_root = Path(media_root or settings.MEDIA_ROOT)
    root = Path(root or settings.BACKUP_DIR)
    keep = settings.BACKUP_KEEP if keep is None else keep
    if root.resolve().is_relative_to(media_root.resolve()):
        raise BackupError("BACKUP_DIR must not be inside MEDIA_ROOT")
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    final = _new_folder(root)
    partial = final.with_name(final.name + PARTIAL)
    partial.mkdir(mode=0o700)
    vendor = vendor_of(database)
    try:
        if vendor == "postgresql":
            db_file, tables = _backup_postgres(database, partial)
        else:
            db_file, tables = _backup_sqlite(database, partial)
        files = _copy_media(media_root, partial / MEDIA)
        manifest = {
            "format": FORMAT,
            "created": timezone.localtime().isoformat(timespec="seconds"),
            "vendor": vendor,
            "database": db_file,
            "tables": tables,
            "media": files,
        }
        (partial / MANIFEST).write_text(
            json.dumps(manifest, indent=1, ensure_ascii=False, sort_keys=True), encoding="utf-8"
        )
        partial.rename(final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    logger.info(
        "backup written to %s: %d tables, %d rows, %d files",
        final,
        len(tables),
        sum(t["rows"] for t in tables.values()),
        len(files),
        extra={"backup": final.name},
    )
    return Result(final, manifest, prune(root, keep))


def backups(root: Path) -> list[Path]:
    """Complete backup folders under `root`, oldest first."""
    if not root.exists():
        return []
    found = [
        p
        for p in root.iterdir()
        if p.is_dir() and FOLDER.match(p.name) and not p.name.endswith(PARTIAL)
        if (p / MANIFEST).exists()
    ]
    return sorted(found, key=_order)


def prune(root: Path, keep: int) -> list[Path]:
    """Remove all but the newest `keep` backups (never the newest one) and leftovers of
    interrupted runs older than a day."""
    keep = max(keep, 1)
    removed = backups(root)[:-keep]
    day_ago = timezone.now().timestamp() - 24 * 3600
    removed += [
        p
        for p in root.iterdir()
        if p.is_dir() and p.name.endswith(PARTIAL) and p.stat().st_mtime < day_ago
    ]
    for path in removed:
        shutil.rmtree(path)
    return removed


# --- restore --------------------------------------------------------------------------------------


def read_manifest(folder: Path) -> dict:
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise BackupError(f"{folder} has no readable {MANIFEST}: {error}") from error
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {manifest.get('format')!r}")
    return manifest


def verify_folder(folder: Path, manifest: dict) -> list[str]:
    """Differences between the files of a backup folder and its manifest."""
    problems = []
    db_file = folder / manifest["database"]["file"]
    if not db_file.exists():
        problems.append(f"{db_file.name} is missing")
    elif _sha256(db_file) != manifest["database"]["sha256"]:
        problems.append(f"{db_file.name} does not match its checksum")
    problems += _compare_files(manifest["media"], _files(folder / MEDIA), "backup")
    return problems


def _compare_files(expected: dict, found: dict, where: str) -> list[str]:
    problems = [f"{where}: file {name} is missing" for name in sorted(expected.keys() - found)]
    problems += [f"{where}: unexpected file {name}" for name in sorted(found.keys() - expected)]
    problems += [
        f"{where}: file {name} differs"
        for name in sorted(expected.keys() & found.keys())
        if expected[name]["sha256"] != found[name]["sha256"]
    ]
    return problems


def _compare_tables(expected: dict, found: dict) -> list[str]:
    problems = [f"table {name} is missing" for name in sorted(expected.keys() - found)]
    problems += [f"unexpected table {name}" for name in sorted(found.keys() - expected)]
    for name in sorted(expected.keys() & found.keys()):
        want, got = expected[name], found[name]
        if want["rows"] != got["rows"]:
            problems.append(f"table {name}: {got['rows']} rows, expected {want['rows']}")
        elif want["digest"] != got["digest"]:
            problems.append(f"table {name}: same row count, different content")
    return problems


def table_digests(database: dict) -> dict[str, dict]:
    """Row count and digest of every table of a database given as a Django settings dict."""
    if vendor_of(database) == "postgresql":
        with _pg_connect(database) as conn:
            return _pg_table_digests(conn)
    conn = _sqlite_connect(database)
    try:
        return _sqlite_table_digests(conn)
    finally:
        conn.close()


def _sqlite_connect(database: dict) -> sqlite3.Connection:
    name = str(database["NAME"])
    return sqlite3.connect(name, uri=name.startswith("file:"))


def _has_tables(database: dict) -> bool:
    if vendor_of(database) == "postgresql":
        with _pg_connect(database) as conn:
            return bool(_pg_tables(conn))
    name = str(database["NAME"])
    if not name.startswith("file:") and not Path(name).exists():
        return False
    conn = _sqlite_connect(database)
    try:
        return bool(_sqlite_tables(conn))
    finally:
        conn.close()


def _empty_postgres(database: dict) -> None:
    with _pg_connect(database) as conn:
        for table in _pg_tables(conn):
            conn.execute(f"DROP TABLE IF EXISTS {_quote(table)} CASCADE")


def _restore_postgres(folder: Path, manifest: dict, database: dict) -> None:
    with _pg_connect(database) as conn:
        major = conn.info.server_version // 10000
    command = [
        pg_tool("pg_restore", major),
        "--no-owner",
        "--no-privileges",
        "--exit-on-error",
        "--single-transaction",
        f"--dbname={database['NAME']}",
        str(folder / manifest["database"]["file"]),
    ]
    _run(command, _pg_env(database))


def _restore_sqlite(folder: Path, manifest: dict, database: dict) -> None:
    source = sqlite3.connect(folder / manifest["database"]["file"])
    target = _sqlite_connect(database)
    try:
        source.backup(target)  # replaces the whole target database, page by page
    finally:
        target.close()
        source.close()


def _empty_folder(folder: Path) -> None:
    for child in folder.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()


def restore_backup(folder: Path, *, database: dict, media_root: Path, force: bool = False) -> dict:
    """Restore `folder` into `database` (a Django settings dict) and `media_root`, then check
    the result against the manifest. Returns the manifest; raises BackupError on refusal or
    on any difference."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    problems = verify_folder(folder, manifest)
    if problems:
        raise BackupError("the backup is damaged: " + "; ".join(problems))
    vendor = vendor_of(database)
    if manifest["vendor"] != vendor:
        raise BackupError(f"a {manifest['vendor']} backup cannot be restored into {vendor}")
    media_root = Path(media_root)
    if folder.resolve().is_relative_to(media_root.resolve()):
        raise BackupError("the backup must not be inside MEDIA_ROOT")
    media_busy = media_root.exists() and any(media_root.iterdir())
    if not force:
        if _has_tables(database):
            raise BackupError("the target database has tables (give --force to replace them)")
        if media_busy:
            raise BackupError(f"{media_root} is not empty (give --force to replace its files)")
    if vendor == "postgresql":
        if force:
            _empty_postgres(database)
        _restore_postgres(folder, manifest, database)
    else:
        _restore_sqlite(folder, manifest, database)
    if force and media_busy:
        _empty_folder(media_root)
    media_root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(folder / MEDIA, media_root, dirs_exist_ok=True)

    problems = _compare_tables(manifest["tables"], table_digests(database))
    problems += _compare_files(manifest["media"], _files(media_root), "media")
    if problems:
        raise BackupError("the restored data differ from the manifest: " + "; ".join(problems))
    logger.info(
        "backup %s restored and verified: %d tables, %d files",
        folder.name,
        len(manifest["tables"]),
        len(manifest["media"]),
    )
    return manifest
