"""The locality tree over time: loading it, reorganising it, and reading scope through it.

Units are never turned into other units. A reorganisation (a resolution merging, splitting,
renaming, moving or dissolving units) ends the old units on the day before it takes effect,
creates the new ones and links each old unit to its successor(s) (`LocalityChange`). Records
keep the unit they were filed under, so history survives; what changes is how a unit is read
today:

- scope (`covered_ids`): an officer of a unit sees its subtree and, through the links, every
  unit that went into it, and their subtrees, back to the oldest;
- today's unit (`Locality.current`): where an ended unit's area is now, when that is one unit.

Reorganisation files are JSON (khuyencong/data/): see `apply_reorganisation` for the format.
"""

import json
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path

from django.db import transaction
from django.db.models import IntegerField, QuerySet, Value
from django.utils.translation import gettext as _

from khuyencong import compiled
from khuyencong.models import (
    ChangeKind,
    Locality,
    LocalityChange,
    LocalityKind,
    Reorganisation,
    User,
)

DATA = Path(__file__).resolve().parent / "data"
DEFAULT_FILE = DATA / "localities_cao_bang.json"
# The 1/7/2025 reform: districts abolished, 161 communes and wards become 56 (NQ 1657).
REFORM_2025_FILE = DATA / "reorganisation_cao_bang_2025.json"
# Demo records of this year on are filed under the units in force after the reform.
REFORM_YEAR = 2026


class ReorganisationError(ValueError):
    """A reorganisation file that cannot be applied; the message is for the user."""


@transaction.atomic
def load_localities(path: Path = DEFAULT_FILE) -> tuple[int, int]:
    """Create or update the units of a tree file by code; parents before children. Idempotent.

    A unit a reorganisation has already touched (ended, or created by one) is left as it is:
    the reorganisation is the later word.
    """
    rows = json.loads(Path(path).read_text(encoding="utf-8"))["localities"]
    valid_kinds = set(LocalityKind.values)
    by_code = {loc.code: loc for loc in Locality.objects.current()}
    reorganised = set(LocalityChange.objects.values_list("predecessor_id", flat=True))
    reorganised |= set(LocalityChange.objects.values_list("successor_id", flat=True))
    created = updated = 0
    for row in rows:
        if row["kind"] not in valid_kinds:
            raise ValueError(f"Unknown locality kind {row['kind']!r} for {row['code']}")
        if row["code"] not in by_code and Locality.objects.filter(code=row["code"]).exists():
            continue  # ended by a reorganisation already applied
        parent = by_code[row["parent"]] if row.get("parent") else None
        loc = by_code.get(row["code"])
        if loc is None:
            loc = Locality(code=row["code"])
            created += 1
        elif loc.pk in reorganised or (loc.name, loc.kind, loc.parent_id) == (
            row["name"],
            row["kind"],
            parent.pk if parent else None,
        ):
            continue
        else:
            updated += 1
        loc.name, loc.kind, loc.parent = row["name"], row["kind"], parent
        loc.is_active = row.get("is_active", True)
        if row.get("valid_from"):
            loc.valid_from = date.fromisoformat(row["valid_from"])
        loc.save()
        by_code[loc.code] = loc
    return created, updated


def load_default_tree() -> None:
    """The Cao Bằng tree as it was before 1/7/2025, then the 2025 reform applied to it."""
    load_localities(DEFAULT_FILE)
    apply_reorganisation(json.loads(REFORM_2025_FILE.read_text(encoding="utf-8")))


# -- Reorganisation -------------------------------------------------------------------------


def apply_reorganisation(plan: dict) -> Reorganisation | None:
    """Apply one reorganisation as a single transaction; None when it was applied before.

    ``{"reference": "NQ 1657/NQ-UBTVQH15", "effective": "2025-07-01", "source": "…",
    "changes": [...]}`` where each change is one of::

        {"op": "create", "unit": UNIT}
        {"op": "merge", "from": [CODE, ...], "into": CODE or UNIT}
        {"op": "split", "from": CODE, "into": [CODE or UNIT, ...]}
        {"op": "rename", "code": CODE, "name": "…", "new_code": "…" (optional), "kind": "…"}
        {"op": "move", "code": CODE, "parent": CODE}
        {"op": "dissolve", "code": CODE, "into": CODE}

    UNIT is ``{"code", "name", "kind", "parent"}``; CODE names a unit in force (or one created
    earlier in the same file). Units ended here get `valid_to` = the day before `effective`.
    Active children of a renamed or moved unit follow it to the new unit.
    """
    for key in ("reference", "effective", "changes"):
        if key not in plan:
            raise ReorganisationError(_("Tệp sắp xếp thiếu mục “%(key)s”.") % {"key": key})
    try:
        effective = date.fromisoformat(str(plan["effective"]))
    except ValueError as exc:
        raise ReorganisationError(
            _("Ngày hiệu lực “%(value)s” không hợp lệ (định dạng YYYY-MM-DD).")
            % {"value": plan["effective"]}
        ) from exc
    with transaction.atomic():
        reorganisation, created = Reorganisation.objects.select_for_update().get_or_create(
            reference=plan["reference"],
            defaults={"effective": effective, "source": plan.get("source", "")},
        )
        if not created:
            return None
        _Applier(reorganisation, effective).run(plan["changes"])
        refresh_current()
        reassign_officers()
    return reorganisation


class _Applier:
    def __init__(self, reorganisation: Reorganisation, effective: date):
        self.reorganisation = reorganisation
        self.effective = effective
        self.last_day = effective - timedelta(days=1)
        self.by_code = {loc.code: loc for loc in Locality.objects.current()}

    def run(self, changes: list[dict]) -> None:
        for number, change in enumerate(changes, start=1):
            op = change.get("op")
            handler = getattr(self, f"op_{op}", None) if isinstance(op, str) else None
            if handler is None:
                raise ReorganisationError(
                    _(
                        "Thay đổi số %(n)s: thao tác “%(op)s” không có (create, merge, split, "
                        "rename, move, dissolve)."
                    )
                    % {"n": number, "op": op}
                )
            try:
                handler(change)
            except KeyError as exc:
                raise ReorganisationError(
                    _("Thay đổi số %(n)s thiếu mục %(key)s.") % {"n": number, "key": exc}
                ) from exc
            except ReorganisationError as exc:
                raise ReorganisationError(
                    _("Thay đổi số %(n)s: %(error)s") % {"n": number, "error": exc}
                ) from exc

    # Units

    def unit(self, code: str) -> Locality:
        loc = self.by_code.get(code)
        if loc is None:
            raise ReorganisationError(
                _("không có đơn vị đang hoạt động mã “%(code)s”.") % {"code": code}
            )
        return loc

    def target(self, spec) -> Locality:
        return self.unit(spec) if isinstance(spec, str) else self.create(spec)

    def create(self, spec: dict) -> Locality:
        kind = spec.get("kind")
        if kind not in LocalityKind.values:
            raise ReorganisationError(_("cấp “%(kind)s” không có.") % {"kind": kind})
        code = spec["code"]
        if code in self.by_code:
            raise ReorganisationError(
                _("mã “%(code)s” đã thuộc một đơn vị đang hoạt động.") % {"code": code}
            )
        parent_code = spec.get("parent")
        parent = self.unit(parent_code) if parent_code else None
        loc = Locality.objects.create(
            code=code, name=spec["name"], kind=kind, parent=parent, valid_from=self.effective
        )
        self.by_code[code] = loc
        return loc

    def end(self, loc: Locality, successors: Iterable[Locality], kind: str) -> None:
        successors = list(successors)
        if any(s.pk == loc.pk for s in successors):
            raise ReorganisationError(
                _("đơn vị “%(name)s” không thể kế thừa chính nó.") % {"name": loc.full_name}
            )
        if Locality.objects.current().filter(parent=loc).exists():
            raise ReorganisationError(
                _("đơn vị “%(name)s” còn đơn vị trực thuộc đang hoạt động: sắp xếp chúng trước.")
                % {"name": loc.full_name}
            )
        self.close(loc)
        self.link(loc, successors, kind)

    def close(self, loc: Locality) -> None:
        loc.former_name = (
            f"{loc.full_name}, {loc.parent.full_name}"
            if loc.parent_id and loc.parent.parent_id
            else loc.full_name
        )
        loc.valid_to = self.last_day
        loc.save()
        del self.by_code[loc.code]

    def link(self, loc: Locality, successors: Iterable[Locality], kind: str) -> None:
        for successor in successors:
            LocalityChange.objects.create(
                reorganisation=self.reorganisation,
                predecessor=loc,
                successor=successor,
                kind=kind,
            )

    def replace(self, old: Locality, spec: dict, kind: str) -> None:
        """End `old` and put a new unit in its place; its units in force follow."""
        children = list(Locality.objects.current().filter(parent=old))
        self.close(old)  # first, so the new unit may take the same code
        new = self.create(spec)
        for child in children:
            child.parent = new
            child.save()
        self.link(old, [new], kind)

    # Operations

    def op_create(self, change: dict) -> None:
        self.create(change["unit"])

    def op_merge(self, change: dict) -> None:
        sources = [self.unit(code) for code in change["from"]]
        if not sources:
            raise ReorganisationError(_("“from” phải có ít nhất một đơn vị."))
        into = self.target(change["into"])
        for source in sources:
            self.end(source, [into], ChangeKind.MERGED)

    def op_split(self, change: dict) -> None:
        source = self.unit(change["from"])
        parts = [self.target(spec) for spec in change["into"]]
        if len(parts) < 2:
            raise ReorganisationError(_("chia tách phải thành ít nhất hai đơn vị."))
        self.end(source, parts, ChangeKind.SPLIT)

    def op_rename(self, change: dict) -> None:
        old = self.unit(change["code"])
        spec = {
            "code": change.get("new_code") or old.code,
            "name": change["name"],
            "kind": change.get("kind") or old.kind,
            "parent": old.parent.code if old.parent_id else None,
        }
        self.replace(old, spec, ChangeKind.RENAMED)

    def op_move(self, change: dict) -> None:
        old = self.unit(change["code"])
        parent = self.unit(change["parent"])
        if parent.path.startswith(old.path):
            raise ReorganisationError(
                _("không thể chuyển “%(name)s” vào đơn vị cấp dưới của chính nó.")
                % {"name": old.full_name}
            )
        spec = {"code": old.code, "name": old.name, "kind": old.kind, "parent": parent.code}
        self.replace(old, spec, ChangeKind.MOVED)

    def op_dissolve(self, change: dict) -> None:
        old = self.unit(change["code"])
        into = self.unit(change["into"])
        self.end(old, [into], ChangeKind.DISSOLVED)


# -- Reading the tree -----------------------------------------------------------------------


def read_edges() -> tuple[dict[int, list[int]], dict[int, list[int]], dict[int, list[int]]]:
    """children, predecessors, successors: three adjacency maps read in one query, whose
    statement is compiled once per process (khuyencong.compiled): an officer's scope is
    worked out from them on every request."""
    children: dict[int, list[int]] = defaultdict(list)
    predecessors: dict[int, list[int]] = defaultdict(list)
    successors: dict[int, list[int]] = defaultdict(list)
    for row in compiled.values_rows(("localities.edges",), _edges):
        link, a, b = row["link"], row["pk"], row["parent_id"]
        if link == 0:
            children[b].append(a)
        else:
            predecessors[b].append(a)
            successors[a].append(b)
    return children, predecessors, successors


def _edges() -> QuerySet:
    parent_links = (
        Locality.objects.filter(parent__isnull=False)
        .order_by()
        .annotate(link=Value(0, output_field=IntegerField()))
    )
    change_links = LocalityChange.objects.order_by().annotate(
        link=Value(1, output_field=IntegerField())
    )
    # The columns are named after the first part's: link, pk, parent_id.
    return parent_links.values("link", "pk", "parent_id").union(
        change_links.values("link", "predecessor_id", "successor_id"), all=True
    )


def covered_ids(roots: Iterable[int], edges=None) -> frozenset[int]:
    """Every unit whose records the holder of `roots` sees: subtrees, through predecessors.

    `edges` (from `read_edges()`) lets a caller working out many users' scopes read the tree once.
    """
    children, predecessors, _successors = edges or read_edges()
    seen: set[int] = set()
    todo = list(roots)
    while todo:
        pk = todo.pop()
        if pk in seen:
            continue
        seen.add(pk)
        todo.extend(children.get(pk, ()))
        todo.extend(predecessors.get(pk, ()))
    return frozenset(seen)


def covering_ids(locality_id: int) -> frozenset[int]:
    """Every unit whose holder sees records of `locality_id`: the reverse of `covered_ids`."""
    parents = dict(Locality.objects.values_list("pk", "parent_id"))
    successors: dict[int, list[int]] = defaultdict(list)
    for old, new in LocalityChange.objects.values_list("predecessor_id", "successor_id"):
        successors[old].append(new)
    seen: set[int] = set()
    todo = [locality_id]
    while todo:
        pk = todo.pop()
        if pk is None or pk in seen:
            continue
        seen.add(pk)
        todo.append(parents.get(pk))
        todo.extend(successors.get(pk, ()))
    return frozenset(seen)


def refresh_current() -> None:
    """Point every ended unit at the one unit in force that carries it today (or None)."""
    _children, _predecessors, successors = read_edges()
    in_force = set(Locality.objects.current().values_list("pk", flat=True))

    def ends(pk: int, trail: frozenset = frozenset()) -> set[int]:
        if pk in in_force:
            return {pk}
        found: set[int] = set()
        for nxt in successors.get(pk, ()):
            if nxt not in trail:
                found |= ends(nxt, trail | {pk})
        return found

    for loc in Locality.objects.filter(valid_to__isnull=False):
        reached = ends(loc.pk)
        current = next(iter(reached)) if len(reached) == 1 else None
        if loc.current_id != current:
            Locality.objects.filter(pk=loc.pk).update(current=current)
    Locality.objects.filter(valid_to__isnull=True, current__isnull=False).update(current=None)


def reassign_officers() -> int:
    """Officers assigned an ended unit get the units in force its area went to.

    Nobody loses access: an officer of a commune merged into a new one now covers the new one
    (and, through it, the old records); one of a district covers the communes its communes
    became. A unit dissolved upwards (a district into the province) passes nothing on by that
    link, or its officer would suddenly see the whole province; an officer left with nothing
    in force keeps the ended unit, and with it the old records. Returns the officers changed.
    """
    children, _predecessors, _successors = read_edges()
    onward: dict[int, list[int]] = defaultdict(list)
    for change in LocalityChange.objects.exclude(kind=ChangeKind.DISSOLVED):
        onward[change.predecessor_id].append(change.successor_id)
    in_force = set(Locality.objects.current().values_list("pk", flat=True))

    def went_to(pk: int) -> set[int]:
        found: set[int] = set()
        seen: set[int] = set()
        todo = [pk]
        while todo:
            node = todo.pop()
            if node in seen:
                continue
            seen.add(node)
            if node in in_force and node != pk:
                found.add(node)
                continue
            todo.extend(children.get(node, ()))
            todo.extend(onward.get(node, ()))
        return found

    changed = 0
    through = User.localities.through
    for user in User.objects.filter(localities__valid_to__isnull=False).distinct():
        assigned = set(user.localities.values_list("pk", flat=True))
        new = set()
        for pk in assigned:
            if pk in in_force:
                new.add(pk)
            else:
                new |= went_to(pk) or {pk}
        if new != assigned:
            through.objects.filter(user_id=user.pk).delete()
            through.objects.bulk_create([through(user_id=user.pk, locality_id=pk) for pk in new])
            changed += 1
    return changed


def labels_today() -> dict[int, tuple[str, str]]:
    """{unit: (today's code, today's label)} for every unit, in one query: what exports write
    ("Xã Ca Thành (trước 01/07/2025: Xã Ca Thành, Huyện Nguyên Bình)")."""
    units = Locality.objects.select_related("current").only(
        "code",
        "name",
        "kind",
        "valid_to",
        "former_name",
        "current__code",
        "current__name",
        "current__kind",
        "current__valid_to",
    )
    return {
        loc.pk: ((loc.current.code if loc.current_id else loc.code), loc.display_name)
        for loc in units
    }
