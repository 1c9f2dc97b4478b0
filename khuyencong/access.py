"""The one place that knows roles and locality scope.

Every view fetches what it shows through these helpers, so a district officer can never reach
another locality's records by URL (a 404, as if the record did not exist), and a viewer can
never change anything (a 403).
"""

from collections.abc import Callable, Hashable, Iterable
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import EmptyResultSet, PermissionDenied
from django.db import connection, connections
from django.db.models import Model, QuerySet
from django.db.models.query import MAX_GET_RESULTS, get_related_populators
from django.http import Http404

from khuyencong.localities import covered_ids, read_edges
from khuyencong.models import Locality, Role, User

# Roles that see the whole province.
PROVINCE_WIDE_ROLES = {Role.CENTRE_STAFF, Role.MANAGER, Role.VIEWER}
# Roles that may change registry and project records (each action narrows this further).
EDITOR_ROLES = {Role.CENTRE_STAFF, Role.DISTRICT_OFFICER, Role.MANAGER}


def sees_whole_province(user: User) -> bool:
    return user.is_active and (user.is_superuser or user.role in PROVINCE_WIDE_ROLES)


def can_edit(user: User) -> bool:
    return user.is_active and (user.is_superuser or user.role in EDITOR_ROLES)


def has_role(user: User, *roles: str) -> bool:
    return user.is_active and (user.is_superuser or user.role in roles)


def covered_locality_ids(user: User) -> frozenset[int]:
    """The units a locality officer sees: the subtrees of the localities they cover and every
    unit that went into those through a reorganisation (khuyencong/localities.py).

    Worked out once per request (the user object lives as long as the request).
    """
    cached = getattr(user, "_covered_locality_ids", None)
    if cached is not None:
        return cached
    shared = _shared_scopes.get()
    if shared is not None and user.pk in shared:
        user._covered_locality_ids = shared[user.pk]
        return shared[user.pk]
    ids: frozenset[int] = frozenset()
    if user.is_active and user.role == Role.DISTRICT_OFFICER and user.pk:
        roots = [loc.pk for loc in user.covered_localities]
        if roots:
            if shared is None:
                ids = covered_ids(roots)
            else:
                if "edges" not in shared:
                    shared["edges"] = read_edges()
                ids = covered_ids(roots, shared["edges"])
    user._covered_locality_ids = ids
    if shared is not None:
        shared[user.pk] = ids
    return ids


# Within `shared_scopes()`, every copy of the same user (one per row of a select_related) shares
# one scope, and all share one reading of the tree: a reminder scan's queries grow with the
# number of officers, not of records.
_shared_scopes: ContextVar[dict | None] = ContextVar("kc_shared_scopes", default=None)


@contextmanager
def shared_scopes():
    token = _shared_scopes.set({})
    try:
        yield
    finally:
        _shared_scopes.reset(token)


def prime_scopes(users: Iterable[User]) -> None:
    """Work out many officers' scopes at once (the tree and their localities: two queries)."""
    officers = [u for u in users if u.role == Role.DISTRICT_OFFICER and u.pk]
    if not officers:
        return
    roots: dict[int, list[int]] = {u.pk: [] for u in officers}
    through = User.localities.through.objects.filter(user_id__in=roots)
    for user_id, locality_id in through.values_list("user_id", "locality_id"):
        roots[user_id].append(locality_id)
    edges = read_edges()
    for user in officers:
        ids = covered_ids(roots[user.pk], edges) if user.is_active and roots[user.pk] else None
        user._covered_locality_ids = ids or frozenset()


def scope_by_locality(qs: QuerySet, user: User, field: str = "locality") -> QuerySet:
    """Narrow `qs` to what `user` may see; `field` is the path to a Locality foreign key."""
    if sees_whole_province(user):
        return qs
    ids = covered_locality_ids(user)
    if ids:
        return qs.filter(**{f"{field}__in": ids})
    return qs.none()


def localities_in_scope(user: User) -> QuerySet:
    """Every unit (also ended ones that still hold records) whose records the user sees."""
    qs = Locality.objects.all()
    if sees_whole_province(user):
        return qs
    return qs.filter(pk__in=covered_locality_ids(user))


def localities_for(user: User) -> QuerySet:
    """Units in force the user may file records under."""
    return localities_in_scope(user).filter(valid_to__isnull=True, is_active=True)


def locality_in_scope(user: User, locality: Locality | None) -> bool:
    if locality is None:
        return False
    if sees_whole_province(user):
        return True
    return locality.pk in covered_locality_ids(user)


def get_scoped_or_404(qs: QuerySet, user: User, field: str = "locality", **lookup) -> Model:
    try:
        return scope_by_locality(qs, user, field).get(**lookup)
    except qs.model.DoesNotExist as exc:
        raise Http404 from exc


# --- records by id, their statements compiled once ---------------------------------------------

# Stand-ins for ids in a statement compiled once, a base per kind of id, minus the id's position
# in its list: no id is negative, so none can be mistaken for a constant of the query.
_STAND_IN_BASES = {
    "pk": -7_300_000,
    "localities": -7_400_000,
    "project": -7_500_000,
    "reviews": -7_600_000,
    "users": -7_700_000,
}
_STAND_IN_LIST_MAX = 100_000
# Keys are few (the pages' reads × numbers of ids); the cap only bounds a flood of them.
_COMPILED_MAX = 512
_compiled: dict[tuple, tuple | None] = {}


def compiled_instances(key: Hashable, build: Callable[..., QuerySet], **ids: tuple) -> list:
    """The records of `build(**stand_ins)`, with what it selects, relates and annotates, for the
    ids `ids` (kind of id → a tuple of ids; kinds as in _STAND_IN_BASES); `key` names the
    queryset, which must be the same on every call, and `build` takes a list of stand-ins per
    kind.

    Building and compiling a statement of a record's page (joined tables, flags, lists of its
    rows) cost Python several times what PostgreSQL takes to run it, though the SQL depends
    only on the queryset and on how many ids are put in. So on PostgreSQL it is compiled once
    per process, key and those numbers, with stand-ins for the ids, and each call runs it with
    its own; the rows become records as the ORM makes them. The SQL holds nothing read from
    the database, so no write makes it stale. Elsewhere, the ORM."""
    if connection.vendor != "postgresql" or not all(
        type(i) is int and 0 < i < 2**31 for values in ids.values() for i in values
    ):
        # An id out of the column's range is the ORM's to refuse (no row, no query).
        return list(build(**{kind: list(values) for kind, values in ids.items()}))
    shape = (key, *((kind, len(values)) for kind, values in sorted(ids.items())))
    entry = _compiled.get(shape, _compiled)  # the dict itself: not compiled yet
    if entry is _compiled:
        stand_ins = {
            kind: [_STAND_IN_BASES[kind] - n for n in range(len(values))]
            for kind, values in ids.items()
        }
        try:
            entry = _compile_instances(build(**stand_ins))
        except EmptyResultSet:  # nothing can match: no statement, as the ORM does
            entry = None
        if len(_compiled) >= _COMPILED_MAX:
            _compiled.clear()
        _compiled[shape] = entry
    if entry is None:
        return []
    (sql, slots), db, converters, model, start, end, init_list, populators, annotations = entry
    params = [ids[kind][at] if kind else value for kind, at, value in slots]
    database = connections[db]
    with database.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if converters:  # as SQLCompiler.apply_converters, with the converters found once
        rows = [list(row) for row in rows]
        for row in rows:
            for position, (functions, expression) in converters:
                value = row[position]
                for function in functions:
                    value = function(value, expression, database)
                row[position] = value
    records = []
    for row in rows:
        record = model.from_db(db, init_list, row[start:end])
        for populator in populators:
            populator.populate(row, record)
        for name, position in annotations.items():
            setattr(record, name, row[position])
        records.append(record)
    return records


def _compile_instances(queryset: QuerySet) -> tuple:
    """The statement of `queryset` with the place of each stand-in among its parameters, and
    what ModelIterable reads its rows with."""
    if queryset._known_related_objects or queryset._prefetch_related_lookups:
        raise ValueError("compiled_instances reads plain querysets (no prefetch)")
    db = queryset.db
    compiler = queryset.query.get_compiler(db)
    sql, params = compiler.as_sql()
    slots = []
    for param in params:
        for kind, base in _STAND_IN_BASES.items():
            if type(param) is int and base - _STAND_IN_LIST_MAX < param <= base:
                slots.append((kind, base - param, None))
                break
        else:
            slots.append((None, 0, param))
    columns = [column[0] for column in compiler.select[: compiler.col_count]]
    if compiler.has_composite_fields(columns):
        raise ValueError("compiled_instances reads no composite fields")
    # The values Django converts after reading (SQLCompiler.results_iter finds them per read).
    converters = tuple(compiler.get_converters(columns).items())
    info = compiler.klass_info
    start, end = info["select_fields"][0], info["select_fields"][-1] + 1
    init_list = [column[0].target.attname for column in compiler.select[start:end]]
    populators = get_related_populators(info, compiler.select, db)
    return (
        (sql, tuple(slots)),
        db,
        converters,
        info["model"],
        start,
        end,
        init_list,
        populators,
        dict(compiler.annotation_col_map),
    )


def get_compiled_or_404(
    key: Hashable, build: Callable[[], QuerySet], user: User, pk, field: str = "locality"
) -> Model:
    """`get_scoped_or_404(build(), user, field, pk=pk)` read by `compiled_instances`: compiled
    once per process, key and number of localities in the user's scope. `key` names the
    queryset `build()`, which must be the same on every call."""
    whole = sees_whole_province(user)
    localities = () if whole else tuple(covered_locality_ids(user))
    if not whole and not localities or type(pk) is not int:
        # Nothing in scope (the ORM's none(): no query), or an id for the ORM to judge.
        return get_scoped_or_404(build(), user, field, pk=pk)

    def scoped(pk, localities=()):
        queryset = build() if whole else build().filter(**{f"{field}__in": localities})
        # As QuerySet.get() writes it.
        return queryset.filter(pk=pk[0]).order_by()[:MAX_GET_RESULTS]

    values = {"pk": (pk,)} | ({} if whole else {"localities": localities})
    records = compiled_instances(key, scoped, **values)
    if not records:
        raise Http404
    if len(records) > 1:
        raise records[0].MultipleObjectsReturned
    return records[0]


def require_edit(user: User) -> None:
    if not can_edit(user):
        raise PermissionDenied


def role_required(*roles: str) -> Callable:
    """Login plus one of `roles` (superusers pass); other users get 403."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(request, *args, **kwargs):
            if not has_role(request.user, *roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def editor_required(view):
    return role_required(*EDITOR_ROLES)(view)


def role_labels(roles: Iterable[str]) -> list[str]:
    return [str(Role(role).label) for role in roles]
