from datetime import date

from django.core.management.base import BaseCommand, CommandError

from khuyencong import notifications
from khuyencong.models import Reminder, ReminderState


def _day(value: str) -> date:
    try:
        if "/" in value:
            day, month, year = (int(part) for part in value.split("/"))
            return date(year, month, day)
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"Not a date (YYYY-MM-DD or DD/MM/YYYY): {value}") from None


class Command(BaseCommand):
    help = (
        "Put finished reminders back in the outbox so the next sending pass delivers each once "
        "more (e.g. e-mails that failed during a long mail-server outage). Reminders still "
        "waiting to be sent are left alone."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--failed", action="store_true", help="Only reminders whose e-mail failed."
        )
        parser.add_argument(
            "--since", type=_day, help="Only reminders due on or after this day (YYYY-MM-DD)."
        )
        parser.add_argument("--kind", help="Only reminders of this kind (e.g. end_date_near).")
        parser.add_argument(
            "--dry-run", action="store_true", help="Count the reminders; change nothing."
        )

    def handle(self, *args, failed=False, since=None, kind=None, dry_run=False, **options):
        if not (failed or since or kind):
            # Resending every reminder ever sent is never what is meant.
            raise CommandError("Choose what to resend: --failed, --since DATE and/or --kind K.")
        if kind and kind not in {k.code for k in notifications.kinds()}:
            raise CommandError(f"Unknown kind: {kind}")
        reminders = Reminder.objects.filter(state__in=notifications.RESENDABLE)
        if failed:
            reminders = reminders.filter(state=ReminderState.FAILED)
        if since:
            reminders = reminders.filter(day__gte=since)
        if kind:
            reminders = reminders.filter(kind=kind)
        if dry_run:
            self.stdout.write(f"{reminders.count()} reminder(s) would be resent (dry run).")
            return
        count = notifications.resend(reminders)
        self.stdout.write(
            f"{count} reminder(s) put back in the outbox; the next sending pass delivers them."
        )
