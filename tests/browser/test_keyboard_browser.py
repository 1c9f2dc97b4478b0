"""Keyboard use (issue 15): the skip link is the first Tab stop, focus is visible on the menu
bar, and a date field's calendar button fills the field."""

import contextlib
import time

import pytest
from playwright.sync_api import Error as PlaywrightError

from tests.browser.conftest import login_as

pytestmark = pytest.mark.browser


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_skip_link_comes_first_and_focus_shows_on_the_menu(page, live_server, staff):
    login_as(page, live_server, staff)
    page.goto(f"{live_server.url}/co-so/")
    page.keyboard.press("Tab")
    first = page.evaluate("document.activeElement.getAttribute('href')")
    assert first == "#noi-dung"
    assert page.evaluate("document.activeElement.getBoundingClientRect().top") >= 0  # shown
    page.keyboard.press("Tab")  # the brand, on the blue bar
    style = page.evaluate(
        "(() => { const s = getComputedStyle(document.activeElement);"
        " return [document.activeElement.closest('nav') !== null, s.outlineStyle,"
        " s.outlineColor]; })()"
    )
    assert style[0] and style[1] != "none"
    assert style[2] == "rgb(255, 255, 255)"  # white on the blue bar
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")  # follow the skip link: focus moves into the content
    assert page.evaluate("document.activeElement.id") == "noi-dung"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_date_field_has_a_calendar_button(page, live_server, manager):
    login_as(page, live_server, manager)
    page.goto(f"{live_server.url}/nhat-ky/")  # the access log's date filter
    date = page.locator("input[data-date-picker]").first
    button = date.locator("xpath=following-sibling::button[1]")
    assert button.get_attribute("aria-label") == "Chọn ngày trên lịch"
    native = date.locator("xpath=following-sibling::input[@type='date'][1]")
    native.evaluate("(el) => { el.value = '2026-06-15'; el.dispatchEvent(new Event('change')); }")
    assert date.input_value() == "15/06/2026"


def _slow(route):
    """A slow answer, so that the request is still open when the page goes."""
    time.sleep(1.5)
    with contextlib.suppress(PlaywrightError):  # cancelled meanwhile: the page has gone
        route.continue_()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_leaving_the_project_form_mid_request_logs_no_error(page, live_server, officer):
    """The norm hint asks the server as fields change; leaving the form while it asks (or while
    a newer question replaces an older one) must not put htmx errors in the console."""
    login_as(page, live_server, officer)
    for leave in ("link", "submit"):
        page.goto(f"{live_server.url}/de-an/lap-moi/")
        page.wait_for_load_state("networkidle")
        page.route("**/dinh-muc-ap-dung/**", _slow)
        for amount in ("1", "12", "120.000.000"):
            page.fill("#id_requested_support", amount)
            page.dispatch_event("#id_requested_support", "change")
        if leave == "link":
            page.click("a.navbar-brand")
        else:
            page.click("#project-form button[type=submit]")
        page.wait_for_load_state("networkidle")
        page.unroute("**/dinh-muc-ap-dung/**")
    # The `page` fixture fails the test on any console error, htmx's "sendAbort" among them.
