"""Log lines that say which request (and which user, in which locality) they belong to.

`RequestIdMiddleware` (khuyencong/ops/middleware.py) puts the request in a context variable;
`RequestContextFilter`, attached to the handlers in settings.LOGGING, copies its id, the user
id and the user's locality id onto every record; `JsonFormatter` writes one JSON object per
line (LOG_FORMAT=json) and the plain formatter shows the request id after the level.

The filter never loads a user from the database: a user not yet loaded by the request (a page
without login) is logged as null, so logging cannot change a page's query count.
"""

import contextvars
import datetime
import json
import logging
import re
import uuid

from django.utils.functional import empty

current_request = contextvars.ContextVar("khuyencong_request", default=None)

# What an incoming X-Request-ID may look like (nginx's $request_id is 32 hex digits).
REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")

# Attributes every LogRecord has; anything else passed with `extra=` goes into the JSON line.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
_CONTEXT = ("request_id", "user_id", "locality_ids", "task_id")


def request_id_from(header: str | None) -> str:
    """The caller's X-Request-ID when it is well-formed, else a new one."""
    if header and REQUEST_ID.match(header):
        return header
    return uuid.uuid4().hex


def _loaded_user(request):
    user = getattr(request, "user", None)
    wrapped = getattr(user, "_wrapped", user)  # SimpleLazyObject until something reads it
    if wrapped is empty or wrapped is None or not getattr(wrapped, "is_authenticated", False):
        return None
    return wrapped


def _task_id():
    try:
        from celery import current_task
    except ImportError:  # pragma: no cover - celery is a dependency
        return None
    task = current_task
    request = getattr(task, "request", None) if task else None
    return getattr(request, "id", None)


class RequestContextFilter(logging.Filter):
    """Adds request_id, user_id, locality_ids (web) and task_id (Celery) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = current_request.get()
        user = _loaded_user(request) if request is not None else None
        if not hasattr(record, "request_id"):
            record.request_id = getattr(request, "request_id", None)
        if not hasattr(record, "user_id"):
            record.user_id = user.pk if user else None
        if not hasattr(record, "locality_ids"):
            # An officer's localities once the request has read them; never a query here.
            covered = getattr(user, "_covered_localities", None) if user else None
            record.locality_ids = [loc.pk for loc in covered] if covered else None
        if not hasattr(record, "task_id"):
            record.task_id = _task_id()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, the request
    context, the exception text if any, and whatever was passed with `extra=`."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.datetime.fromtimestamp(record.created, tz=datetime.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in _CONTEXT:
            line[key] = getattr(record, key, None)
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in _CONTEXT and not key.startswith("_"):
                line[key] = value
        line.pop("request", None)  # Django's request objects are not log data
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class PlainFormatter(logging.Formatter):
    """The console format of development, with the request id when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "request_id"):
            record.request_id = None
        record.context = f" [{record.request_id}]" if record.request_id else ""
        return super().format(record)


def logging_config(*, log_format: str, level: str, audit_file: str | None) -> dict:
    """settings.LOGGING. Errors (level ERROR) anywhere — a failed request, a failed task — are
    e-mailed to ADMINS when DEBUG is off; sign-in and other audit events go to the
    `khuyencong.audit` logger, which writes to AUDIT_LOG_FILE if set (else to the console) and
    does not mix into the application log."""
    formatter = "json" if log_format == "json" else "plain"
    audit_handler = (
        {
            "class": "logging.handlers.WatchedFileHandler",  # logrotate-friendly
            "filename": audit_file,
            "formatter": "json",
            "filters": ["request_context"],
        }
        if audit_file
        else {
            "class": "logging.StreamHandler",
            "formatter": formatter,
            "filters": ["request_context"],
        }
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_context": {"()": "khuyencong.ops.logging.RequestContextFilter"},
            "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
        },
        "formatters": {
            "plain": {
                "()": "khuyencong.ops.logging.PlainFormatter",
                "format": "%(asctime)s %(levelname)s%(context)s %(name)s %(message)s",
            },
            "json": {"()": "khuyencong.ops.logging.JsonFormatter"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": formatter,
                "filters": ["request_context"],
            },
            "mail_admins": {
                "class": "django.utils.log.AdminEmailHandler",
                "level": "ERROR",
                "filters": ["require_debug_false"],
            },
            "audit": audit_handler,
        },
        "root": {"handlers": ["console", "mail_admins"], "level": level},
        "loggers": {
            # Django's own default handlers (a second console, a second mail_admins) are
            # replaced by the root's: every line is written once, in the chosen format.
            "django": {"handlers": [], "level": "INFO", "propagate": True},
            "django.server": {"handlers": [], "level": "INFO", "propagate": True},
            "khuyencong.audit": {"handlers": ["audit"], "level": "INFO", "propagate": False},
        },
    }
