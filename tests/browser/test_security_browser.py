"""In a real browser: the Content-Security-Policy blocks nothing the portal itself needs
(Bootstrap, htmx, Chart.js, the bell's polling), enrolment in two-factor sign-in shows its QR
code, and the idle warning appears before the session ends."""

import pytest
from django.test import override_settings
from django.urls import reverse

from tests.browser.conftest import login_as
from tests.projects.reports.data import build_year

pytestmark = pytest.mark.browser


def csp_violations(page) -> list[str]:
    found = []
    page.on(
        "console",
        lambda message: (
            found.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return found


@pytest.mark.django_db(transaction=True)
def test_no_page_breaks_the_content_security_policy(
    live_server, page, staff, province, district_a, commune_a1, district_b, commune_b1
):
    build_year(province, district_a, commune_a1, district_b, commune_b1)
    violations = csp_violations(page)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    login_as(page, live_server, staff)
    for url in ("/?year=2024", "/bao-cao/ket-qua-nam/?year=2024", "/co-so/", "/de-an/"):
        page.goto(live_server.url + url)
        page.wait_for_load_state("networkidle")
    page.goto(live_server.url + "/?year=2024")
    assert page.evaluate(
        "() => !!Chart.getChart(document.querySelector('canvas[data-chart=bieu-do-budget]'))"
    )
    assert not violations, violations
    assert not errors, errors


@pytest.mark.django_db(transaction=True)
def test_enrolment_shows_the_qr_code(live_server, page, officer):
    violations = csp_violations(page)
    login_as(page, live_server, officer)
    page.goto(live_server.url + reverse("two_factor"))
    # The QR image (an inline data: SVG) loaded and has a size.
    assert page.evaluate("() => document.getElementById('otp-qr').naturalWidth") > 0
    assert not violations, violations


@pytest.mark.django_db(transaction=True)
def test_the_idle_warning_shows_before_the_session_ends(live_server, page, officer):
    with override_settings(SESSION_IDLE_TIMEOUT_MINUTES=1, SESSION_IDLE_WARNING_MINUTES=1):
        login_as(page, live_server, officer)
        page.goto(live_server.url + "/")
        warning = page.locator("#idle-warning")
        warning.wait_for(state="visible", timeout=5_000)
        # "Tiếp tục làm việc" makes a request, so the server's idle clock starts again.
        with page.expect_response(lambda r: "con-lam-viec" in r.url) as answer:
            page.click("[data-idle-continue]")
        assert answer.value.status == 204
