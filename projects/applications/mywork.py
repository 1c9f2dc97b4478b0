"""What waits for a user: the "Việc của tôi" page and the dashboard read this."""

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from khuyencong import access
from khuyencong.models import Role, User
from projects.models import Project, Status


@dataclass
class WorkGroup:
    key: str
    title: str
    projects: QuerySet


def waiting_for(user: User) -> list[WorkGroup]:
    """Groups of projects that wait for an action of `user`, scoped to what the user sees."""
    visible = access.scope_by_locality(Project.objects.for_list(), user)
    groups: list[WorkGroup] = []
    if access.has_role(user, Role.DISTRICT_OFFICER, Role.CENTRE_STAFF):
        mine = Q(created_by=user) | Q(responsible_officer=user)
        if user.role == Role.DISTRICT_OFFICER:
            mine = Q()  # an officer answers for every application of the locality
        groups.append(
            WorkGroup(
                "to_submit",
                _("Đề án cần hoàn thiện và nộp"),
                visible.filter(mine, status__in=[Status.DRAFT, Status.RETURNED]),
            )
        )
    if access.has_role(user, Role.CENTRE_STAFF):
        groups.append(
            WorkGroup(
                "to_appraise",
                _("Đề án chờ thẩm định"),
                visible.filter(status=Status.SUBMITTED).filter(
                    Q(responsible_officer=user) | Q(responsible_officer__isnull=True)
                ),
            )
        )
    if access.has_role(user, Role.MANAGER):
        groups.append(
            WorkGroup(
                "to_approve", _("Đề án chờ phê duyệt"), visible.filter(status=Status.APPRAISED)
            )
        )
    return groups
