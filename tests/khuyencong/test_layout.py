"""The frame every page shares (templates/base.html, the menu, the 403 page)."""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def menu_link(html: str, url: str) -> str:
    """The <a …> tag of the main menu entry pointing at `url`."""
    menu = html.split('id="mainnav"', 1)[1].split("</nav>", 1)[0]
    match = re.search(rf'<a [^>]*href="{re.escape(url)}"[^>]*>', menu)
    assert match, f"no menu entry for {url}"
    return match.group(0)


@pytest.mark.parametrize(
    ("page", "entry"),
    [
        ("/", "home"),
        ("/co-so/", "facilities:list"),
        ("/de-an/", "projects:list"),
        ("/de-an/viec-cua-toi/", "projects:my_work"),
        ("/bao-cao/", "reports:index"),
    ],
)
def test_it_marks_the_menu_entry_of_the_page(login, staff, page, entry):
    html = login(staff).get(page).content.decode()
    link = menu_link(html, reverse(entry))
    assert "active" in link and 'aria-current="page"' in link
    others = [name for name in ("home", "facilities:list", "reports:index") if name != entry]
    for name in others:
        assert "active" not in menu_link(html, reverse(name))


def test_a_viewer_has_no_my_work_entry(login, viewer, staff):
    my_work = reverse("projects:my_work")
    assert f'href="{my_work}"' not in login(viewer).get("/co-so/").content.decode()
    assert f'href="{my_work}"' in login(staff).get("/co-so/").content.decode()


def test_the_refusal_page_names_the_users_role(login, viewer, commune_a1):
    response = login(viewer).get(reverse("facilities:create"))
    assert response.status_code == 403
    assert "Vai trò của bạn: Thanh tra, kiểm tra (chỉ xem)." in response.content.decode()
