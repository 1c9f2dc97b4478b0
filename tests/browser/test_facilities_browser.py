import pytest
from playwright.sync_api import expect

from tests.browser.conftest import htmx_settled, login_as


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_finds_opens_and_edits_a_facility(
    page, live_server, artifacts, officer, facility_a, facility_b
):
    login_as(page, live_server, officer)

    page.goto(f"{live_server.url}/co-so/")
    page.get_by_label("Tìm kiếm").fill("giang hien")  # typed without diacritics
    page.keyboard.press("Enter")
    results = page.locator("#results")
    expect(results).to_contain_text("Tìm thấy 1 cơ sở")
    expect(results).not_to_contain_text("Hợp tác xã Tâm Hòa")

    results.get_by_role("link", name="Công ty TNHH Giang Hiền").click()
    expect(page.locator("h1")).to_have_text("Công ty TNHH Giang Hiền")

    page.get_by_role("link", name="Sửa thông tin").click()
    page.get_by_label("Người đại diện").fill("Nông Thị Hoa")
    page.get_by_role("button", name="Lưu").click()

    expect(page.locator(".alert-success")).to_contain_text("Đã lưu thay đổi")
    expect(page.locator("#thong-tin")).to_contain_text("Nông Thị Hoa")
    history = page.locator("#lich-su")
    expect(history).to_contain_text("Người đại diện")
    expect(history.locator("del").first).to_have_text("Nông Văn Hiền")
    page.screenshot(path=str(artifacts / "facility-edit.png"), full_page=True)
    facility_a.refresh_from_db()
    assert facility_a.representative == "Nông Thị Hoa"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_adding_a_product_puts_the_keyboard_in_its_first_field(
    page, live_server, officer, facility_a
):
    """The section is swapped whole, so focus would be lost with the button (issue 15)."""
    login_as(page, live_server, officer)
    page.goto(f"{live_server.url}/co-so/{facility_a.pk}/")
    page.get_by_role("link", name="Thêm sản phẩm").focus()
    page.keyboard.press("Enter")
    page.locator("#san-pham form").wait_for()
    htmx_settled(page)
    expect(page.locator("#san-pham form input:not([type=hidden])").first).to_be_focused()
    page.keyboard.type("Miến dong Nguyên Bình")
    page.keyboard.press("Enter")  # saves: the notice takes the focus, then the section
    expect(page.locator("#san-pham .alert-success")).to_be_focused()
    expect(page.locator("#san-pham")).to_contain_text("Miến dong Nguyên Bình")
