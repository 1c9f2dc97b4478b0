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
from django.db.models import Model, QuerySet
from django.db.models.query import MAX_GET_RESULTS
from django.http import Http404

from khuyencong import compiled
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


def get_compiled_or_404(
    key: Hashable, build: Callable[[], QuerySet], user: User, pk, field: str = "locality"
) -> Model:
    """`get_scoped_or_404(build(), user, field, pk=pk)` read by `compiled.instances`: compiled
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
    records = compiled.instances(key, scoped, **values)
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
