import json

from django.core.management.base import BaseCommand

from khuyencong.ops import health


class Command(BaseCommand):
    help = (
        "The checks of /healthz for cron-based monitors: prints the JSON and exits 0 when "
        "healthy, 1 when not (e.g. `check_health --quiet || mail -s …`)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--quiet", action="store_true", help="print only when unhealthy")

    def handle(self, *args, quiet=False, **options):
        result = health.check()
        if not (quiet and result["healthy"]):
            self.stdout.write(json.dumps(result, indent=1))
        if not result["healthy"]:
            raise SystemExit(1)
