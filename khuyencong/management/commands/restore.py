from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from khuyencong.ops.backup import BackupError, restore_backup


class Command(BaseCommand):
    help = (
        "Restore a folder written by `manage.py backup` into the configured database "
        "(DATABASE_URL) and MEDIA_ROOT, then verify every table and file against its manifest. "
        "Refuses a database with tables or a non-empty MEDIA_ROOT unless --force is given."
    )

    def add_arguments(self, parser):
        parser.add_argument("folder")
        parser.add_argument(
            "--force",
            action="store_true",
            help="drop every table of the target database and every file of MEDIA_ROOT first",
        )

    def handle(self, *args, folder, force=False, **options):
        database = dict(connections["default"].settings_dict)
        connections.close_all()  # nothing of ours holds the target open while it is replaced
        try:
            manifest = restore_backup(
                Path(folder), database=database, media_root=Path(settings.MEDIA_ROOT), force=force
            )
        except BackupError as error:
            raise CommandError(str(error)) from error
        tables = manifest["tables"]
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored and verified: {len(tables)} tables, "
                f"{sum(t['rows'] for t in tables.values())} rows, "
                f"{len(manifest['media'])} files (backup of {manifest['created']})."
            )
        )
