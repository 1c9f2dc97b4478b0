import os

from celery import Celery
from celery.signals import setup_logging, worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "khuyencong.settings")

app = Celery("khuyencong")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@setup_logging.connect
def use_the_portal_logging(loglevel=None, **kwargs):
    """Workers and beat log through settings.LOGGING (LOG_FORMAT, task ids, e-mail to ADMINS)
    instead of Celery's own handlers, at the level given with `--loglevel`."""
    import logging
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)
    if loglevel:
        logging.getLogger().setLevel(loglevel)


@worker_ready.connect
def catch_up_a_missed_scan(**kwargs):
    """A worker coming back after an outage asks for the daily scan; the task runs it only when
    today's (or yesterday's) scan was missed (projects/reminders/rules.py, scan_missed)."""
    from django.conf import settings

    if settings.REMINDERS_CATCH_UP_ON_WORKER_START:
        app.send_task("projects.reminders.tasks.catch_up_scan")
