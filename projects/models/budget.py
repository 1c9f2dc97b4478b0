from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class AllocationQuerySet(models.QuerySet):
    def for_list(self):
        return self.select_related("funding_source")


class Allocation(models.Model):
    """Kinh phí được giao: the ceiling approvals of one year and source draw on.

    What has been approved, disbursed and settled is computed from the projects
    (projects/planning/budget.py), never stored twice.
    """

    year = models.PositiveSmallIntegerField(_("năm"))
    funding_source = models.ForeignKey(
        "projects.FundingSource",
        verbose_name=_("nguồn kinh phí"),
        on_delete=models.PROTECT,
        related_name="allocations",
    )
    decision_number = models.CharField(_("số quyết định giao dự toán"), max_length=60)
    decision_date = models.DateField(_("ngày quyết định"))
    amount = models.PositiveBigIntegerField(_("kinh phí được giao (đồng)"))
    notes = models.CharField(_("ghi chú"), max_length=255, blank=True)

    objects = AllocationQuerySet.as_manager()

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("kinh phí được giao")
        verbose_name_plural = _("kinh phí được giao")
        ordering = ["-year", "funding_source__order"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="allocation_amount_positive"),
            models.UniqueConstraint(
                fields=["year", "funding_source", "decision_number"],
                name="unique_allocation_decision",
                violation_error_message=_("Quyết định giao kinh phí này đã được nhập."),
            ),
        ]

    def __str__(self):
        return f"{self.funding_source.code} {self.year} – {self.decision_number}"
