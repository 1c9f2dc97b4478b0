from collections import Counter

from django.core.management.base import BaseCommand

from khuyencong import notifications
from projects.reminders import rules


class Command(BaseCommand):
    help = (
        "Run the daily reminder scan once and deliver what is due (for hosts that prefer cron "
        "to Celery beat). Safe to run again: nothing is sent twice on the same day."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="List the reminders the scan would store and send; change nothing.",
        )
        parser.add_argument(
            "--digest",
            action="store_true",
            help="Also send the daily e-mail digests.",
        )

    def handle(self, *args, dry_run=False, digest=False, **options):
        result = rules.scan(dry_run=dry_run)
        if dry_run:
            for item in result.items:
                user = item.recipient
                self.stdout.write(
                    f"{item.day:%d/%m/%Y}  {item.kind:<32} → {user.username}"
                    f" <{user.email or '-'}>  {item.title}"
                )
            self.stdout.write(f"{len(result.items)} reminder(s) would be sent (dry run).")
            return
        self.stdout.write(f"Scan stored {len(result.items)} new reminder(s).")
        stats = notifications.send_pending()
        self.stdout.write(f"Delivered: {_summary(stats)}")
        if digest:
            self.stdout.write(f"Digests: {_summary(notifications.send_digests())}")
        if result.errors:
            self.stderr.write(f"{result.errors} scanner(s) failed; see the log.")


def _summary(stats: Counter) -> str:
    return ", ".join(f"{key} {value}" for key, value in sorted(stats.items())) or "nothing"
