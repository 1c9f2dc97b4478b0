"""The one place that knows roles and locality scope.

Every view fetches what it shows through these helpers, so a district officer can never reach
another locality's records by URL (a 404, as if the record did not exist), and a viewer can
never change anything (a 403).
"""

from collections.abc import Callable, Iterable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404

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


def scope_by_locality(qs: QuerySet, user: User, field: str = "locality") -> QuerySet:
    """Narrow `qs` to what `user` may see; `field` is the path to a Locality foreign key."""
    if sees_whole_province(user):
        return qs
    if user.is_active and user.role == Role.DISTRICT_OFFICER and user.locality_id:
        return qs.filter(**{f"{field}__path__startswith": user.locality.path})
    return qs.none()


def localities_for(user: User) -> QuerySet:
    """Active localities the user may file records under."""
    qs = Locality.objects.filter(is_active=True)
    if sees_whole_province(user):
        return qs
    if user.role == Role.DISTRICT_OFFICER and user.locality_id:
        return qs.filter(path__startswith=user.locality.path)
    return qs.none()


def locality_in_scope(user: User, locality: Locality | None) -> bool:
    if locality is None:
        return False
    if sees_whole_province(user):
        return True
    return bool(
        user.role == Role.DISTRICT_OFFICER
        and user.locality_id
        and locality.path.startswith(user.locality.path)
    )


def get_scoped_or_404(qs: QuerySet, user: User, field: str = "locality", **lookup) -> Model:
    try:
        return scope_by_locality(qs, user, field).get(**lookup)
    except qs.model.DoesNotExist as exc:
        raise Http404 from exc


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
