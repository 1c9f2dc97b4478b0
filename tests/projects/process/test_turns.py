"""Who is told (projects/process/turns.py), beyond the walk in test_mywork.py: a review that
changes or is called off tells its council, and nobody is told about their own step."""

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from khuyencong import notifications
from khuyencong.models import Notification, Reminder
from projects.closeout import steps
from tests.projects.closeout.test_corrections import in_progress  # noqa: F401  (fixtures)
from tests.projects.closeout.test_steps import REVIEW_DAY, approved, d  # noqa: F401
from tests.projects.closeout.test_steps import schedule as schedule_review

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _vietnamese_after():
    """A request in English leaves English active in this thread; later tests expect
    Vietnamese."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


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


def _notifications_page(client, language):
    client.post(reverse("set_language"), {"language": language, "next": "/"})
    return client.get(reverse("notifications:list")).content.decode()


def test_a_notice_is_read_in_the_readers_language(in_progress, staff, manager, login):  # noqa: F811
    members = [{"user": manager, "council_role": "Chủ tịch hội đồng"}]
    schedule_review(in_progress, staff, members=members)
    notifications.send_pending()
    client = login(manager)
    date = f"{REVIEW_DAY:%d/%m/%Y}"
    vietnamese = _notifications_page(client, "vi")
    assert f"Mời dự hội đồng nghiệm thu đề án {in_progress.code} ngày {date}" in vietnamese
    english = _notifications_page(client, "en")
    assert "Mời dự hội đồng" not in english
    assert f"invited to the acceptance council of project {in_progress.code} on {date}" in english
    # The stored text (e-mails, the admin) stays Vietnamese.
    stored = Notification.objects.get(recipient=manager, kind="step_review_scheduled")
    assert stored.title.startswith("Mời dự hội đồng")


def test_a_notice_stored_before_keeps_its_vietnamese_in_english(staff, login):
    Notification.objects.create(recipient=staff, kind="step_submitted", title="Đề án cũ đã nộp")
    assert "Đề án cũ đã nộp" in _notifications_page(login(staff), "en")
