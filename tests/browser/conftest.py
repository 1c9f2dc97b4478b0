"""Browser tests: a headless Chromium driven by Playwright's sync API against `live_server`.

Use the `page` fixture and `login_as(page, live_server, user)`; mark tests `@pytest.mark.browser`
and give them `@pytest.mark.django_db(transaction=True, serialized_rollback=True)` so the live
server's thread sees the test's data and the rows seeded by migrations (sectors, size
thresholds) are restored afterwards. Screenshots go to `ARTIFACTS` (test-artifacts/).
Chromium is Debian's /usr/bin/chromium; never `playwright install`. Without it the tests skip,
unless KC_REQUIRE_SERVICES=1 (CI), where they fail.

Every test fails on an error in the browser's console or an uncaught script error (issue 15):
`console_errors` is the list the `page` fixture fills; a test that expects one (a 403 page, whose
load Chromium reports) removes it from the list before it ends. `axe_violations(page)` runs
axe-core (a dev dependency from npm, never served to users) on the page as it is.
"""

import functools
import os
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from tests.conftest import PASSWORD

# Playwright's sync API keeps an event loop running in this thread; Django would otherwise
# refuse database access from the test body.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        reason = f"{CHROMIUM} is missing (install it with `make chromium`)"
        if os.environ.get("KC_REQUIRE_SERVICES") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 768}
AXE = Path(settings.NODE_MODULES) / "axe-core" / "axe.min.js"


@pytest.fixture
def console_errors() -> list[str]:
    return []


@pytest.fixture
def page(browser, console_errors):
    context = browser.new_context(locale="vi-VN", viewport={"width": 1366, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.on(
        "console",
        lambda message: (
            console_errors.append(f"{message.text} ({page.url})")
            if message.type == "error"
            else None
        ),
    )
    page.on("pageerror", lambda error: console_errors.append(f"{error} ({page.url})"))
    yield page
    context.close()
    assert not console_errors, "errors in the browser console:\n" + "\n".join(console_errors)


@functools.cache
def _axe_source() -> str:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: `make install` (npm ci) installs axe-core")
    return AXE.read_text()


def axe_violations(page) -> list[str]:
    """axe-core's violations of every impact on the page as shown, one readable line each.

    The script goes in through the DevTools protocol (`evaluate`), not a <script> tag: the
    portal's Content-Security-Policy refuses inline scripts, and axe is not served to users.
    """
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(_axe_source())
    return page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ["violations"]});
            return result.violations.map((v) => `${v.id} (${v.impact}): ` + v.nodes.slice(0, 4)
                .map((n) => n.target.join(" ") + " — " + (n.failureSummary || "")
                .replace(/\\s+/g, " ").slice(0, 200)).join(" | "));
        }"""
    )


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def htmx_settled(page) -> None:
    """Wait until htmx has swapped and settled what it loaded. It wires the new content's own
    hx- attributes when it settles (20 ms after the swap), while Chromium may already have
    focused an `autofocus` field in it: a form submitted from the keyboard before then would be
    posted without htmx. A person does not type that fast; a test does."""
    page.wait_for_function(
        "() => !document.querySelector("
        "'.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')"
    )


def login_as(page, live_server, user, password: str = PASSWORD) -> None:
    """Log in through the real login page, as a person would."""
    page.goto(f"{live_server.url}/dang-nhap/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/dang-nhap/" not in url)


@pytest.fixture
def demo(db):
    """The demo's data (`seed_demo`), as {username: user}: pages with something on them."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from khuyencong.models import User

    call_command("seed_demo", stdout=StringIO())
    # The manager signs in without the demo's authenticator app (two-factor is optional in tests).
    TOTPDevice.objects.filter(user__username="lanhdao").delete()
    return {user.username: user for user in User.objects.all()}


@pytest.fixture
def make_job(settings, tmp_path):
    """A finished export of `owner`'s, with its file, for the background jobs pages."""
    import datetime

    from django.core.files.base import ContentFile
    from django.utils import timezone

    from khuyencong.models import Job, JobStatus

    settings.MEDIA_ROOT = str(tmp_path)

    def make(owner):
        job = Job.objects.create(
            owner=owner,
            kind="facilities_export",
            title="Xuất Excel danh sách cơ sở CNNT (120 cơ sở)",
            status=JobStatus.DONE,
            progress_done=120,
            progress_total=120,
            file_name="danh-sach-co-so-cnnt.xlsx",
            message="Đã xuất 120 cơ sở.",
            finished_at=timezone.now(),
            expires_at=timezone.now() + datetime.timedelta(days=7),
        )
        job.file.save("danh-sach-co-so-cnnt.xlsx", ContentFile(b"x"), save=True)
        return job

    return make
