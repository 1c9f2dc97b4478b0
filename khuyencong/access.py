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
from django.core.exceptions import PermissionDenied
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


# --- one record by id, its statement compiled once --------------------------------------------

# Stand-ins for the id asked for and the localities in scope in a statement compiled once: no
# id is negative, so none can be mistaken for a constant of the query.
_STAND_IN_PK = -7_300_000
_STAND_IN_LOCALITY = -7_400_000
_STAND_IN_LIST_MAX = 100_000
# Keys are few (the pages × scope sizes); the cap only bounds a flood of them.
_COMPILED_MAX = 256
_compiled: dict[tuple, tuple] = {}


def get_compiled_or_404(
    key: Hashable, build: Callable[[], QuerySet], user: User, pk, field: str = "locality"
) -> Model:
    """`get_scoped_or_404(build(), user, field, pk=pk)`, with what `build()`'s queryset
    selects, relates and annotates; `key` names that queryset, which must be the same on every
    call.

    Building and compiling a record's statement for its page (a dozen joined tables and
    flags) cost Python several times what PostgreSQL takes to run it, though the SQL depends
    only on the queryset and on the size of the user's scope. So on PostgreSQL it is compiled
    once per process, key and scope size with stand-ins for the id and the localities, and
    each request runs it with its own; the rows become records as the ORM makes them. The SQL
    holds nothing read from the database, so no write makes it stale. Elsewhere, the ORM."""
    if connection.vendor != "postgresql" or type(pk) is not int or not 0 < pk < 2**31:
        # An id out of the column's range is the ORM's to refuse (a 404, no query).
        return get_scoped_or_404(build(), user, field, pk=pk)
    whole = sees_whole_province(user)
    localities = () if whole else tuple(covered_locality_ids(user))
    if not whole and not localities:
        raise Http404  # nothing in scope: no query, as the ORM's none()
    shape = (key, whole, len(localities))
    entry = _compiled.get(shape)
    if entry is None:
        entry = _compile_get(build(), field, whole, len(localities))
        if len(_compiled) >= _COMPILED_MAX:
            _compiled.clear()
        _compiled[shape] = entry
    (sql, slots), db, compiler, model, start, end, init_list, populators, annotations = entry
    values = {"pk": (pk,), "localities": localities}
    params = [values[source][at] if source else value for source, at, value in slots]
    with connections[db].cursor() as cursor:
        cursor.execute(sql, params)
        rows = list(compiler.results_iter([cursor.fetchall()]))
    if not rows:
        raise Http404
    if len(rows) > 1:
        raise model.MultipleObjectsReturned
    row = rows[0]
    record = model.from_db(db, init_list, row[start:end])
    for populator in populators:
        populator.populate(row, record)
    for name, position in annotations.items():
        setattr(record, name, row[position])
    return record


def _compile_get(queryset: QuerySet, field: str, whole: bool, localities: int) -> tuple:
    """The statement of `get` on `queryset` for a stand-in id in a scope of stand-ins, and what
    ModelIterable reads its row with."""
    if queryset._known_related_objects or queryset.query.combinator:
        raise ValueError("get_compiled_or_404 reads plain querysets")
    stand_ins = [_STAND_IN_LOCALITY - n for n in range(localities)]
    if not whole:
        queryset = queryset.filter(**{f"{field}__in": stand_ins})
    # As QuerySet.get() writes it.
    queryset = queryset.filter(pk=_STAND_IN_PK).order_by()[:MAX_GET_RESULTS]
    db = queryset.db
    compiler = queryset.query.get_compiler(db)
    sql, params = compiler.as_sql()
    slots = []
    for param in params:
        if type(param) is int and param == _STAND_IN_PK:
            slots.append(("pk", 0, None))
        elif type(param) is int and _STAND_IN_LOCALITY - _STAND_IN_LIST_MAX < param <= (
            _STAND_IN_LOCALITY
        ):
            slots.append(("localities", _STAND_IN_LOCALITY - param, None))
        else:
            slots.append((None, 0, param))
    info = compiler.klass_info
    start, end = info["select_fields"][0], info["select_fields"][-1] + 1
    init_list = [column[0].target.attname for column in compiler.select[start:end]]
    populators = get_related_populators(info, compiler.select, db)
    return (
        (sql, tuple(slots)),
        db,
        compiler,
        info["model"],
        start,
        end,
        init_list,
        populators,
        dict(compiler.annotation_col_map),
    )


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
