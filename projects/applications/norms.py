"""Support norms: the most a project may ask for, by the rules in force on its date.

The date is the project's own, never the day someone happens to look: the norms page promises
that a request is measured against "định mức đang hiệu lực vào ngày lập" (the norm in force on
the day the application was drawn up), so a 2017 application submitted, appraised or shown in 2018
is still measured against 2017's norm. See `application_date`.
"""

import datetime
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from khuyencong import compiled
from khuyencong.money import format_vnd
from projects.models import NormStatus, Project, Status, SupportNorm


@dataclass
class NormCheck:
    norm: SupportNorm | None
    limit: int | None
    requested: int

    @property
    def exceeded(self) -> bool:
        return self.limit is not None and self.requested > self.limit

    def describe_norm(self) -> str:
        parts = []
        if self.norm.max_rate_percent is not None:
            rate = f"{self.norm.max_rate_percent.normalize():f}".replace(".", ",")
            parts.append(_("%(rate)s%% tổng kinh phí") % {"rate": rate})
        if self.norm.max_amount is not None:
            amount = format_vnd(self.norm.max_amount)
            unit = f" {self.norm.unit}" if self.norm.unit else ""
            parts.append(_("tối đa %(amount)s%(unit)s") % {"amount": amount, "unit": unit})
        return ", ".join(parts)

    @property
    def message(self) -> str:
        if not self.exceeded:
            return ""
        return _(
            "Kinh phí đề nghị hỗ trợ %(requested)s vượt định mức %(limit)s "
            "(%(norm)s) theo %(basis)s."
        ) % {
            "requested": format_vnd(self.requested),
            "limit": format_vnd(self.limit),
            "norm": self.describe_norm(),
            "basis": self.norm.legal_basis,
        }


def application_date(
    *, year: int, created: datetime.datetime | None = None, today: datetime.date | None = None
) -> datetime.date:
    """The day whose norms apply to an application of plan year `year`.

    The day it was drawn up (its creation in the portal; today for one being drawn up now).
    Applications are filed before or during their plan year; one entered after its plan year had
    ended is a late record of an old application, whose true filing day the portal does not
    know: then the norm in force on 1 July of the plan year applies rather than today's.
    """
    filed = timezone.localdate(created) if created else (today or timezone.localdate())
    if filed.year > year:
        return datetime.date(year, 7, 1)
    return filed


def project_date(project: Project) -> datetime.date:
    return application_date(year=project.year, created=project.created_at)


def norm_in_force(*, activity_type_id: int, funding_source_id: int, on: datetime.date):
    """The norm of the activity type and source in force on `on` (the latest to take effect).

    A pair has a handful of norms over the years: they are read on every call, by a statement
    compiled once per process and pair (khuyencong/compiled.py; the day is not in it), and the
    one in force is picked here, as SupportNorm.objects.in_force(on) would pick it. Building
    that query was a tenth of the project page's time."""
    if not all(type(i) is int and 0 < i < 2**63 for i in (activity_type_id, funding_source_id)):
        return None  # no norm has such an id (none chosen yet, or a stray one from a URL)
    norms = compiled.instances(
        ("support_norms", activity_type_id, funding_source_id),
        lambda: SupportNorm.objects.filter(
            activity_type_id=activity_type_id, funding_source_id=funding_source_id
        ).order_by("-effective_from", "pk"),
    )
    for norm in norms:
        if norm.effective_from <= on and (norm.effective_to is None or norm.effective_to >= on):
            return norm
    return None


def check_amount(
    *,
    activity_type_id: int,
    funding_source_id: int,
    total_cost: int,
    amount: int,
    on: datetime.date,
) -> NormCheck:
    norm = norm_in_force(
        activity_type_id=activity_type_id, funding_source_id=funding_source_id, on=on
    )
    limit = norm.limit_for(total_cost) if norm else None
    return NormCheck(norm=norm, limit=limit, requested=amount)


def check_project(
    project: Project, *, amount: int | None = None, on: datetime.date | None = None
) -> NormCheck:
    """`amount` (default: the request) against the norm at the project's date."""
    return check_amount(
        activity_type_id=project.activity_type_id,
        funding_source_id=project.funding_source_id,
        total_cost=project.total_cost,
        amount=project.requested_support if amount is None else amount,
        on=on or project_date(project),
    )


def refresh_limit(project: Project) -> NormCheck:
    """Store on `project` (unsaved) the limit at its date; the list filters on it."""
    check = check_project(project)
    project.norm_limit = check.limit
    return check


def status(project: Project, check: NormCheck) -> str:
    """NormStatus of `project`'s request by a fresh `check` (the list reads the stored one)."""
    if not check.exceeded:
        return NormStatus.WITHIN
    allowed = project.norm_override_amount
    if allowed is not None and check.requested <= allowed:
        return NormStatus.ALLOWED
    return NormStatus.AWAITING


# Requests still being decided; a decided project keeps the limit it was decided under.
UNDECIDED = (Status.DRAFT, Status.SUBMITTED, Status.RETURNED, Status.APPRAISED)


def refresh_undecided_limits(*, activity_type_id: int, funding_source_id: int) -> int:
    """Re-store the limit of undecided projects after a norm of theirs changed; how many.

    Connected to SupportNorm's saves and deletions (projects/apps.py): the norms pages live in
    planning, which may not import this package, and the list's filter reads the stored limit.
    """
    projects = Project.objects.filter(
        activity_type_id=activity_type_id,
        funding_source_id=funding_source_id,
        status__in=UNDECIDED,
    )
    changed = 0
    for project in projects:
        limit = check_project(project).limit
        if limit != project.norm_limit:
            # A derived figure, not an edit of the application: no history row.
            Project.objects.filter(pk=project.pk).update(norm_limit=limit)
            changed += 1
    return changed


def on_norm_changed(sender, instance, **kwargs):
    refresh_undecided_limits(
        activity_type_id=instance.activity_type_id, funding_source_id=instance.funding_source_id
    )
