"""Settings of the real Celery worker the integration test starts (tests/projects/
test_tasks_worker.py): the portal's settings, with e-mails written to files the test reads."""

import os

from khuyencong.settings import *  # noqa: F403

EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = os.environ["KC_TEST_MAIL_DIR"]
# The test starts the worker on a database it fills afterwards: no scan of its own at start.
REMINDERS_CATCH_UP_ON_WORKER_START = False
