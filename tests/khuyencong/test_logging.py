"""Logs: a request id on every request and every log line, JSON or plain by setting, errors
e-mailed to ADMINS, audit events on their own logger."""

import io
import json
import logging
import logging.config
import sys

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.exceptions import ImproperlyConfigured

from khuyencong.env import env_addresses, env_choice
from khuyencong.ops.logging import JsonFormatter, PlainFormatter, RequestContextFilter


@pytest.fixture
def json_lines():
    """What the `khuyencong.*` loggers write through a JSON handler, one dict per line."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestContextFilter())
    logger = logging.getLogger("khuyencong")
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)


@pytest.mark.django_db
def test_every_response_carries_a_request_id(client):
    first = client.get("/dang-nhap/")["X-Request-ID"]
    second = client.get("/dang-nhap/")["X-Request-ID"]
    assert len(first) == 32 and first != second


@pytest.mark.django_db
def test_a_well_formed_incoming_request_id_is_kept_and_a_bad_one_replaced(client):
    given = "a3f9c2d47e1b40c5b1f0e2d3c4b5a697"
    assert client.get("/dang-nhap/", HTTP_X_REQUEST_ID=given)["X-Request-ID"] == given
    for bad in ("short", "x" * 200, "evil\nline injected", "<script>"):
        answered = client.get("/dang-nhap/", HTTP_X_REQUEST_ID=bad)["X-Request-ID"]
        assert answered != bad and len(answered) == 32


@pytest.mark.django_db
def test_request_lines_name_the_request_the_user_and_the_locality(client, officer, json_lines):
    client.force_login(officer)
    response = client.get("/", HTTP_X_REQUEST_ID="req-0001-abcdef")
    assert response.status_code == 200
    (line,) = [x for x in json_lines() if x["logger"] == "khuyencong.request"]
    assert line == {
        "time": line["time"],
        "level": "INFO",
        "logger": "khuyencong.request",
        "message": "GET / 200",
        "request_id": "req-0001-abcdef",
        "user_id": officer.pk,
        "locality_ids": [loc.pk for loc in officer.localities.all()],
        "task_id": None,
        "method": "GET",
        "path": "/",
        "status": 200,
        "duration_ms": line["duration_ms"],
    }


@pytest.mark.django_db
def test_a_line_logged_during_a_request_carries_its_id(client, json_lines):
    client.get("/healthz", HTTP_X_REQUEST_ID="health-poll-0001")
    lines = json_lines()
    assert lines and {x["request_id"] for x in lines} == {"health-poll-0001"}
    assert [x["level"] for x in lines if x["logger"] == "khuyencong.request"] == ["DEBUG"]


@pytest.mark.django_db
def test_logging_never_loads_a_user_itself(client, json_lines, django_assert_num_queries):
    # A monitor has no session (the sign-in middlewares read a session when there is one).
    # /healthz never reads the session: SELECT 1 and two stamps, and no session or user query
    # for the log lines (the user is logged only when the page itself loaded it).
    with django_assert_num_queries(3):
        client.get("/healthz")
    (line,) = [x for x in json_lines() if x["logger"] == "khuyencong.request"]
    assert line["user_id"] is None


def test_the_plain_format_shows_the_request_id():
    record = logging.makeLogRecord({"msg": "hello", "levelname": "INFO", "name": "x"})
    record.request_id = "abc12345"
    formatter = PlainFormatter("%(levelname)s%(context)s %(message)s")
    assert formatter.format(record) == "INFO [abc12345] hello"
    record.request_id = None
    assert formatter.format(record) == "INFO hello"


def test_the_json_format_keeps_extras_and_exceptions():
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.getLogger("x").makeRecord(
            "x", logging.ERROR, __file__, 1, "failed %s", ("Hà Nội",), exc_info=sys.exc_info()
        )
    record.backup = "khuyencong-20261201-020000"
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "failed Hà Nội"
    assert line["backup"] == "khuyencong-20261201-020000"
    assert "ValueError: boom" in line["exception"]


def test_log_format_follows_the_setting():
    from khuyencong.ops.logging import logging_config

    for chosen in ("json", "plain"):
        config = logging_config(log_format=chosen, level="INFO", audit_file=None)
        assert config["handlers"]["console"]["formatter"] == chosen
        logging.config.dictConfig(config)  # a valid configuration
    logging.config.dictConfig(django_settings.LOGGING)


def test_log_format_and_admins_are_parsed_strictly(monkeypatch):
    monkeypatch.setenv("LOG_FORMAT", "xml")
    with pytest.raises(ImproperlyConfigured, match="LOG_FORMAT"):
        env_choice("LOG_FORMAT", "plain", {"json", "plain"})
    monkeypatch.setenv("ADMINS", "Nông Văn Hiền <hien@caobang.gov.vn>, it@caobang.gov.vn")
    assert env_addresses("ADMINS") == [
        ("Nông Văn Hiền", "hien@caobang.gov.vn"),
        ("", "it@caobang.gov.vn"),
    ]
    monkeypatch.setenv("ADMINS", "not an address")
    with pytest.raises(ImproperlyConfigured, match="ADMINS"):
        env_addresses("ADMINS")


def test_errors_are_emailed_to_admins_in_production(settings):
    settings.DEBUG = False
    settings.ADMINS = [("IT", "it@caobang.gov.vn")]
    logging.getLogger("django.request").error("Internal Server Error: /de-an/")
    logging.getLogger("celery.app.trace").error("Task projects.tasks.scan_reminders failed")
    assert [m.to for m in mail.outbox] == [["it@caobang.gov.vn"], ["it@caobang.gov.vn"]]
    assert "Internal Server Error" in mail.outbox[0].subject


def test_errors_are_not_emailed_in_development(settings):
    settings.DEBUG = True
    settings.ADMINS = [("IT", "it@caobang.gov.vn")]
    logging.getLogger("django.request").error("Internal Server Error: /")
    assert mail.outbox == []


def test_audit_events_have_their_own_logger():
    audit = logging.getLogger("khuyencong.audit")
    assert audit.propagate is False
    assert "audit" in [h.name for h in audit.handlers]  # (pytest adds its capture handlers)
    assert django_settings.LOGGING["loggers"]["khuyencong.audit"]["level"] == "INFO"


def test_audit_events_go_to_their_file_when_set(tmp_path):
    from khuyencong.ops.logging import logging_config

    path = tmp_path / "audit.log"
    logging.config.dictConfig(logging_config(log_format="plain", level="INFO", audit_file=path))
    try:
        logging.getLogger("khuyencong.audit").info(
            "sign-in", extra={"event": "login", "username": "diaban"}
        )
        logging.getLogger("khuyencong.audit").handlers[0].flush()
        line = json.loads(path.read_text())
        assert (line["event"], line["username"], line["logger"]) == (
            "login",
            "diaban",
            "khuyencong.audit",
        )
    finally:
        logging.config.dictConfig(django_settings.LOGGING)
