"""Settings for the Khuyến công portal, all read from the environment.

Nothing set: a development portal on a SQLite file (the embedded default). Production sets
DEBUG=0, SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL, CELERY_BROKER_URL and the e-mail variables;
`manage.py check --deploy` is then clean.
"""

import datetime
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from khuyencong.env import (
    env_addresses,
    env_bool,
    env_choice,
    env_int,
    env_int_list,
    env_list,
    env_str,
    env_time,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("KC_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", default=False)

SECRET_KEY = env_str("SECRET_KEY", "")
if not SECRET_KEY and DEBUG:
    # Development only: a fixed key is harmless on a portal that never leaves 127.0.0.1.
    SECRET_KEY = "dev-only-key-khuyencong-portal-not-for-production-use-0123456789"
# Without DEBUG and without SECRET_KEY the key stays empty: Django refuses to use it ("The
# SECRET_KEY setting must not be empty") the moment anything signs or serves a request, so the
# portal cannot run, while commands that need no key (makemigrations, check) still work.

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "khuyencong",
    "facilities",
    "projects",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.humanize",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django_filters",
    "django_htmx",
    "crispy_forms",
    "crispy_bootstrap5",
    "simple_history",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
]

MIDDLEWARE = [
    "khuyencong.ops.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "khuyencong.middleware.PortalLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Sign-in rules, in this order: idle sessions end, then the second factor, then a forced
    # password change; `no-store` on every response to a signed-in user.
    "khuyencong.middleware.IdleTimeoutMiddleware",
    "khuyencong.middleware.TwoFactorMiddleware",
    "khuyencong.middleware.PasswordChangeRequiredMiddleware",
    "khuyencong.middleware.NoStoreMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # The snapshot that results kept while nothing is committed are read under, asked once per
    # request (khuyencong/unchanged.py): around the view only.
    "khuyencong.unchanged.RequestSnapshotMiddleware",
    # Last: turns a lockout noticed by the authentication backend into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "khuyencong.urls"
WSGI_APPLICATION = "khuyencong.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "khuyencong.context_processors.portal",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'khuyencong.sqlite3'}"),
        # A connection kept between requests saves its opening (a TCP and authentication round
        # trip on PostgreSQL) on every request; the health check replaces one the server closed.
        # Development and the tests keep the simpler one-connection-per-request.
        conn_max_age=env_int("DB_CONN_MAX_AGE", 0 if DEBUG else 60),
        conn_health_checks=env_bool("DB_CONN_HEALTH_CHECKS", default=True),
    )
}
# Results that cost the database milliseconds (a searched list's count) are given again while
# no transaction has committed since they were read (khuyencong/unchanged.py). Off: read every
# time, e.g. to measure what a first reading costs.
KEEP_UNCHANGED_RESULTS = env_bool("DB_KEEP_UNCHANGED_RESULTS", default=True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # WAL and a busy timeout let the web process and the Celery worker share the file.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "khuyencong.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# django-axes first: it refuses a locked-out user or address before the password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Internationalisation: Vietnamese first, English second; formats in khuyencong/formats.
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", "Tiếng Việt"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["khuyencong.formats"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "Asia/Ho_Chi_Minh"

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/bootstrap", NODE_MODULES / "bootstrap" / "dist"),
    ("vendor/bootstrap-icons", NODE_MODULES / "bootstrap-icons" / "font"),
    ("vendor/chart.js", NODE_MODULES / "chart.js" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or env_bool("KC_PLAIN_STATIC", default=False)
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Uploaded documents are private: never under STATIC or a public URL; served by a view that
# checks access.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
MAX_UPLOAD_MB = env_int("MAX_UPLOAD_MB", 20)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

SIMPLE_HISTORY_REVERT_DISABLED = True

# E-mail
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if env_str("EMAIL_HOST")
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=True)
# Seconds before an unanswering SMTP server counts as a failure (the sender then moves on).
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Trung tâm Khuyến công <khuyencong@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
PORTAL_BASE_URL = env_str("PORTAL_BASE_URL", "http://127.0.0.1:8000")

# Celery. The embedded default needs no broker server: a filesystem transport under var/.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL == "filesystem://":
    _queue_dir = VAR_DIR / "celery-queue"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(VAR_DIR / "celery-processed"),
        "store_processed": False,
        # Exchange tables; the transport's default is "control" in the working directory.
        "control_folder": str(VAR_DIR / "celery-control"),
    }
CELERY_RESULT_BACKEND = None
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 15 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 10 * 60

# ---- Reminders (projects/reminders/rules.py, khuyencong/notifications.py) ----------------
if CELERY_BROKER_URL == "filesystem://":
    # The filesystem transport does not create its folders itself.
    for _folder in (_queue_dir, VAR_DIR / "celery-processed", VAR_DIR / "celery-control"):
        _folder.mkdir(parents=True, exist_ok=True)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Times of day (HH:MM, Asia/Ho_Chi_Minh) of the daily scan and of the daily e-mail digest.
REMINDERS_SCAN_TIME = env_time("REMINDERS_SCAN_TIME", "07:00")
REMINDERS_DIGEST_TIME = env_time("REMINDERS_DIGEST_TIME", "07:30")
# The sender also runs this often to retry failed e-mails and deliver `notify()` rows.
REMINDERS_SEND_EVERY_MINUTES = env_int("REMINDERS_SEND_EVERY_MINUTES", 5)
# A condition that persists is reminded again this many days later (1 = every day).
REMINDERS_REPEAT_EVERY_DAYS = env_int("REMINDERS_REPEAT_EVERY_DAYS", 7)
REMINDERS_BATCH_SIZE = env_int("REMINDERS_BATCH_SIZE", 500)
# A failed e-mail is retried after 5, 10, 20, 40 … minutes, never more than
# REMINDERS_RETRY_MAX_SECONDS apart, for REMINDERS_RETRY_FOR_DAYS after its first failure (an SMTP
# outage over a weekend loses nothing); then it is "failed" and staff can resend it
# (admin action "Gửi lại", `manage.py resend_reminders`).
REMINDERS_RETRY_BASE_SECONDS = env_int("REMINDERS_RETRY_BASE_SECONDS", 300)
REMINDERS_RETRY_MAX_SECONDS = env_int("REMINDERS_RETRY_MAX_SECONDS", 6 * 3600)
REMINDERS_RETRY_FOR_DAYS = env_int("REMINDERS_RETRY_FOR_DAYS", 3)
# A row that breaks in the portal's own code (bad data, not the mail server) is given up after
# this many tries, so it does not fill the log for days.
REMINDERS_MAX_ATTEMPTS = env_int("REMINDERS_MAX_ATTEMPTS", 6)
# After this many e-mails in a row fail in one pass, sending pauses for REMINDERS_PAUSE_MINUTES:
# the rest wait without spending their tries, and portal notifications go on.
REMINDERS_PAUSE_AFTER_FAILURES = env_int("REMINDERS_PAUSE_AFTER_FAILURES", 5)
REMINDERS_PAUSE_MINUTES = env_int("REMINDERS_PAUSE_MINUTES", 15)
# A daily scan missed (broker or workers down at REMINDERS_SCAN_TIME) is caught up when a worker
# starts and by a check this often; the scan is idempotent.
REMINDERS_CATCH_UP_EVERY_MINUTES = env_int("REMINDERS_CATCH_UP_EVERY_MINUTES", 20)
# Off only for the test worker, whose database changes under it.
REMINDERS_CATCH_UP_ON_WORKER_START = True
# How long a sender holds a claimed row before another sender may take it over.
REMINDERS_CLAIM_SECONDS = env_int("REMINDERS_CLAIM_SECONDS", 600)
# Delivery when a user has not chosen: "email" (at once), "digest" (daily) or "portal".
REMINDERS_DEFAULT_DELIVERY = env_str("REMINDERS_DEFAULT_DELIVERY", "email")
if REMINDERS_DEFAULT_DELIVERY not in {"email", "digest", "portal"}:
    raise ImproperlyConfigured("REMINDERS_DEFAULT_DELIVERY must be email, digest or portal.")
# Lead times and thresholds, in days.
REMIND_APPRAISAL_AFTER_DAYS = env_int("REMIND_APPRAISAL_AFTER_DAYS", 10)
REMIND_DECISION_AFTER_DAYS = env_int("REMIND_DECISION_AFTER_DAYS", 10)
REMIND_RESUBMISSION_AFTER_DAYS = env_int("REMIND_RESUBMISSION_AFTER_DAYS", 14)
REMIND_END_DATE_BEFORE_DAYS = env_int_list("REMIND_END_DATE_BEFORE_DAYS", [30, 7, 1])
REMIND_END_DATE_ESCALATE_AFTER_DAYS = env_int("REMIND_END_DATE_ESCALATE_AFTER_DAYS", 15)
REMIND_REPORT_GRACE_DAYS = env_int("REMIND_REPORT_GRACE_DAYS", 7)
REMIND_MONITORING_AFTER_DAYS = env_int("REMIND_MONITORING_AFTER_DAYS", 90)
REMIND_ACCEPTANCE_BEFORE_DAYS = env_int_list("REMIND_ACCEPTANCE_BEFORE_DAYS", [7, 1])
REMIND_SETTLEMENT_AFTER_DAYS = env_int("REMIND_SETTLEMENT_AFTER_DAYS", 30)
REMIND_NATIONAL_DEADLINE_BEFORE_DAYS = env_int_list("REMIND_NATIONAL_DEADLINE_BEFORE_DAYS", [30, 7])
REMIND_ALLOCATION_REMAINING_PERCENT = env_int("REMIND_ALLOCATION_REMAINING_PERCENT", 10)
# Deadlines of the law (settlement, national registration) are data: projects.LegalDeadline.
# The law sets no progress before an acceptance request (domain.md §4.3); the portal asks for a
# progress report or monitoring visit showing at least this share of the work done, unless a
# manager records an exception for the project.
ACCEPTANCE_MIN_PROGRESS_PERCENT = env_int("ACCEPTANCE_MIN_PROGRESS_PERCENT", 80)
# Months per progress-report period when a project does not set its own.
PROGRESS_REPORT_EVERY_MONTHS = env_int("PROGRESS_REPORT_EVERY_MONTHS", 3)
CELERY_BEAT_SCHEDULE: dict = {
    "reminders-daily-scan": {
        "task": "projects.reminders.tasks.scan_reminders",
        "schedule": crontab(hour=REMINDERS_SCAN_TIME[0], minute=REMINDERS_SCAN_TIME[1]),
    },
    "reminders-daily-digest": {
        "task": "khuyencong.tasks.send_digests",
        "schedule": crontab(hour=REMINDERS_DIGEST_TIME[0], minute=REMINDERS_DIGEST_TIME[1]),
    },
    "reminders-send-pending": {
        "task": "khuyencong.tasks.send_pending_reminders",
        "schedule": REMINDERS_SEND_EVERY_MINUTES * 60.0,
    },
    "reminders-catch-up-scan": {
        "task": "projects.reminders.tasks.catch_up_scan",
        "schedule": REMINDERS_CATCH_UP_EVERY_MINUTES * 60.0,
    },
}
# ---- end of Reminders ---------------------------------------------------------------------------

# Security. Production (DEBUG off) gets the whole deploy checklist.
# Django's database sessions, read by a statement written once (khuyencong/sessions.py).
SESSION_ENGINE = "khuyencong.sessions"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Absolute limit of a session, in seconds, however active; the idle limit below ends it sooner.
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 60 * 60)
# Minutes without a request (the bell's polling does not count) before the portal signs the
# user out; 0 turns the idle limit off. The page warns this many minutes before.
SESSION_IDLE_TIMEOUT_MINUTES = env_int("SESSION_IDLE_TIMEOUT_MINUTES", 30)
SESSION_IDLE_WARNING_MINUTES = env_int("SESSION_IDLE_WARNING_MINUTES", 2)
SESSION_EXPIRE_AT_BROWSER_CLOSE = env_bool("SESSION_EXPIRE_AT_BROWSER_CLOSE", default=True)
CSRF_FAILURE_VIEW = "khuyencong.account_views.csrf_failure"
# Password reset links are valid this long (seconds).
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 60 * 60)

# Lockout (django-axes): after AXES_FAILURE_LIMIT failed sign-ins for one user name, or from one
# address, further attempts are refused for AXES_COOLOFF_MINUTES, on the portal and the admin.
AXES_ENABLED = env_bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "khuyencong.account_views.locked_out"
AXES_CLIENT_IP_CALLABLE = "khuyencong.audit.client_ip"
# Successful sign-ins go to the portal's own audit log (khuyencong/audit.py).
AXES_DISABLE_ACCESS_LOG = True

# Two-factor sign-in (django-otp, TOTP + backup codes). Required for superusers and the roles
# listed here; optional for everyone else. TWO_FACTOR_REQUIRED=0 lifts the requirement (users
# who enrolled are still asked for their code) — for a local demo only.
TWO_FACTOR_REQUIRED = env_bool("TWO_FACTOR_REQUIRED", default=True)
OTP_REQUIRED_ROLES = env_list("OTP_REQUIRED_ROLES", ["manager"])
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "Khuyến công")
BACKUP_CODES_COUNT = 10

# Content-Security-Policy (django-csp 4): no inline script anywhere; inline style attributes
# (progress bar widths, a few table column widths) are the one allowance.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=True)
    if env_bool("BEHIND_PROXY", default=False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Portal rules kept as settings (lead times for reminders are added with the reminders).
PAGE_SIZE = env_int("PAGE_SIZE", 25)
PROVINCE_NAME = env_str("PROVINCE_NAME", "Cao Bằng")

# ---- Operations: logs, health, backups (khuyencong/ops/, deploy/) -------------------------------
from khuyencong.ops.logging import logging_config  # noqa: E402 - settings are read top-down

# Errors (failed requests, failed tasks) are e-mailed to ADMINS when DEBUG is off.
ADMINS = env_addresses("ADMINS")
# "json": one JSON object per line with request_id, user_id, locality_ids; "plain": for a terminal.
LOG_FORMAT = env_choice("LOG_FORMAT", "plain" if DEBUG else "json", {"json", "plain"})
LOG_LEVEL = env_choice(
    "LOG_LEVEL", "info", {"debug", "info", "warning", "error", "critical"}
).upper()
# Sign-in and other audit events (logger `khuyencong.audit`): a file of JSON lines, or the console.
AUDIT_LOG_FILE = env_str("AUDIT_LOG_FILE", "") or None
LOGGING = logging_config(log_format=LOG_FORMAT, level=LOG_LEVEL, audit_file=AUDIT_LOG_FILE)

# /healthz answers 503 when the last worker heartbeat is older than this, the last reminder scan
# older than this many hours, or MEDIA_ROOT's disk has less free space than this.
HEALTH_HEARTBEAT_MAX_SECONDS = env_int("HEALTH_HEARTBEAT_MAX_SECONDS", 300)
HEALTH_SCAN_MAX_HOURS = env_int("HEALTH_SCAN_MAX_HOURS", 26)
HEALTH_MIN_FREE_MB = env_int("HEALTH_MIN_FREE_MB", 1024)
# A monitor on the same host may poll over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
CELERY_BEAT_SCHEDULE["ops-heartbeat"] = {"task": "khuyencong.heartbeat", "schedule": 60.0}

# ---- Background jobs: large exports and imports (khuyencong/jobs.py) ----------------------
# An export of at most this many rows downloads at once; a larger one runs on a worker, with a
# progress page and a notification when its file is ready.
JOB_EXPORT_IMMEDIATE_MAX_ROWS = env_int("JOB_EXPORT_IMMEDIATE_MAX_ROWS", 2000)
# Days a finished job's file is kept for its owner; the sweep deletes it then.
JOB_FILE_RETENTION_DAYS = env_int("JOB_FILE_RETENTION_DAYS", 7)
# A running job that reported no progress for this long is taken for dead (worker killed):
# queued again, or failed after JOB_MAX_ATTEMPTS runs.
JOB_STALE_SECONDS = env_int("JOB_STALE_SECONDS", 300)
JOB_MAX_ATTEMPTS = env_int("JOB_MAX_ATTEMPTS", 3)
# Time limits of one run (seconds): the soft one ends it with a clear message.
JOB_SOFT_TIME_LIMIT = env_int("JOB_SOFT_TIME_LIMIT", 30 * 60)
CELERY_BEAT_SCHEDULE["jobs-sweep"] = {"task": "khuyencong.sweep_jobs", "schedule": 60.0}

# `manage.py backup` writes dated folders here and keeps the newest BACKUP_KEEP.
BACKUP_DIR = Path(env_str("BACKUP_DIR", str(VAR_DIR / "backups")))
BACKUP_KEEP = env_int("BACKUP_KEEP", 14)
# Optional nightly backup by beat at this time (HH:MM); empty: none (use cron or a timer).
BACKUP_NIGHTLY_TIME = env_str("BACKUP_NIGHTLY_TIME", "")
if BACKUP_NIGHTLY_TIME:
    _hour, _minute = env_time("BACKUP_NIGHTLY_TIME", BACKUP_NIGHTLY_TIME)
    CELERY_BEAT_SCHEDULE["ops-nightly-backup"] = {
        "task": "khuyencong.backup",
        "schedule": crontab(hour=_hour, minute=_minute),
    }
# Folder of pg_dump/pg_restore; empty: the server's version under /usr/lib/postgresql, or PATH.
PG_BIN_DIR = env_str("PG_BIN_DIR", "")
