import pytest
from django.urls import reverse
from django.utils import timezone

from khuyencong.models import Delivery, Notification, NotificationPreference
from khuyencong.notification_views import unread_panel


def make_notification(user, n=1, **fields):
    made = []
    for i in range(n):
        defaults = {
            "kind": "awaiting_appraisal",
            "title": f"Đề án DA-{i:02d} chờ thẩm định đã 10 ngày",
            "body": "Đề án nộp ngày 01/03/2026, chưa được thẩm định.",
            "url": "/co-so/",
        }
        defaults.update(fields)
        made.append(Notification.objects.create(recipient=user, **defaults))
    return made[0] if n == 1 else made


@pytest.mark.django_db
class TestList:
    def test_it_shows_the_users_own_notifications_with_the_unread_count(
        self, login, staff, manager
    ):
        make_notification(staff, title="Việc của cán bộ Trung tâm")
        make_notification(manager, title="Việc của lãnh đạo")
        response = login(staff).get(reverse("notifications:list"))
        assert response.status_code == 200
        html = response.content.decode()
        assert "Việc của cán bộ Trung tâm" in html and "Việc của lãnh đạo" not in html
        assert "1 chưa đọc" in html
        assert "Đề án chờ thẩm định quá hạn" in html  # the kind's label

    def test_it_filters_unread(self, login, staff):
        make_notification(staff, title="Chưa đọc nè")
        read = make_notification(staff, title="Đọc rồi nè")
        read.read_at = read.created_at
        read.save()
        html = login(staff).get(reverse("notifications:list"), {"state": "unread"}).content
        assert "Chưa đọc nè" in html.decode() and "Đọc rồi nè" not in html.decode()

    def test_it_makes_the_same_queries_for_one_and_for_many(
        self, login, staff, django_assert_num_queries
    ):
        client = login(staff)
        make_notification(staff)
        # session, user, count for the paginator, the page, the unread count
        with django_assert_num_queries(5):
            client.get(reverse("notifications:list"))
        make_notification(staff, n=20)
        with django_assert_num_queries(5):
            client.get(reverse("notifications:list"))

    def test_it_needs_a_login(self, client, db):
        response = client.get(reverse("notifications:list"))
        assert response.status_code == 302 and "/dang-nhap/" in response["Location"]


@pytest.mark.django_db
class TestReading:
    def test_opening_marks_read_and_follows_the_link(self, login, staff):
        notification = make_notification(staff, url="/co-so/")
        response = login(staff).get(reverse("notifications:open", args=[notification.pk]))
        assert response.status_code == 302 and response["Location"] == "/co-so/"
        notification.refresh_from_db()
        assert notification.is_read

    def test_it_never_redirects_off_the_portal(self, login, staff):
        notification = make_notification(staff, url="https://lua-dao.example/")
        response = login(staff).get(reverse("notifications:open", args=[notification.pk]))
        assert response["Location"] == reverse("notifications:list")

    def test_another_users_notification_is_not_found(self, login, staff, manager):
        notification = make_notification(manager)
        client = login(staff)
        assert client.get(reverse("notifications:open", args=[notification.pk])).status_code == 404
        url = reverse("notifications:mark_read", args=[notification.pk])
        assert client.post(url).status_code == 404
        notification.refresh_from_db()
        assert not notification.is_read

    def test_htmx_mark_read_swaps_the_item_and_refreshes_the_badge(self, login, staff):
        notification = make_notification(staff)
        response = login(staff).post(
            reverse("notifications:mark_read", args=[notification.pk]), HTTP_HX_REQUEST="true"
        )
        assert response.status_code == 200
        assert response["HX-Trigger"] == "notificationsChanged"
        assert "Đánh dấu đã đọc" not in response.content.decode()
        notification.refresh_from_db()
        assert notification.is_read

    def test_mark_read_needs_post(self, login, staff):
        notification = make_notification(staff)
        url = reverse("notifications:mark_read", args=[notification.pk])
        assert login(staff).get(url).status_code == 405

    def test_mark_all_read(self, login, staff, manager):
        make_notification(staff, n=3)
        other = make_notification(manager)
        response = login(staff).post(reverse("notifications:mark_all_read"), follow=True)
        assert "Đã đánh dấu 3 thông báo là đã đọc." in response.content.decode()
        assert not Notification.objects.filter(recipient=staff, read_at=None).exists()
        other.refresh_from_db()
        assert not other.is_read


@pytest.mark.django_db
class TestBadge:
    def test_the_header_links_to_the_notifications(self, login, staff):
        html = login(staff).get(reverse("home")).content.decode()
        assert reverse("notifications:list") in html and reverse("notifications:badge") in html

    def test_it_shows_the_unread_count(self, login, staff):
        make_notification(staff, n=3)
        html = login(staff).get(reverse("notifications:badge")).content.decode()
        assert ">3</span>" in html and "3 thông báo chưa đọc" in html

    def test_it_is_empty_when_all_is_read_or_the_session_expired(self, login, client, staff):
        assert login(staff).get(reverse("notifications:badge")).content.strip() == b""
        client.logout()
        response = client.get(reverse("notifications:badge"))
        assert response.status_code == 200 and response.content == b""


@pytest.mark.django_db
class TestPreferences:
    def test_it_lists_the_kinds_of_the_users_role(self, login, officer):
        html = login(officer).get(reverse("notifications:preferences")).content.decode()
        assert "Đề án trả lại để bổ sung chưa nộp lại" in html
        assert "Kinh phí được giao sắp hết" not in html  # managers only
        assert "Gộp vào e-mail tổng hợp hằng ngày" in html

    def test_it_saves_the_choices(self, login, manager):
        client = login(manager)
        html = client.get(reverse("notifications:preferences")).content.decode()
        assert "Kinh phí được giao sắp hết" in html
        from khuyencong import notifications

        data = {kind.code: Delivery.EMAIL_NOW for kind in notifications.kinds_for(manager)}
        data["allocation_nearly_used"] = Delivery.DAILY_DIGEST
        response = client.post(reverse("notifications:preferences"), data, follow=True)
        assert "Đã lưu cài đặt nhận thông báo." in response.content.decode()
        assert (
            NotificationPreference.objects.get(user=manager, kind="allocation_nearly_used").delivery
            == Delivery.DAILY_DIGEST
        )

    def test_a_bad_choice_saves_nothing_and_says_why(self, login, manager):
        response = login(manager).post(
            reverse("notifications:preferences"), {"allocation_nearly_used": "bo-cau"}
        )
        assert response.status_code == 200
        assert "Cách nhận không hợp lệ" in response.content.decode()
        assert not NotificationPreference.objects.exists()


@pytest.mark.django_db
def test_the_dashboard_panel_lists_the_newest_unread_notifications(client, officer, staff):
    for n in range(7):
        Notification.objects.create(recipient=officer, kind="x", title=f"Nhắc việc số {n}", url="/")
    Notification.objects.create(recipient=staff, kind="x", title="Của người khác", url="/")
    client.force_login(officer)
    # The dashboard renders the panel with the page; the fragment on its own says the same.
    home = client.get(reverse("home")).content.decode()
    assert reverse("notifications:latest") not in home
    for page in (home, client.get(reverse("notifications:latest")).content.decode()):
        assert page.count("Nhắc việc số") == 5
        assert "Của người khác" not in page
        assert "Xem cả 7 thông báo chưa đọc" in page


@pytest.mark.django_db
def test_the_panel_reads_its_items_and_the_unread_count_in_one_query(
    officer, staff, django_assert_num_queries
):
    with django_assert_num_queries(1):
        assert unread_panel(officer) == {"items": [], "unread_count": 0}
    for n in range(7):
        Notification.objects.create(recipient=officer, kind="x", title=f"Số {n}", url="/")
    Notification.objects.filter(title="Số 6").update(read_at=timezone.now())
    Notification.objects.create(recipient=staff, kind="x", title="Của người khác", url="/")
    with django_assert_num_queries(1):
        panel = unread_panel(officer)
    assert [item.title for item in panel["items"]] == ["Số 5", "Số 4", "Số 3", "Số 2", "Số 1"]
    assert panel["unread_count"] == 6
    # The statement compiled once is each reader's own, with what the ORM reads.
    mine = [(n.pk, n.texts, n.created_at, n.read_at) for n in panel["items"]]
    assert mine == [
        (n.pk, n.texts, n.created_at, n.read_at)
        for n in Notification.objects.filter(recipient=officer, read_at=None)[:5]
    ]
    staffs = unread_panel(staff)
    assert [item.title for item in staffs["items"]] == ["Của người khác"]
    assert staffs["unread_count"] == 1


@pytest.mark.django_db
class TestWhatTheOfficerReads:
    """Empty states and the short dashboard form of an item (QA review)."""

    def test_an_empty_filter_says_nothing_matches_and_offers_all(self, login, staff):
        make_notification(staff)
        html = login(staff).get(reverse("notifications:list"), {"state": "read"}).content.decode()
        assert "Không có thông báo nào khớp bộ lọc." in html
        assert "Chưa có thông báo nào." not in html

    def test_with_no_notification_at_all_it_says_what_will_come(self, login, staff):
        html = login(staff).get(reverse("notifications:list")).content.decode()
        assert "Chưa có thông báo nào. Nhắc việc hằng ngày" in html

    def test_the_dashboard_panel_keeps_to_titles_and_names_its_tick_button(self, login, staff):
        make_notification(staff, title="Đề án DA-01 chờ thẩm định đã 10 ngày")
        page = login(staff).get(reverse("notifications:latest")).content.decode()
        assert "Đề án DA-01 chờ thẩm định đã 10 ngày" in page
        assert "Đề án nộp ngày 01/03/2026" not in page  # the body stays on the list page
        assert 'aria-label="Đánh dấu đã đọc"' in page
        assert 'name="compact" value="1"' in page

    def test_marking_read_in_the_panel_swaps_in_the_short_form(self, login, staff):
        notification = make_notification(staff)
        url = reverse("notifications:mark_read", args=[notification.pk])
        short = login(staff).post(url, {"compact": "1"}, HTTP_HX_REQUEST="true")
        assert "Đề án nộp ngày 01/03/2026" not in short.content.decode()
        notification.read_at = None
        notification.save()
        full = login(staff).post(url, HTTP_HX_REQUEST="true")
        assert "Đề án nộp ngày 01/03/2026" in full.content.decode()
