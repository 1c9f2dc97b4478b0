"""Who answers for a project: the people the portal tells when something waits for them (the
step notices of turns.py and the daily reminders of projects/reminders/rules.py alike).

Everyone returned is active and within their scope for the project.
"""

from collections.abc import Iterable

from khuyencong.access import locality_in_scope, prime_scopes
from khuyencong.models import Role, User
from projects.models import Project

CENTRE, DISTRICT, MANAGER = Role.CENTRE_STAFF, Role.DISTRICT_OFFICER, Role.MANAGER


class Directory:
    """Active users who receive reminders, loaded once per scan (one query)."""

    def __init__(self):
        users = list(
            User.objects.filter(is_active=True, role__in=[CENTRE, DISTRICT, MANAGER]).order_by("pk")
        )
        prime_scopes(users)
        self.centre_staff = [user for user in users if user.role == CENTRE]
        self.managers = [user for user in users if user.role == MANAGER]
        self.district_officers = [user for user in users if user.role == DISTRICT]

    def district_officers_for(self, locality) -> list[User]:
        return [user for user in self.district_officers if locality_in_scope(user, locality)]


def in_scope(users: Iterable[User | None], project: Project) -> list[User]:
    """Active users who may see `project`, each once, in a stable order."""
    seen: dict[int, User] = {}
    for user in users:
        if user is not None and user.is_active and locality_in_scope(user, project.locality):
            seen.setdefault(user.pk, user)
    return list(seen.values())


def centre_staff_responsible(project: Project, directory: Directory) -> list[User]:
    """The responsible officer when one is set and is centre staff, else all centre staff."""
    officer = project.responsible_officer
    if officer is not None and officer.is_active and officer.role == CENTRE:
        return [officer]
    return directory.centre_staff


def responsible_officer(project: Project, directory: Directory) -> list[User]:
    """The responsible officer; all centre staff while nobody is assigned."""
    officer = project.responsible_officer
    if officer is not None and officer.is_active and locality_in_scope(officer, project.locality):
        return [officer]
    return directory.centre_staff


def district_officers(project: Project, directory: Directory) -> list[User]:
    """The district officer who filed the project, else those whose scope covers it."""
    author = project.created_by
    if (
        author is not None
        and author.is_active
        and author.role == DISTRICT
        and locality_in_scope(author, project.locality)
    ):
        return [author]
    return directory.district_officers_for(project.locality)
