"""Who is told (projects/process/turns.py), beyond the walk in test_mywork.py: a review that
changes or is called off tells its council, and nobody is told about their own step."""

import pytest

from khuyencong.models import Reminder
from projects.closeout import steps
from tests.projects.closeout.test_corrections import in_progress  # noqa: F401  (fixtures)
from tests.projects.closeout.test_steps import approved, d  # noqa: F401
from tests.projects.closeout.test_steps import schedule as schedule_review

pytestmark = pytest.mark.django_db


def told(kind):
    rows = Reminder.objects.filter(kind=kind).order_by("pk")
    return list(rows.values_list("recipient__username", "title"))


def test_a_review_changed_or_called_off_tells_its_council(in_progress, staff, manager):  # noqa: F811
    members = [{"user": manager, "council_role": "Chủ tịch hội đồng"}]
    review = schedule_review(in_progress, staff, members=members)
    assert [who for who, _title in told("step_review_scheduled")] == [manager.username]

    steps.edit_review(
        review=review,
        by=staff,
        reason="Hội đồng bận",
        scheduled_date=d(11, 25),
        place="Xưởng dệt",
        members=members,
    )
    steps.cancel_review(review=review, by=staff, reason="Đổi hội đồng")
    titles = [title for who, title in told("step_review_scheduled") if who == manager.username]
    assert len(titles) == 3
    assert "25/11" in titles[1] and "thay đổi" in titles[1]
    assert "hủy" in titles[2]


def test_nobody_is_told_about_their_own_step(in_progress, staff):  # noqa: F811
    schedule_review(in_progress, staff, members=[{"user": staff, "council_role": "Chủ tịch"}])
    assert told("step_review_scheduled") == []
