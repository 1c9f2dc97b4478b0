"""projects/reports/base.py: the building blocks' arithmetic."""

from decimal import Decimal

from projects.reports.base import Funds, Outcomes


def test_funds_add_every_field():
    f = Funds(1, 2, 3, 4, 5, 6, 7)
    f.add(Funds(10, 20, 30, 40, 50, 60, 70))
    assert f == Funds(11, 22, 33, 44, 55, 66, 77)


def test_funds_add_as_addable_does_when_a_field_is_not_an_int():
    # None stays None (on either side), a Decimal is added exactly: Addable's rules.
    f = Funds(1, None, 3, Decimal("0.5"), 5, 6, 7)
    f.add(Funds(10, 20, None, Decimal("0.25"), 50, 60, 70))
    assert f == Funds(11, None, 3, Decimal("0.75"), 55, 66, 77)


def test_sum_of_funds_and_outcomes():
    assert Funds.sum_of([Funds(projects=1, approved=5), Funds(projects=2)]) == Funds(3, 5)
    assert Outcomes.sum_of([Outcomes(jobs_created=2), Outcomes(jobs_created=3)]) == Outcomes(5)
