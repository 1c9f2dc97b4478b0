"""Running totals of the projects, so that the dashboard and the reports do not rescan history.

`ProjectTotals` holds, per (year, funding source, activity type, locality as filed, allocation,
status, approved or not), the count of projects and the sums the reports read: money, expected
and achieved outcomes. It is never edited by hand: projects/planning/summaries.py rewrites the
rows of a `SummaryGroup` (year, source, activity type, locality) from the projects,
disbursements and acceptance reviews of that group, inside the transaction that changed them,
while holding the group's row lock. `ProvinceTotals` holds the same sums without the locality,
rewritten with them, under the lock of their `SummaryBucket` (year, source, activity type).
`manage.py summaries --check` compares every row of both with a full recomputation; `--rebuild`
rewrites them all.
"""

from django.db import models

from projects.models.project import OUTCOME_FIELDS, Status

OUTCOME_KEYS = [key for key, _label in OUTCOME_FIELDS]
# The money and project counts every group of totals adds up, in the order the running totals
# (planning/summaries.py) and the indexes read them.
FUND_SUMS = ("projects", "approved", "settled", "counterpart", "counterpart_counted", "disbursed")


class SummaryGroup(models.Model):
    """One (year, source, activity type, locality) that holds projects: the row locked while the
    totals of the group are rewritten, so two writers of the same group take turns."""

    year = models.PositiveSmallIntegerField()
    funding_source = models.ForeignKey(
        "projects.FundingSource", on_delete=models.CASCADE, related_name="+"
    )
    activity_type = models.ForeignKey(
        "projects.ActivityType", on_delete=models.CASCADE, related_name="+"
    )
    locality = models.ForeignKey("khuyencong.Locality", on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["year", "funding_source", "activity_type", "locality"],
                name="one_summary_group",
            )
        ]

    def __str__(self):
        return f"{self.year} {self.funding_source_id}/{self.activity_type_id}/{self.locality_id}"


def _sum():
    return models.BigIntegerField(default=0)


class Sums(models.Model):
    """The counts and sums both kinds of totals hold (see the module docstring)."""

    projects = _sum()
    approved = _sum()
    settled = _sum()
    counterpart = _sum()
    # Counterpart funds as reports count them: the amount the counted review recorded as
    # invested where it recorded one, else the planned amount (reports.base.counted_counterpart).
    counterpart_counted = _sum()
    # Disbursements count with their sign: a reversal takes its amount back.
    disbursed = _sum()
    expected_jobs_created = _sum()
    expected_people_trained = _sum()
    expected_employed_after_training = _sum()
    expected_managers_trained = _sum()
    expected_machines_installed = _sum()
    expected_fair_participations = _sum()
    # The counted review of each project (AcceptanceReview.objects.counted()).
    reviews = _sum()
    achieved_jobs_created = _sum()
    achieved_people_trained = _sum()
    achieved_employed_after_training = _sum()
    achieved_managers_trained = _sum()
    achieved_machines_installed = _sum()
    achieved_fair_participations = _sum()
    counterpart_invested = _sum()

    class Meta:
        abstract = True


class ProjectTotals(Sums):
    """Counts and sums of the projects that share every key field (see the module docstring)."""

    year = models.PositiveSmallIntegerField()
    funding_source = models.ForeignKey(
        "projects.FundingSource", on_delete=models.CASCADE, related_name="+"
    )
    activity_type = models.ForeignKey(
        "projects.ActivityType", on_delete=models.CASCADE, related_name="+"
    )
    # The locality the project was filed under, as it is on the project: reports regroup
    # localities (roll_up) in Python, so a merged or renamed locality needs no rewrite here.
    locality = models.ForeignKey("khuyencong.Locality", on_delete=models.CASCADE, related_name="+")
    allocation = models.ForeignKey(
        "projects.Allocation", null=True, on_delete=models.CASCADE, related_name="+"
    )
    status = models.CharField(max_length=24, choices=Status.choices)
    # approved_amount is set: with an allocation, the project draws on the budget.
    has_amount = models.BooleanField()

    class Meta:
        indexes = [
            models.Index(
                fields=["year", "funding_source", "activity_type", "locality"],
                name="totals_group",
            ),
            # The dashboard's reads of a year (by locality province-wide; budget, activity
            # types and localities of an officer's area) answered from the index alone
            # (PostgreSQL): the rows are wide and a year's rows lie on some thousand pages, so
            # reading them was most of those queries' time (4 ms → 1.4 ms at 50,000
            # projects). SQLite ignores `include`.
            models.Index(
                fields=["year", "locality"],
                include=[
                    "funding_source",
                    "activity_type",
                    "allocation",
                    "status",
                    "has_amount",
                    *FUND_SUMS,
                    *[f"achieved_{k}" for k in OUTCOME_KEYS],
                    "counterpart_invested",
                ],
                name="totals_year_locality",
            ),
            # The funds by locality of a year (base.funds_query: the dashboard's table by
            # locality, province-wide) read only the carried rows, half of a year's: from an
            # index of them alone, without reading the others to leave them out (2.9 ms →
            # 1.7 ms at 50,000 projects).
            models.Index(
                fields=["year", "locality"],
                include=[
                    "status",
                    *FUND_SUMS,
                ],
                condition=models.Q(has_amount=True, allocation__isnull=False),
                name="totals_year_locality_carried",
            ),
        ]

    def __str__(self):
        return f"{self.year} {self.status}: {self.projects}"


class SummaryBucket(models.Model):
    """One (year, source, activity type) that holds projects: the row locked while the
    province-wide totals of the bucket are rewritten. Taken before the groups' locks, so every
    writer of the bucket, whatever the locality, takes its turn."""

    year = models.PositiveSmallIntegerField()
    funding_source = models.ForeignKey(
        "projects.FundingSource", on_delete=models.CASCADE, related_name="+"
    )
    activity_type = models.ForeignKey(
        "projects.ActivityType", on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["year", "funding_source", "activity_type"], name="one_summary_bucket"
            )
        ]

    def __str__(self):
        return f"{self.year} {self.funding_source_id}/{self.activity_type_id}"


class ProvinceTotals(Sums):
    """ProjectTotals summed over the localities: one row per (year, source, activity type,
    allocation, status, approved or not). The province-wide dashboard reads these, a few hundred
    rows a year however many projects and localities there are; rewritten with ProjectTotals,
    in the same transaction, from the ProjectTotals rows of the bucket."""

    year = models.PositiveSmallIntegerField()
    funding_source = models.ForeignKey(
        "projects.FundingSource", on_delete=models.CASCADE, related_name="+"
    )
    activity_type = models.ForeignKey(
        "projects.ActivityType", on_delete=models.CASCADE, related_name="+"
    )
    allocation = models.ForeignKey(
        "projects.Allocation", null=True, on_delete=models.CASCADE, related_name="+"
    )
    status = models.CharField(max_length=24, choices=Status.choices)
    has_amount = models.BooleanField()

    class Meta:
        indexes = [
            models.Index(
                fields=["year", "funding_source", "activity_type"], name="province_totals_bucket"
            ),
        ]

    def __str__(self):
        return f"{self.year} {self.status}: {self.projects}"
