"""`manage.py summaries`: the projects' running totals (projects/planning/summaries.py) and
the registry's (RegistryTotals, FigureTotals, RecognitionTotals: facilities/summaries.py)."""

from django.core.management.base import BaseCommand, CommandError

from facilities import summaries as registry_summaries
from projects.planning import summaries


class Command(BaseCommand):
    help = (
        "Check the reports' running totals (ProjectTotals, ProvinceTotals) against a full "
        "recomputation from the projects, disbursements and acceptance reviews, or rebuild "
        "them. --check exits with an error listing every difference."
    )

    def add_arguments(self, parser):
        action = parser.add_mutually_exclusive_group(required=True)
        action.add_argument(
            "--check", action="store_true", help="Compare; change nothing (exit 1 if they differ)."
        )
        action.add_argument(
            "--rebuild", action="store_true", help="Rewrite every row from the base tables."
        )

    def handle(self, *args, check=False, rebuild=False, **options):
        if rebuild:
            written = summaries.rebuild() + registry_summaries.rebuild()
            self.stdout.write(f"Rebuilt: {written} row(s) of totals.")
            return
        found = summaries.differences() + registry_summaries.differences()
        if found:
            for line in found:
                self.stderr.write(line)
            raise CommandError(
                f"Số liệu tổng hợp lệch {len(found)} dòng so với tính lại từ đầu; "
                "chạy `manage.py summaries --rebuild` để ghi lại."
            )
        self.stdout.write("The totals agree with a full recomputation.")
