import pytest
from django.urls import reverse

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_the_login_page_speaks_vietnamese(client):
    page = client.get(reverse("login")).content.decode()
    assert "Đăng nhập" in page
    assert "Tên đăng nhập" in page
    assert "Mật khẩu" in page


def test_pages_need_a_login(client):
    response = client.get(reverse("facilities:list"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_a_user_logs_in_and_out(client, officer):
    response = client.post(
        reverse("login"), {"username": officer.username, "password": PASSWORD}, follow=True
    )
    assert response.context["user"] == officer
    assert officer.full_name in response.content.decode()
    response = client.post(reverse("logout"), follow=True)
    assert not response.context["user"].is_authenticated


def test_a_wrong_password_is_refused_in_vietnamese(client, officer):
    response = client.post(reverse("login"), {"username": officer.username, "password": "sai"})
    assert response.status_code == 200
    assert "mật khẩu chính xác" in response.content.decode()


def test_the_admin_is_for_superusers_only(client, staff, django_user_model):
    staff.is_staff = True
    staff.save()
    client.force_login(staff)
    assert client.get("/quan-tri/").status_code == 302
    boss = django_user_model.objects.create_superuser("boss", "boss@example.test", PASSWORD)
    client.force_login(boss)
    assert client.get("/quan-tri/").status_code == 200


def test_english_is_available(client, officer):
    client.force_login(officer)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("facilities:list")).content.decode()
    assert 'lang="en"' in page


def test_refusals_are_explained_in_vietnamese(client, viewer, officer, facility_b):
    client.force_login(viewer)
    page = client.get(reverse("facilities:create"))
    assert page.status_code == 403
    assert "Bạn không có quyền" in page.content.decode()
    client.force_login(officer)
    page = client.get(reverse("facilities:detail", args=[facility_b.pk]))
    assert page.status_code == 404
    assert "không thuộc địa bàn bạn phụ trách" in page.content.decode()
