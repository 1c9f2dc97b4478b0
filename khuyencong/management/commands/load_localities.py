from pathlib import Path

from django.core.management.base import BaseCommand

from khuyencong.localities import DEFAULT_FILE, load_localities


class Command(BaseCommand):
    help = "Load or update the locality tree from a JSON file (default: the Cao Bằng file)."

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", default=str(DEFAULT_FILE))

    def handle(self, *args, file, **options):
        created, updated = load_localities(Path(file))
        self.stdout.write(f"Localities: {created} created, {updated} updated.")
