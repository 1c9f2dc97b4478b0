import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from khuyencong.localities import ReorganisationError, apply_reorganisation


class Command(BaseCommand):
    help = (
        "Apply a reorganisation of administrative units (merge, split, rename, move, dissolve) "
        "from a JSON file, as one transaction. Applying the same file again does nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file, **options):
        try:
            plan = json.loads(Path(file).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CommandError(f"Không đọc được tệp {file}: {exc}") from exc
        try:
            reorganisation = apply_reorganisation(plan)
        except ReorganisationError as exc:
            raise CommandError(f"Không áp dụng (không thay đổi gì): {exc}") from exc
        if reorganisation is None:
            self.stdout.write(f"Đã áp dụng trước đây: {plan['reference']}. Không thay đổi gì.")
        else:
            self.stdout.write(
                f"Đã áp dụng {reorganisation.reference} "
                f"({reorganisation.changes.count()} liên kết đơn vị cũ → mới)."
            )
