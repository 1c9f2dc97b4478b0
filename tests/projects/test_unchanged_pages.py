"""The pages whose reads are kept while nothing is committed (khuyencong/unchanged.py): a
searched list's count, "Việc của tôi" and the dashboard. Each person gets their own, and the
first request after a commit shows it."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SEARCH = reverse("projects:list") + "?q=dao+tao+nghe"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    # The first request writes the session (the time of the last activity): a commit.
    assert client.get(reverse("home")).status_code == 200
    return client


def _get(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return response, [q["sql"] for q in captured]


def test_a_searched_lists_count_is_counted_again_only_after_a_commit(
    officer, other_officer, make_project, commune_b1
):
    make_project(officer, title="Đào tạo nghề dệt thổ cẩm")
    make_project(officer, title="Đào tạo nghề rèn")
    make_project(officer, title="Máy sấy hồi")
    make_project(other_officer, title="Đào tạo nghề mây tre", locality=commune_b1)
    mine, theirs = _client(officer), _client(other_officer)

    response, _sql = _get(mine, SEARCH)
    assert response.context["page"].paginator.count == 2
    response, sql = _get(mine, SEARCH)
    assert response.context["page"].paginator.count == 2
    assert not [s for s in sql if "COUNT(" in s]  # given again, not counted

    # Another district's officer, the same search: his own count and rows, not the one kept.
    response, _sql = _get(theirs, SEARCH)
    assert response.context["page"].paginator.count == 1
    assert b"m\xc3\xa2y tre" in response.content and "rèn".encode() not in response.content

    make_project(officer, title="Đào tạo nghề đan")
    response, sql = _get(mine, SEARCH)
    assert response.context["page"].paginator.count == 3
    assert "nghề đan".encode() in response.content


def test_my_work_and_the_dashboard_show_a_new_draft_at_once(
    officer, other_officer, make_project, commune_b1
):
    make_project(officer, title="Bản nháp một")
    make_project(other_officer, title="Bản nháp khác", locality=commune_b1)
    mine, theirs = _client(officer), _client(other_officer)
    my_work = reverse("projects:my_work")

    for _ in range(2):
        assert _get(mine, my_work)[0].context["total"] == 1
        assert _get(mine, reverse("home"))[0].context["work_total"] == 1
    response, sql = _get(mine, my_work)
    assert not [s for s in sql if "projects_project" in s]  # given again, not read
    assert "Bản nháp khác".encode() not in _get(mine, reverse("home"))[0].content
    assert "Bản nháp khác".encode() in _get(theirs, reverse("home"))[0].content

    make_project(officer, title="Bản nháp hai")
    response = _get(mine, my_work)[0]
    assert response.context["total"] == 2 and "Bản nháp hai".encode() in response.content
    response = _get(mine, reverse("home"))[0]
    assert response.context["work_total"] == 2 and "Bản nháp hai".encode() in response.content


def test_the_dashboards_figures_follow_a_commit(staff, officer, make_project):
    def projects_of_the_year(client) -> int:
        board = _get(client, reverse("home"))[0].context["board"]
        return sum(n for _value, _label, n in board.by_status)

    make_project(officer, title="Đề án một")
    client = _client(staff)
    assert projects_of_the_year(client) == projects_of_the_year(client) == 1
    make_project(officer, title="Đề án hai")
    assert projects_of_the_year(client) == 2


def test_the_province_wide_list_counts_and_shows_a_new_project_at_once(
    staff, officer, make_project
):
    make_project(officer, title="Đề án thứ nhất")
    client = _client(staff)
    _get(client, reverse("projects:list"))
    response, sql = _get(client, reverse("projects:list"))
    assert response.context["page"].paginator.count == 1
    # Nothing but the session, the user and the snapshot: count and rows given again.
    assert len(sql) == 3 and sum("pg_current_snapshot" in s for s in sql) == 1

    make_project(officer, title="Đề án thứ hai")
    response, _sql = _get(client, reverse("projects:list"))
    assert response.context["page"].paginator.count == 2
    assert "Đề án thứ hai".encode() in response.content


def test_over_http_no_reader_sees_a_count_older_than_the_last_commit(
    live_server, officer, make_project
):
    """The server's threads read with their own connections while projects are committed by
    another: every answer counts at least the projects committed before it was asked, and at
    most those committed by the time it came back (no kept count survives a commit)."""
    import re
    import threading
    import urllib.request

    from django.conf import settings

    client = Client()
    client.force_login(officer)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    committed = [0]
    seen: list[tuple[int, int, int]] = []
    done = threading.Event()

    def read():
        while not done.is_set():
            before = committed[0]
            request = urllib.request.Request(
                f"{live_server.url}{SEARCH}", headers={"Cookie": cookie}
            )
            with urllib.request.urlopen(request) as response:
                html = response.read().decode()
            after = committed[0]
            (count,) = re.findall(r">\s*(\d+) đề án\s*<", html)
            seen.append((before, int(count), after))

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for n in range(12):
            make_project(officer, title=f"Đào tạo nghề số {n}")
            committed[0] = n + 1
    finally:
        done.set()
        reader.join()
    assert len(seen) >= 3
    assert all(before <= count <= after for before, count, after in seen), seen


def test_the_dashboards_work_follows_the_reminder_settings_as_my_work_does(
    officer, staff, make_project, walk, settings
):
    project = make_project(officer, title="Chờ thẩm định")
    walk(project, "submitted", officer=officer, staff=None, manager=None)
    client = _client(staff)

    def due(url, groups) -> list:
        response = _get(client, url)[0]
        return [item.due for group in groups(response.context) for item in group.items]

    def dashboard():
        return due(reverse("home"), lambda c: [w["group"] for w in c["work"]])

    def my_work():
        return due(reverse("projects:my_work"), lambda c: c["groups"])

    settings.REMIND_APPRAISAL_AFTER_DAYS = 10
    first = dashboard()
    assert first == my_work() and first
    settings.REMIND_APPRAISAL_AFTER_DAYS = 30
    assert dashboard() == my_work() != first
