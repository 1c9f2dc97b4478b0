"""Support norms: the most a project may ask for, by the rules in force on its date."""

import datetime
from dataclasses import dataclass

from django.utils.translation import gettext as _

from khuyencong.money import format_vnd
from projects.models import Project, SupportNorm


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


def norm_in_force(*, activity_type_id: int, funding_source_id: int, on: datetime.date):
    return (
        SupportNorm.objects.in_force(on)
        .filter(activity_type_id=activity_type_id, funding_source_id=funding_source_id)
        .select_related("funding_source")
        .order_by("-effective_from")
        .first()
    )


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


def check_project(project: Project, *, on: datetime.date, amount: int | None = None) -> NormCheck:
    return check_amount(
        activity_type_id=project.activity_type_id,
        funding_source_id=project.funding_source_id,
        total_cost=project.total_cost,
        amount=project.requested_support if amount is None else amount,
        on=on,
    )
