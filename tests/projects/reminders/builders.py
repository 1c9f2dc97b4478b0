"""Small builders for the reminder tests: projects in a given state and their records."""

import itertools
from datetime import date, timedelta

from django.utils import timezone

from projects.models import ActivityType, FundingSource, Project, Status

_numbers = itertools.count(1)


def make_project(locality, *, status=Status.SUBMITTED, changed_days_ago=0, **fields) -> Project:
    n = next(_numbers)
    today = timezone.localdate()
    defaults = {
        "code": f"DA-T-{n:04d}",
        "title": f"Đề án thử nghiệm {n}",
        "activity_type": ActivityType.objects.get(code="MHTD"),
        "funding_source": FundingSource.objects.get(code="KCĐP"),
        "year": today.year,
        "implementing_unit": "Trung tâm Khuyến công",
        "total_cost": 300_000_000,
        "requested_support": 200_000_000,
        "counterpart_funds": 100_000_000,
        "start_date": today - timedelta(days=60),
        "end_date": today + timedelta(days=300),
        "status": status,
        "status_changed_at": timezone.now() - timedelta(days=changed_days_ago),
    }
    defaults.update(fields)
    return Project.objects.create(locality=locality, **defaults)


def days(n: int) -> date:
    """Today plus n days (negative: in the past), in the portal's time zone."""
    return timezone.localdate() + timedelta(days=n)
