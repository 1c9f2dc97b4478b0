from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from khuyencong.ops import stamps
from khuyencong.ops.backup import BackupError, create_backup


class Command(BaseCommand):
    help = (
        "Back up the database (pg_dump custom format, or SQLite's online backup) and the "
        "uploaded documents into a new dated folder with a manifest; keep the newest N."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dir", help="folder of the backups (default: BACKUP_DIR)")
        parser.add_argument("--keep", type=int, help="backups to keep (default: BACKUP_KEEP)")

    def handle(self, *args, dir=None, keep=None, **options):
        try:
            result = create_backup(Path(dir) if dir else None, keep)
        except BackupError as error:
            raise CommandError(str(error)) from error
        stamps.stamp(stamps.BACKUP)
        tables = result.manifest["tables"]
        self.stdout.write(
            f"{result.folder}: {len(tables)} tables, "
            f"{sum(t['rows'] for t in tables.values())} rows, "
            f"{len(result.manifest['media'])} files."
        )
        for path in result.removed:
            self.stdout.write(f"removed old backup {path.name}")
