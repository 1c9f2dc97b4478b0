import pytest

from tests.browser.conftest import PHONE, login_as
from tests.conftest import PASSWORD
from tests.projects.reports.data import build_year

pytestmark = pytest.mark.browser


@pytest.mark.django_db(transaction=True)
def test_it_opens_the_dashboard_and_the_annual_report(
    live_server, page, artifacts, staff, province, district_a, commune_a1, district_b, commune_b1
):
    build_year(province, district_a, commune_a1, district_b, commune_b1)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto(f"{live_server.url}/dang-nhap/")
    page.fill("input[name=username]", staff.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form [type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/?year=2024")
    canvas = page.locator('canvas[data-chart="bieu-do-budget"]')
    canvas.wait_for()
    # Chart.js drew on the canvas (it keeps a chart object per canvas).
    assert page.evaluate(
        "() => !!Chart.getChart(document.querySelector('canvas[data-chart=bieu-do-budget]'))"
    )
    assert page.locator('[data-figure="approved"]').inner_text() == "1.160.000.000 ₫"
    assert page.locator('[data-figure="jobs_created"]').inner_text() == "15"
    page.screenshot(path=str(artifacts / "dashboard.png"), full_page=True)

    # Exactly "Báo cáo": the menu also has "Báo cáo tiến độ chưa nộp" (Theo dõi thực hiện).
    page.click('nav >> text="Báo cáo"')
    page.click("text=Báo cáo kết quả hoạt động khuyến công năm")
    page.fill("input[name=year]", "2024")
    page.click("form.filters [type=submit]")
    table = page.locator('table[data-table="by_source"]')
    table.wait_for()
    assert "Khuyến công địa phương" in table.inner_text()
    assert "1.160.000.000 ₫" in table.locator("tfoot").inner_text()
    page.screenshot(path=str(artifacts / "annual-report.png"), full_page=True)
    assert errors == []


@pytest.mark.django_db(transaction=True)
def test_long_names_on_a_bar_chart_are_not_cut_on_a_phone(
    live_server, page, staff, province, district_a, commune_a1, district_b, commune_b1
):
    """Chart.js gives the names of a horizontal bar chart at most half its width and cuts the
    rest; the names are broken into lines that fit (issue 15)."""
    build_year(province, district_a, commune_a1, district_b, commune_b1)
    page.set_viewport_size(PHONE)
    login_as(page, live_server, staff)
    page.goto(f"{live_server.url}/bao-cao/ket-qua-nam/?year=2024")
    page.wait_for_load_state("networkidle")
    axes = page.evaluate(
        """() => [...document.querySelectorAll('canvas[data-chart]')]
            .map((canvas) => Chart.getChart(canvas))
            .filter((chart) => chart && chart.options.indexAxis === 'y')
            .map((chart) => [chart.scales.y._labelSizes.widest.width, chart.scales.y.width])"""
    )
    assert axes, "no horizontal bar chart on the page"
    for widest, room in axes:
        assert widest <= room, (widest, room)
