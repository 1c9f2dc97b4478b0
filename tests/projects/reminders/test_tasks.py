"""The Celery tasks are thin: they call the tested plain functions. Here run eagerly."""

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import ImproperlyConfigured

from khuyencong import tasks as core_tasks
from khuyencong.celery import app
from khuyencong.env import env_day_month, env_time
from khuyencong.models import Notification, Reminder
from projects.reminders import tasks
from tests.projects.reminders.builders import make_project


@pytest.fixture
def eager():
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


@pytest.mark.django_db
def test_the_scan_task_stores_and_delivers(eager, commune_a1, staff):
    make_project(commune_a1, changed_days_ago=10, responsible_officer=staff)
    assert tasks.scan_reminders.apply().get() == 1
    assert tasks.scan_reminders.apply().get() == 0
    assert Reminder.objects.get().state == "sent"
    assert len(mail.outbox) == 1 and Notification.objects.count() == 1


@pytest.mark.django_db
def test_the_scan_task_takes_a_day(eager, commune_a1, staff):
    make_project(commune_a1, changed_days_ago=10, responsible_officer=staff)
    assert tasks.scan_reminders.apply(kwargs={"day": "2000-01-01"}).get() == 0


@pytest.mark.django_db
def test_the_digest_task_sends_digests(eager, staff):
    assert core_tasks.send_digests.apply().get() == {}
    assert core_tasks.send_pending_reminders.apply().get() == {}


def test_the_tasks_acknowledge_late_and_have_time_limits():
    for task in (tasks.scan_reminders, core_tasks.send_pending_reminders, core_tasks.send_digests):
        assert task.acks_late and task.time_limit and task.soft_time_limit
        assert task.max_retries and task.autoretry_for


def test_the_beat_schedule_runs_registered_tasks_at_the_configured_time():
    app.loader.import_default_modules()
    schedule = settings.CELERY_BEAT_SCHEDULE
    for entry in schedule.values():
        assert entry["task"] in app.tasks
    daily = schedule["reminders-daily-scan"]["schedule"]
    assert daily.hour == {settings.REMINDERS_SCAN_TIME[0]}
    assert daily.minute == {settings.REMINDERS_SCAN_TIME[1]}
    assert app.conf.timezone == "Asia/Ho_Chi_Minh"


def test_the_time_settings_are_parsed_strictly(monkeypatch):
    monkeypatch.setenv("KC_T", "06:45")
    assert env_time("KC_T", "07:00") == (6, 45)
    monkeypatch.setenv("KC_T", "7h")
    with pytest.raises(ImproperlyConfigured):
        env_time("KC_T", "07:00")
    monkeypatch.setenv("KC_D", "31/02")
    with pytest.raises(ImproperlyConfigured):
        env_day_month("KC_D", "20/05")
    monkeypatch.setenv("KC_D", "15/06")
    assert env_day_month("KC_D", "20/05") == (15, 6)
