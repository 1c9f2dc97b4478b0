"""Loading the locality tree from a JSON file (see khuyencong/data/)."""

import json
from pathlib import Path

from django.db import transaction

from khuyencong.models import Locality, LocalityKind

DEFAULT_FILE = Path(__file__).resolve().parent / "data" / "localities_cao_bang.json"


@transaction.atomic
def load_localities(path: Path = DEFAULT_FILE) -> tuple[int, int]:
    """Create or update localities by code; parents must come before children. Idempotent."""
    rows = json.loads(Path(path).read_text(encoding="utf-8"))["localities"]
    valid_kinds = set(LocalityKind.values)
    by_code = {loc.code: loc for loc in Locality.objects.all()}
    created = updated = 0
    for row in rows:
        if row["kind"] not in valid_kinds:
            raise ValueError(f"Unknown locality kind {row['kind']!r} for {row['code']}")
        parent = by_code[row["parent"]] if row.get("parent") else None
        loc = by_code.get(row["code"])
        if loc is None:
            loc = Locality(code=row["code"])
            created += 1
        elif (loc.name, loc.kind, loc.parent_id) == (
            row["name"],
            row["kind"],
            parent.pk if parent else None,
        ):
            continue
        else:
            updated += 1
        loc.name, loc.kind, loc.parent = row["name"], row["kind"], parent
        loc.is_active = row.get("is_active", True)
        loc.save()
        by_code[loc.code] = loc
    return created, updated
