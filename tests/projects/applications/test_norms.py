import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from projects.applications import norms
from projects.models import SupportNorm

M = 1_000_000
pytestmark = pytest.mark.django_db


def check(activity, source, total, amount, on=datetime.date(2026, 1, 1)):
    return norms.check_amount(
        activity_type_id=activity.pk,
        funding_source_id=source.pk,
        total_cost=total,
        amount=amount,
        on=on,
    )


def test_the_limit_is_the_lower_of_rate_and_cap(machinery, national_source):
    assert check(machinery, national_source, 400 * M, 0).limit == 200 * M  # 50% of 400
    assert check(machinery, national_source, 1000 * M, 0).limit == 300 * M  # the cap


def test_within_the_norm_is_not_exceeded(machinery, national_source):
    result = check(machinery, national_source, 1000 * M, 300 * M)
    assert not result.exceeded
    assert result.message == ""


def test_the_message_names_limit_rate_and_legal_basis(machinery, national_source):
    message = check(machinery, national_source, 1000 * M, 300 * M + 1).message
    assert "300.000.001 ₫" in message
    assert "50% tổng kinh phí" in message
    assert "tối đa 300.000.000 ₫ mỗi cơ sở" in message
    assert "Thông tư 28/2018/TT-BTC" in message


def test_no_norm_means_no_limit(machinery, local_source):
    result = check(machinery, local_source, 1000 * M, 999 * M)
    assert result.norm is None
    assert not result.exceeded


def test_effective_dates_pick_the_rule_in_force(machinery, national_source):
    assert check(machinery, national_source, 1000 * M, 0, datetime.date(2016, 1, 1)).limit == (
        200 * M
    )
    assert check(machinery, national_source, 1000 * M, 0, datetime.date(2013, 1, 1)).norm is None


def test_overlapping_norms_are_refused(machinery, national_source):
    norm = SupportNorm(
        activity_type=machinery,
        funding_source=national_source,
        max_rate_percent=Decimal("40"),
        effective_from=datetime.date(2025, 1, 1),
        legal_basis="Nghị quyết HĐND",
    )
    with pytest.raises(ValidationError, match="Đã có định mức khác"):
        norm.full_clean()


class TestApplicationDate:
    def test_it_is_the_day_the_application_was_drawn_up(self):
        created = datetime.datetime(2017, 6, 1, 20, tzinfo=datetime.UTC)  # 03:00 on 2/6 in Hà Nội
        assert norms.application_date(year=2017, created=created) == datetime.date(2017, 6, 2)
        # Filed the year before its plan year (national registration by 20/05).
        created = datetime.datetime(2016, 5, 1, 9, tzinfo=datetime.UTC)
        assert norms.application_date(year=2017, created=created) == datetime.date(2016, 5, 1)

    def test_a_new_application_is_dated_today(self):
        today = datetime.date(2026, 3, 1)
        assert norms.application_date(year=2026, today=today) == today

    def test_one_entered_after_its_plan_year_takes_mid_plan_year(self):
        today = datetime.date(2018, 3, 1)
        assert norms.application_date(year=2017, today=today) == datetime.date(2017, 7, 1)


def test_a_changed_norm_re_stores_the_limit_of_undecided_requests(
    make_project, walk, officer, staff, manager, machinery, national_source
):
    # 250 of 600 million, within 300 million.
    draft = make_project(officer, funding_source=national_source)
    submitted = walk(
        make_project(officer, funding_source=national_source),
        "submitted",
        officer=officer,
        staff=staff,
        manager=manager,
    )
    norm = SupportNorm.objects.in_force(timezone.localdate()).get(
        activity_type=machinery, funding_source=national_source
    )
    norm.max_amount = 200 * M
    norm.save()
    for project in (draft, submitted):
        project.refresh_from_db()
        assert project.norm_limit == 200 * M
        assert project.over_norm


def test_a_norm_ended_and_a_new_one_are_read_afresh_each_day_they_apply(machinery, local_source):
    """The pair's norms are read on every call (their statement compiled once): a norm added or
    ended later applies from its own days, the last day of one and the first of the next."""
    assert check(machinery, local_source, 1000 * M, 0, datetime.date(2024, 6, 1)).norm is None
    old = SupportNorm.objects.create(
        activity_type=machinery,
        funding_source=local_source,
        max_rate_percent=Decimal("30"),
        effective_from=datetime.date(2020, 1, 1),
        legal_basis="Nghị quyết cũ",
    )
    assert check(machinery, local_source, 1000 * M, 0, datetime.date(2024, 6, 1)).norm == old
    old.effective_to = datetime.date(2024, 12, 31)
    old.save()
    new = SupportNorm.objects.create(
        activity_type=machinery,
        funding_source=local_source,
        max_rate_percent=Decimal("50"),
        effective_from=datetime.date(2025, 1, 1),
        legal_basis="Nghị quyết mới",
    )
    assert check(machinery, local_source, 1000 * M, 0, datetime.date(2024, 12, 31)).norm == old
    assert check(machinery, local_source, 1000 * M, 0, datetime.date(2025, 1, 1)).norm == new
    assert check(machinery, local_source, 1000 * M, 0, datetime.date(2019, 12, 31)).norm is None
    new.effective_to = datetime.date(2025, 6, 30)
    new.save()
    assert check(machinery, local_source, 1000 * M, 0, datetime.date(2025, 7, 1)).norm is None
