"""Browser tests: a headless Chromium driven by Playwright's sync API against `live_server`.

Use the `page` fixture and `login_as(page, live_server, user)`; mark tests `@pytest.mark.browser`
and give them `@pytest.mark.django_db(transaction=True, serialized_rollback=True)` so the live
server's thread sees the test's data and the rows seeded by migrations (sectors, size
thresholds) are restored afterwards. Screenshots go to `ARTIFACTS` (test-artifacts/).
Chromium is Debian's /usr/bin/chromium; never `playwright install`. Without it the tests skip,
unless KC_REQUIRE_SERVICES=1 (CI), where they fail.
"""

import os
from pathlib import Path

import pytest
from django.conf import settings

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


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="vi-VN", viewport={"width": 1366, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def login_as(page, live_server, user, password: str = PASSWORD) -> None:
    """Log in through the real login page, as a person would."""
    page.goto(f"{live_server.url}/dang-nhap/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/dang-nhap/" not in url)
