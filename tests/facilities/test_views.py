import datetime
import io
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from facilities.models import (
    Facility,
    LegalForm,
    Product,
    Recognition,
    RecognitionLevel,
    Sector,
    YearlyFigure,
)
from khuyencong.models import Job, JobStatus, Locality
from tests.conftest import make_facility, run_queued_jobs
from tests.facilities.test_excel import good_row, xlsx

LIST = reverse("facilities:list")
CREATE = reverse("facilities:create")
THIS_YEAR = datetime.date.today().year


def detail(facility):
    return reverse("facilities:detail", args=[facility.pk])


def edit(facility):
    return reverse("facilities:edit", args=[facility.pk])


def facility_post(facility=None, **changes):
    """The create/edit form as a browser would send it."""
    data = {
        "name": "Hợp tác xã Chè Shan tuyết",
        "legal_form": LegalForm.COOPERATIVE,
        "tax_code": "4800999001",
        "address": "Xóm Nà Vài",
        "main_sector": Sector.objects.get(code="CBNLTS").pk,
        "sectors": [],
        "representative": "Lục Thị Lan",
        "phone": "0206 3850000",
        "email": "",
        "founded_year": "2012",
        "notes": "",
    }
    if facility is not None:
        data.update(
            name=facility.name,
            legal_form=facility.legal_form,
            tax_code=facility.tax_code or "",
            locality=facility.locality_id,
            address=facility.address,
            main_sector=facility.main_sector_id,
            representative=facility.representative,
            founded_year=facility.founded_year or "",
        )
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


# ---------------------------------------------------------------------------------------------
# List


@pytest.mark.django_db
class TestList:
    def test_it_shows_an_officer_only_their_localities(
        self, login, officer, facility_a, facility_b
    ):
        response = login(officer).get(LIST)
        assert response.status_code == 200
        assert "Công ty TNHH Giang Hiền" in response.text
        assert "Hợp tác xã Tâm Hòa" not in response.text

    def test_it_finds_a_name_typed_without_diacritics(self, login, staff, facility_a, facility_b):
        response = login(staff).get(LIST, {"q": "giang hien"})
        assert "Công ty TNHH Giang Hiền" in response.text
        assert "Hợp tác xã Tâm Hòa" not in response.text
        assert "Tìm thấy 1 cơ sở" in response.text

    def test_its_statements_kept_per_query_and_scope_show_each_users_rows_of_now(
        self, login, staff, officer, facility_a, facility_b
    ):
        """The list's count and pages are compiled once per process and key (ListFilterSet.
        statement_key): another query, another user's scope and the rows written since each
        show at once."""
        searched = {"q": "hop tac"}
        assert "Tìm thấy 1 cơ sở" in login(staff).get(LIST, searched).text  # Tâm Hòa (B)
        assert "Tìm thấy 0 cơ sở" in login(officer).get(LIST, searched).text  # not in A
        make_facility(facility_a.locality, name="Hợp tác xã Mây tre Giang")
        assert "Tìm thấy 1 cơ sở" in login(officer).get(LIST, searched).text
        assert "Tìm thấy 2 cơ sở" in login(staff).get(LIST, searched).text
        assert "Tìm thấy 1 cơ sở" in login(staff).get(LIST, {"q": "giang hien"}).text

    def test_it_requires_login(self, client, facility_a):
        response = client.get(LIST)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))

    def test_it_links_sort_headers_both_ways(self, login, staff, facility_a):
        page = login(staff).get(LIST, {"q": "giang", "o": "founded_year"}).text
        assert "?o=-founded_year&amp;q=giang" in page  # the current column flips
        assert "?o=tax_code&amp;q=giang" in page

    def test_it_paginates(self, login, staff, commune_a1, settings):
        settings.PAGE_SIZE = 2
        for n in range(5):
            make_facility(commune_a1, name=f"Cơ sở {n}")
        client = login(staff)
        first = client.get(LIST).text
        last = client.get(LIST, {"page": 3}).text
        assert "Cơ sở 0" in first and "Cơ sở 2" not in first
        assert "Cơ sở 4" in last and "Cơ sở 0" not in last
        assert "Tìm thấy 5 cơ sở" in first

    def test_its_filter_card_kept_per_process_follows_data_user_query_and_language(
        self, login, staff, officer, district_a, commune_b1, sector, settings
    ):
        """The filter card is written once per process and key (ListFilterSet.markup_key): the
        options read, the user's scope, the query (its page aside) and the language. Each of
        those shows at once; a field's error is written every time."""

        def card(user, query=None, language="vi"):
            client = login(user)
            client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
            html = client.get(LIST, query or {}).content.decode()
            start = html.index('data-bs-target="#facility-filters"')
            return html[start : html.index("</form>", start)]

        assert sector.name in card(staff)
        sector.name = "Ngành mới <đổi tên>"
        sector.save()
        assert "Ngành mới &lt;đổi tên&gt;" in card(staff)
        # Another scope: an officer is offered only their own district's units.
        commune = Locality.full_name_of(commune_b1.kind, commune_b1.name)
        assert commune in card(staff)
        assert commune not in card(officer)
        assert commune in card(staff)
        # Another query: the value chosen, the sort kept, the card unfolded on a phone.
        chosen = f'<option value="{district_a.pk}" selected>'
        assert chosen in card(staff, {"locality": district_a.pk})
        assert chosen not in card(staff)
        assert 'name="o" value="-tax_code"' in card(staff, {"o": "-tax_code"})
        assert 'name="o" value=""' in card(staff)
        assert 'aria-expanded="true"' in card(staff, {"q": "giang"})
        assert 'value="giang"' in card(staff, {"q": "giang"})
        assert 'aria-expanded="false"' in card(staff, {"q": "  "})  # no filter in use
        assert card(staff, {"page": "2"}) == card(staff)
        # Another language: the labels and the units' kinds.
        with translation.override("en"):
            english = Locality.full_name_of(commune_b1.kind, commune_b1.name)
        assert english != commune
        assert "Search, filter" in card(staff, language="en")
        assert english in card(staff, language="en")
        assert commune in card(staff)
        # A field's error quotes the value: written every time, never kept.
        assert "is-invalid" not in card(staff, {"legal_form": LegalForm.COOPERATIVE})
        assert "bogus" in card(staff, {"legal_form": "bogus"})
        assert "other" in card(staff, {"legal_form": "other"})

    def test_it_answers_htmx_with_the_results_only(self, login, staff, facility_a):
        response = login(staff).get(
            LIST, {"q": "giang"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results"
        )
        assert response.text.lstrip().startswith('<div id="results">')
        assert "<nav" not in response.text.split("results", 1)[0]

    @pytest.mark.parametrize("persona", ["officer", "staff"])
    def test_its_query_count_does_not_grow_with_rows(
        self, request, persona, login, commune_a1, settings, django_assert_num_queries
    ):
        settings.PAGE_SIZE = 100
        user = request.getfixturevalue(persona)
        client = login(user)

        def add(count):
            for _ in range(count):
                facility = make_facility(commune_a1)
                YearlyFigure.objects.create(facility=facility, year=2024, workers=12)
                product = Product.objects.create(facility=facility, name="Miến dong")
                Recognition.objects.create(
                    product=product, level=RecognitionLevel.PROVINCIAL, year=2022
                )

        # 1 session, 2 user, (officer: 3 the officer's localities, 4 the tree with its
        # reorganisations), 5 count, 6 the page of rows with locality, sector and
        # recognised-product count joined in, 7 localities and sectors offered in the filter
        # (one query).
        expected = 7 if persona == "officer" else 5
        add(1)
        with django_assert_num_queries(expected):
            assert client.get(LIST).status_code == 200
        add(49)
        with django_assert_num_queries(expected):
            response = client.get(LIST)
        assert response.text.count('class="fw-semibold"') == 50


# ---------------------------------------------------------------------------------------------
# Detail


@pytest.mark.django_db
class TestDetail:
    def test_it_shows_fields_figures_products_and_recognitions(self, login, staff, facility_a):
        facility_a.sectors.add(Sector.objects.get(code="CK"))
        YearlyFigure.objects.create(
            facility=facility_a, year=2024, workers=27, revenue=4_293_000_000, capital=2 * 10**9
        )
        product = Product.objects.create(facility=facility_a, name="Tôn chống nóng")
        Recognition.objects.create(
            product=product,
            level=RecognitionLevel.PROVINCIAL,
            year=2018,
            certificate_number="2018/GCN-PR-001",
        )
        page = login(staff).get(detail(facility_a)).text

        for text in [
            "Công ty TNHH Giang Hiền",
            facility_a.tax_code,
            "Xã Xã A Một",
            "Nông Văn Hiền",
            "Cơ khí, sửa chữa máy móc",  # other sector
            "4.293.000.000 ₫",
            "2.000.000.000 ₫",
            "Nhỏ",  # size class of 27 workers
            "Tôn chống nóng",
            "Cấp tỉnh",
            "2018/GCN-PR-001",
            "31/12/2021",  # valid until the end of the fourth year
            "Lịch sử thay đổi",
        ]:
            assert text in page, text

    def test_each_records_links_are_its_own(self, login, staff, facility_a):
        """The links of figures, products and recognitions are put together from one reversal
        per kind (views._record_urls): each must be the URL reversed for that record."""
        figures = [
            YearlyFigure.objects.create(
                facility=facility_a, year=year, workers=9, revenue=10**9, capital=10**9
            )
            for year in (2009, 2010, 2024)
        ]
        products = [
            Product.objects.create(facility=facility_a, name=name) for name in ("Chè", "Miến")
        ]
        recognitions = [
            Recognition.objects.create(
                product=products[1], level=RecognitionLevel.PROVINCIAL, year=year
            )
            for year in (2010, 2018)
        ]
        page = login(staff).get(detail(facility_a)).text

        def links(name, *records):
            return [reverse(f"facilities:{name}", args=[facility_a.pk, r.pk]) for r in records]

        expected = [
            *links("figure_edit", *figures),
            *links("figure_delete", *figures),
            *links("product_edit", *products),
            *links("product_delete", *products),
            *links("recognition_create", *products),
            *links("recognition_edit", *recognitions),
            *links("recognition_delete", *recognitions),
        ]
        for url in expected:
            assert page.count(f'"{url}"') == 2, url  # the link and its htmx twin

    def test_it_hides_another_localitys_facility(self, login, officer, facility_b):
        assert login(officer).get(detail(facility_b)).status_code == 404

    def test_a_viewer_reads_but_gets_no_edit_buttons(self, login, viewer, facility_a):
        page = login(viewer).get(detail(facility_a)).text
        assert "Công ty TNHH Giang Hiền" in page
        assert edit(facility_a) not in page
        assert "Thêm số liệu" not in page

    def test_it_shows_who_changed_what(self, login, officer, facility_a):
        client = login(officer)
        response = client.post(
            edit(facility_a), facility_post(facility_a, representative="Nông Thị Hoa")
        )
        assert response.status_code == 302

        page = client.get(detail(facility_a)).text
        history = page.split("Lịch sử thay đổi", 1)[1]
        assert "Canbo_A" in history  # the officer's display name
        assert "Người đại diện" in history
        assert "<del>Nông Văn Hiền</del>" in history
        assert "<ins>Nông Thị Hoa</ins>" in history


# ---------------------------------------------------------------------------------------------
# Create and edit


@pytest.mark.django_db
class TestCreate:
    def test_an_officer_registers_a_facility_in_their_commune(self, login, officer, commune_a1):
        response = login(officer).post(CREATE, facility_post(locality=commune_a1.pk))
        facility = Facility.objects.get(tax_code="4800999001")
        assert response.status_code == 302
        assert response.url == detail(facility)
        assert facility.locality == commune_a1
        assert facility.history.get().history_user == officer

    def test_it_offers_only_localities_in_scope(self, login, officer, commune_b1):
        page = login(officer).get(CREATE).text
        assert "Xã A Một" in page
        assert "Xã B Một" not in page

    def test_it_refuses_a_crafted_locality_out_of_scope(self, login, officer, commune_b1):
        response = login(officer).post(CREATE, facility_post(locality=commune_b1.pk))
        assert response.status_code == 200
        assert "nằm ngoài phạm vi bạn phụ trách" in response.context["form"].errors["locality"][0]
        assert not Facility.objects.exists()

    def test_centre_staff_files_anywhere(self, login, staff, commune_b1):
        login(staff).post(CREATE, facility_post(locality=commune_b1.pk))
        assert Facility.objects.get().locality == commune_b1

    @pytest.mark.parametrize(
        ("tax_code", "message"),
        [
            ("48001234", "Mã số thuế phải gồm 10 chữ số"),
            ("4800123456-12", "Mã số thuế phải gồm 10 chữ số"),
            ("48001234AB", "Mã số thuế phải gồm 10 chữ số"),
        ],
    )
    def test_it_explains_a_malformed_tax_code(self, login, officer, commune_a1, tax_code, message):
        response = login(officer).post(
            CREATE, facility_post(locality=commune_a1.pk, tax_code=tax_code)
        )
        assert message in response.context["form"].errors["tax_code"][0]
        assert not Facility.objects.exists()

    def test_it_accepts_a_branch_tax_code_and_no_tax_code(self, login, officer, commune_a1):
        client = login(officer)
        client.post(CREATE, facility_post(locality=commune_a1.pk, tax_code="4800123456-001"))
        client.post(CREATE, facility_post(locality=commune_a1.pk, tax_code="", name="Hộ A"))
        client.post(CREATE, facility_post(locality=commune_a1.pk, tax_code="", name="Hộ B"))
        assert Facility.objects.count() == 3
        assert Facility.objects.filter(tax_code=None).count() == 2

    def test_it_refuses_a_tax_code_already_registered(self, login, officer, commune_a1, facility_b):
        response = login(officer).post(
            CREATE, facility_post(locality=commune_a1.pk, tax_code=facility_b.tax_code)
        )
        errors = response.context["form"].errors["tax_code"]
        assert errors == ["Mã số thuế này đã được đăng ký cho một cơ sở khác."]
        assert Facility.objects.count() == 1

    def test_it_refuses_a_founding_year_in_the_future(self, login, officer, commune_a1):
        response = login(officer).post(
            CREATE, facility_post(locality=commune_a1.pk, founded_year=str(THIS_YEAR + 1))
        )
        assert "không được ở tương lai" in response.context["form"].errors["founded_year"][0]
        assert not Facility.objects.exists()

    def test_it_names_each_missing_field(self, login, officer):
        response = login(officer).post(CREATE, {})
        errors = response.context["form"].errors
        assert errors["name"] == ["Nhập tên cơ sở."]
        assert errors["locality"] == ["Chọn địa bàn của cơ sở."]
        assert errors["main_sector"] == ["Chọn ngành nghề chính."]
        assert "Chưa lưu được" in response.text

    def test_a_viewer_gets_403(self, login, viewer, commune_a1):
        client = login(viewer)
        assert client.get(CREATE).status_code == 403
        assert client.post(CREATE, facility_post(locality=commune_a1.pk)).status_code == 403
        assert not Facility.objects.exists()


@pytest.mark.django_db
class TestEdit:
    def test_an_officer_edits_their_facility(self, login, officer, facility_a):
        response = login(officer).post(edit(facility_a), facility_post(facility_a, phone="0911"))
        assert response.status_code == 302
        facility_a.refresh_from_db()
        assert facility_a.phone == "0911"

    def test_it_keeps_sectors_apart_from_the_main_sector(self, login, officer, facility_a):
        main = facility_a.main_sector
        mechanics = Sector.objects.get(code="CK")
        login(officer).post(
            edit(facility_a), facility_post(facility_a, sectors=[main.pk, mechanics.pk])
        )
        assert list(facility_a.sectors.all()) == [mechanics]

    def test_it_refuses_moving_a_facility_out_of_scope(
        self, login, officer, facility_a, commune_b1
    ):
        response = login(officer).post(
            edit(facility_a), facility_post(facility_a, locality=commune_b1.pk)
        )
        assert "locality" in response.context["form"].errors
        facility_a.refresh_from_db()
        assert facility_a.locality.code == "A1"

    def test_another_officer_gets_404(self, login, other_officer, facility_a):
        client = login(other_officer)
        assert client.get(edit(facility_a)).status_code == 404
        assert client.post(edit(facility_a), facility_post(facility_a)).status_code == 404

    def test_a_viewer_gets_403(self, login, viewer, facility_a):
        client = login(viewer)
        assert client.get(edit(facility_a)).status_code == 403
        response = client.post(edit(facility_a), facility_post(facility_a, name="Đổi tên"))
        assert response.status_code == 403
        facility_a.refresh_from_db()
        assert facility_a.name == "Công ty TNHH Giang Hiền"


# ---------------------------------------------------------------------------------------------
# Yearly figures, products, recognitions


def figure_url(name, facility, *args):
    return reverse(f"facilities:{name}", args=[facility.pk, *args])


@pytest.mark.django_db
class TestYearlyFigures:
    def test_it_adds_a_figure_and_derives_the_size_class(self, login, officer, facility_a):
        response = login(officer).post(
            figure_url("figure_create", facility_a),
            {"year": "2024", "workers": "8", "revenue": "2.500.000.000", "capital": "900000000"},
        )
        assert response.status_code == 302
        figure = facility_a.yearly_figures.get()
        assert (figure.workers, figure.revenue, figure.capital) == (8, 2_500_000_000, 900_000_000)
        facility_a.refresh_from_db()
        assert facility_a.size_class == "micro"

    def test_it_answers_htmx_with_the_section_and_a_refresh_event(self, login, officer, facility_a):
        response = login(officer).post(
            figure_url("figure_create", facility_a),
            {"year": "2024", "workers": "8", "revenue": "0", "capital": "0"},
            HTTP_HX_REQUEST="true",
        )
        assert response.status_code == 200
        assert response["HX-Trigger"] == "facility-changed"
        assert response.text.lstrip().startswith('<section class="card mb-3" id="so-lieu">')
        assert "Đã thêm số liệu năm 2024." in response.text

    @pytest.mark.parametrize(
        ("data", "field", "message"),
        [
            ({"workers": "-3"}, "workers", "Số lao động không được là số âm."),
            ({"revenue": "-1"}, "revenue", "Doanh thu (đồng) không được là số âm."),
            ({"capital": "nhiều"}, "capital", "Tổng nguồn vốn (đồng) phải là số nguyên"),
            ({"year": str(THIS_YEAR + 1)}, "year", "Năm không được ở tương lai"),
            ({"year": "2023"}, "year", "Cơ sở đã có số liệu năm 2023."),
        ],
    )
    def test_it_refuses_bad_figures(self, login, officer, facility_a, data, field, message):
        YearlyFigure.objects.create(facility=facility_a, year=2023, workers=5)
        post = {"year": "2024", "workers": "8", "revenue": "0", "capital": "0", **data}
        response = login(officer).post(figure_url("figure_create", facility_a), post)
        assert response.status_code == 200
        assert message in response.context["form"].errors[field][0]
        assert facility_a.yearly_figures.count() == 1

    def test_it_edits_and_deletes_a_figure(self, login, officer, facility_a):
        figure = YearlyFigure.objects.create(facility=facility_a, year=2023, workers=5)
        client = login(officer)
        client.post(
            figure_url("figure_edit", facility_a, figure.pk),
            {"year": "2023", "workers": "150", "revenue": "0", "capital": "0"},
        )
        figure.refresh_from_db()
        assert figure.workers == 150
        facility_a.refresh_from_db()
        assert facility_a.size_class == "medium"

        client.post(figure_url("figure_delete", facility_a, figure.pk))
        assert not facility_a.yearly_figures.exists()
        facility_a.refresh_from_db()
        assert facility_a.size_class == ""

    def test_another_officer_and_a_viewer_cannot_touch_figures(
        self, login, other_officer, viewer, facility_a
    ):
        figure = YearlyFigure.objects.create(facility=facility_a, year=2023, workers=5)
        post = {"year": "2024", "workers": "1", "revenue": "0", "capital": "0"}
        assert (
            login(other_officer).post(figure_url("figure_create", facility_a), post).status_code
            == 404
        )
        client = login(viewer)
        assert client.get(figure_url("figure_create", facility_a)).status_code == 403
        assert client.post(figure_url("figure_create", facility_a), post).status_code == 403
        assert client.post(figure_url("figure_delete", facility_a, figure.pk)).status_code == 403
        assert facility_a.yearly_figures.count() == 1

    def test_a_figure_of_another_facility_is_not_found(
        self, login, officer, facility_a, commune_a1
    ):
        other = make_facility(commune_a1)
        figure = YearlyFigure.objects.create(facility=other, year=2023, workers=5)
        response = login(officer).post(figure_url("figure_delete", facility_a, figure.pk))
        assert response.status_code == 404
        assert YearlyFigure.objects.filter(pk=figure.pk).exists()


@pytest.mark.django_db
class TestProductsAndRecognitions:
    def test_it_adds_a_product_and_its_recognition(self, login, officer, facility_a):
        client = login(officer)
        client.post(figure_url("product_create", facility_a), {"name": "Tôn chống nóng"})
        product = facility_a.products.get()
        response = client.post(
            figure_url("recognition_create", facility_a, product.pk),
            {"level": "provincial", "year": "2018", "certificate_number": "12/GCN"},
        )
        assert response.status_code == 302
        recognition = product.recognitions.get()
        assert (recognition.level, recognition.year) == ("provincial", 2018)

    def test_it_refuses_a_duplicate_product_name(self, login, officer, facility_a):
        Product.objects.create(facility=facility_a, name="Tôn chống nóng")
        response = login(officer).post(
            figure_url("product_create", facility_a), {"name": "tôn chống nóng"}
        )
        assert "Cơ sở đã có sản phẩm tên" in response.context["form"].errors["name"][0]

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            ({"year": str(THIS_YEAR + 1)}, "Năm công nhận không được ở tương lai"),
            ({"year": "1980"}, "Năm công nhận phải từ năm 1990 trở đi."),
            ({"year": "2018"}, "Sản phẩm đã được công nhận ở cấp này trong năm 2018."),
        ],
    )
    def test_it_refuses_bad_recognitions(self, login, officer, facility_a, data, message):
        product = Product.objects.create(facility=facility_a, name="Tôn chống nóng")
        Recognition.objects.create(product=product, level="provincial", year=2018)
        response = login(officer).post(
            figure_url("recognition_create", facility_a, product.pk),
            {"level": "provincial", "certificate_number": "", **data},
        )
        assert message in response.context["form"].errors["year"][0]
        assert product.recognitions.count() == 1

    def test_it_edits_and_deletes(self, login, officer, facility_a):
        product = Product.objects.create(facility=facility_a, name="Tôn")
        recognition = Recognition.objects.create(product=product, level="district", year=2017)
        client = login(officer)
        client.post(
            figure_url("recognition_edit", facility_a, recognition.pk),
            {"level": "provincial", "year": "2017", "certificate_number": "99"},
        )
        recognition.refresh_from_db()
        assert recognition.level == "provincial"
        client.post(figure_url("product_edit", facility_a, product.pk), {"name": "Tôn lạnh"})
        product.refresh_from_db()
        assert product.name == "Tôn lạnh"
        client.post(figure_url("recognition_delete", facility_a, recognition.pk))
        assert not product.recognitions.exists()
        client.post(figure_url("product_delete", facility_a, product.pk))
        assert not facility_a.products.exists()

    def test_the_history_tells_about_products_and_figures(self, login, officer, facility_a):
        client = login(officer)
        client.post(figure_url("product_create", facility_a), {"name": "Tôn chống nóng"})
        product = facility_a.products.get()
        client.post(figure_url("product_edit", facility_a, product.pk), {"name": "Tôn lạnh"})
        client.post(
            figure_url("figure_create", facility_a),
            {"year": "2024", "workers": "8", "revenue": "1.000.000", "capital": "0"},
        )
        history = client.get(reverse("facilities:history", args=[facility_a.pk])).text
        assert "Sản phẩm “Tôn lạnh”" in history
        assert "<del>Tôn chống nóng</del>" in history
        assert "Số liệu năm 2024" in history
        assert "1.000.000 ₫" in history

    def test_a_viewer_cannot_add_products(self, login, viewer, facility_a):
        response = login(viewer).post(figure_url("product_create", facility_a), {"name": "X"})
        assert response.status_code == 403
        assert not facility_a.products.exists()


# ---------------------------------------------------------------------------------------------
# Excel export and import


@pytest.mark.django_db
class TestExport:
    def test_it_exports_the_filtered_list_in_scope(
        self, login, officer, facility_a, facility_b, commune_a1
    ):
        make_facility(commune_a1, name="Hộ kinh doanh Dao rèn")
        response = login(officer).get(reverse("facilities:export"), {"q": "giang hien"})
        assert response.status_code == 200
        assert response["Content-Type"].startswith(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        assert "attachment;" in response["Content-Disposition"]
        ws = load_workbook(io.BytesIO(response.getvalue())).active
        assert ws["A1"].value == "DANH SÁCH CƠ SỞ CÔNG NGHIỆP NÔNG THÔN"
        assert "1 cơ sở" in ws["A2"].value
        assert "Tìm kiếm: “giang hien”" in ws["A2"].value
        names = [row[1].value for row in ws.iter_rows(min_row=5)]
        assert names == ["Công ty TNHH Giang Hiền"]

    def test_a_viewer_may_export(self, login, viewer, facility_a):
        assert login(viewer).get(reverse("facilities:export")).status_code == 200


def upload(client, rows):
    content = xlsx(rows)
    content.name = "co-so.xlsx"
    return client.post(reverse("facilities:import"), {"file": content})


@pytest.mark.django_db
class TestImport:
    def test_it_documents_the_columns_and_offers_the_template(self, login, officer, commune_a1):
        client = login(officer)
        page = client.get(reverse("facilities:import")).text
        assert "Ngành nghề chính" in page and "Mã địa bàn" in page
        template = client.get(reverse("facilities:import_template"))
        assert template.status_code == 200
        assert load_workbook(io.BytesIO(template.content)).sheetnames[0] == "Danh sách cơ sở"

    def test_it_previews_then_saves_on_confirmation(self, login, officer, commune_a1, settings):
        client = login(officer)
        response = upload(client, [good_row(), good_row(**{"Mã số thuế": "4800777002"})])
        assert response.status_code == 200
        assert "Tất cả 2 dòng hợp lệ" in response.text
        assert "Hợp tác xã Chè Shan tuyết" in response.text
        assert not Facility.objects.exists()  # nothing saved by the preview
        token = response.context["token"]
        stored = Path(settings.MEDIA_ROOT) / "imports" / f"{token}.xlsx"
        assert stored.exists()

        response = client.post(reverse("facilities:import_confirm"), {"token": token})
        job = Job.objects.get()
        assert response.url == job.get_absolute_url()
        assert job.status == JobStatus.QUEUED and job.title == "Nhập cơ sở từ tệp “co-so.xlsx”"
        assert not stored.exists()  # handed to the job
        assert not Facility.objects.exists()  # the worker saves, not the request

        assert run_queued_jobs() == ["done"]
        assert Facility.objects.count() == 2
        job.refresh_from_db()
        assert job.message == "Đã nhập 2 cơ sở từ tệp “co-so.xlsx”."
        assert (job.progress_done, job.progress_total) == (2, 2)
        assert not (Path(settings.MEDIA_ROOT) / job.parameters["upload"]).exists()
        page = client.get(job.get_absolute_url()).text
        assert "Đã nhập 2 cơ sở từ tệp “co-so.xlsx”." in page
        # The same token cannot be confirmed twice.
        client.post(reverse("facilities:import_confirm"), {"token": token})
        assert Job.objects.count() == 1 and Facility.objects.count() == 2

    def test_it_lists_every_bad_row_and_refuses_to_confirm(
        self, login, officer, commune_a1, commune_b1
    ):
        client = login(officer)
        response = upload(
            client,
            [
                good_row(),
                good_row(**{"Mã số thuế": "4800777002", "Mã địa bàn": "B1"}),
                good_row(**{"Mã số thuế": "4800777003", "Số lao động": -2}),
            ],
        )
        page = response.text
        assert "Có 2 dòng lỗi" in page
        assert "Dòng 5" in page and "nằm ngoài phạm vi bạn phụ trách" in page
        assert "Dòng 6" in page and "Số lao động không được là số âm." in page
        assert "Xác nhận nhập" not in page
        # Only a crafted POST reaches the confirmation: the job checks again and saves none.
        client.post(reverse("facilities:import_confirm"), {"token": response.context["token"]})
        assert run_queued_jobs() == ["failed"]
        job = Job.objects.get()
        assert job.error == "Tệp có dòng lỗi nên chưa nhập cơ sở nào."
        assert {row["row"] for row in job.result["row_errors"]} == {5, 6}
        page = client.get(job.get_absolute_url()).text
        assert "Tệp có dòng lỗi nên chưa nhập cơ sở nào." in page
        assert "Số lao động không được là số âm." in page
        assert not Facility.objects.exists()

    def test_it_rechecks_the_file_on_confirmation(self, login, officer, commune_a1):
        client = login(officer)
        token = upload(client, [good_row()]).context["token"]
        make_facility(commune_a1, tax_code="4800777001")  # registered in between
        client.post(reverse("facilities:import_confirm"), {"token": token})
        assert run_queued_jobs() == ["failed"]
        [bad] = Job.objects.get().result["row_errors"]
        assert "Mã số thuế 4800777001 đã được đăng ký cho một cơ sở khác." in bad["errors"]
        assert Facility.objects.count() == 1

    def test_it_refuses_a_token_of_another_session(self, login, officer, client, commune_a1):
        token = upload(login(officer), [good_row()]).context["token"]
        client.logout()
        other = login(officer)  # a fresh session of the same user
        response = other.post(reverse("facilities:import_confirm"), {"token": token})
        assert response.status_code == 302
        assert not Facility.objects.exists()
        response = other.post(reverse("facilities:import_confirm"), {"token": "../../etc/passwd"})
        assert response.status_code == 302

    def test_it_explains_a_file_it_cannot_read(self, login, officer):
        bad = io.BytesIO(b"not a spreadsheet")
        bad.name = "danh-sach.xlsx"
        response = login(officer).post(reverse("facilities:import"), {"file": bad})
        assert "Không đọc được tệp" in response.text
        other = io.BytesIO(b"a,b")
        other.name = "danh-sach.csv"
        response = login(officer).post(reverse("facilities:import"), {"file": other})
        assert "Chỉ nhận tệp Excel dạng .xlsx" in response.text

    def test_cancel_forgets_the_file(self, login, officer, commune_a1, settings):
        client = login(officer)
        token = upload(client, [good_row()]).context["token"]
        client.post(reverse("facilities:import_cancel"), {"token": token})
        assert not (Path(settings.MEDIA_ROOT) / "imports" / f"{token}.xlsx").exists()
        client.post(reverse("facilities:import_confirm"), {"token": token})
        assert not Facility.objects.exists()

    def test_a_viewer_cannot_import(self, login, viewer, commune_a1):
        client = login(viewer)
        assert client.get(reverse("facilities:import")).status_code == 403
        assert client.get(reverse("facilities:import_template")).status_code == 403
        assert upload(client, [good_row()]).status_code == 403
        assert client.post(reverse("facilities:import_confirm"), {"token": "x"}).status_code == 403
        assert not Facility.objects.exists()


@pytest.mark.django_db
def test_the_detail_query_count_does_not_grow_with_history(
    login, officer, facility_a, django_assert_num_queries
):
    client = login(officer)

    def change(n):
        figure = YearlyFigure.objects.create(facility=facility_a, year=2000 + n, workers=n + 1)
        figure.workers += 1
        figure.save()
        product = Product.objects.create(facility=facility_a, name=f"Sản phẩm {n}")
        Recognition.objects.create(product=product, level="provincial", year=2000 + n)
        client.post(edit(facility_a), facility_post(facility_a, phone=f"09{n}"))

    # session, user, the officer's localities, the tree, the facility (with whether each of its
    # lists has rows), its figures, products, recognitions, four history tables (the locality
    # and the main sector are the same in every record: no names to read for them); it has no
    # other sectors, so they are not read.
    change(1)
    with django_assert_num_queries(12):
        client.get(detail(facility_a))
    for n in range(2, 8):
        change(n)
    with django_assert_num_queries(12):
        response = client.get(detail(facility_a))
    assert response.text.count("Số liệu năm 2007") >= 2


@pytest.mark.django_db
def test_the_detail_reads_only_the_lists_that_have_rows(
    login, officer, facility_a, django_assert_num_queries
):
    client = login(officer)
    # session, user, the officer's localities, the tree, the facility with its lists' flags:
    # no figures, products, sectors or history to read.
    Facility.history.filter(id=facility_a.pk).delete()
    with django_assert_num_queries(5):
        page = client.get(detail(facility_a)).text
    assert "Sản phẩm A" not in page
    Product.objects.create(facility=facility_a, name="Sản phẩm A")
    # + the products, their recognitions, the products' history (the record of its creation)
    # and that of their recognitions
    with django_assert_num_queries(9):
        page = client.get(detail(facility_a)).text
    assert "Sản phẩm A" in page


@pytest.mark.django_db
def test_the_history_names_a_changed_main_sector(login, officer, facility_a):
    before = facility_a.main_sector
    after = Sector.objects.exclude(pk=before.pk).first()
    facility_a.main_sector = after
    facility_a.save()
    history = login(officer).get(detail(facility_a)).text.split("Lịch sử thay đổi", 1)[1]
    assert f"<del>{before.name}</del>" in history
    assert f"<ins>{after.name}</ins>" in history


@pytest.mark.django_db
def test_the_detail_counts_the_products_holding_a_recognition(login, viewer, facility_a):
    """The page counts them from the products it shows; the list's subquery says the same."""
    twice = Product.objects.create(facility=facility_a, name="Chiếu cói")
    Recognition.objects.create(product=twice, level="provincial", year=2020)
    Recognition.objects.create(product=twice, level="regional", year=2022)
    Product.objects.create(facility=facility_a, name="Nón lá")
    client = login(viewer)
    assert '<i class="bi bi-award"></i> 1 SP CNNT tiêu biểu' in client.get(detail(facility_a)).text
    once = Product.objects.create(facility=facility_a, name="Mây tre")
    Recognition.objects.create(product=once, level="provincial", year=2021)
    page = client.get(detail(facility_a)).text
    assert '<i class="bi bi-award"></i> 2 SP CNNT tiêu biểu' in page
    listed = Facility.objects.for_list().get(pk=facility_a.pk)
    assert listed.recognised_products == 2
    # The list's rows count them by SQL of their own (facilities/rows.py).
    rows = client.get(reverse("facilities:list")).text
    assert '<span class="badge text-bg-warning"><i class="bi bi-award"></i> 2</span>' in rows


@pytest.mark.django_db
def test_the_lists_count_is_added_up_from_the_registry_totals(
    login, staff, officer, viewer, facility_a, facility_b, commune_a1
):
    """Unfiltered and province-wide, the list's count comes from RegistryTotals
    (FacilityFilter.count_from_totals); it must be the rows' own, as facilities are added,
    moved and deleted. Filtered or an officer's, the rows are counted."""

    def check():
        for user, query in [(staff, {}), (viewer, {"o": "-founded_year"}), (officer, {})]:
            response = login(user).get(LIST, query)
            filterset = response.context["filter"]
            assert (filterset.count_from_totals() is not None) == (user != officer)
            assert response.context["page_obj"].paginator.count == filterset.qs.count()

    check()
    third = make_facility(commune_a1, name="Cơ sở thứ ba")
    check()
    facility_b.locality = commune_a1
    facility_b.save()
    third.delete()
    check()
    response = login(staff).get(LIST, {"q": "giang"})
    assert response.context["filter"].count_from_totals() is None
    assert response.context["page_obj"].paginator.count == 1


# ---------------------------------------------------------------------------------------------
# What an officer reads (QA review)


@pytest.mark.django_db
class TestWhatTheOfficerReads:
    def test_the_list_says_which_filters_are_in_use(self, login, staff, facility_a, district_a):
        html = login(staff).get(LIST, {"locality": district_a.pk, "q": "giang"}).text
        assert f"Đang lọc: Tìm kiếm: “giang”; Địa bàn: {district_a.full_name}" in html
        # …so phones, which fold the filters away, keep them open while some are in use.
        assert "collapse d-md-block show" in html
        plain = login(staff).get(LIST).text
        assert "Đang lọc" not in plain
        assert "collapse d-md-block show" not in plain

    def test_an_empty_list_tells_a_filter_from_an_empty_registry(self, login, officer, viewer):
        client = login(officer)
        assert "Chưa có cơ sở nào trong phạm vi bạn phụ trách." in client.get(LIST).text
        assert "Thêm cơ sở" in client.get(LIST).text
        filtered = client.get(LIST, {"q": "không có"}).text
        assert "Không có cơ sở nào khớp với điều kiện lọc." in filtered
        assert "“Nhập từ Excel” để đưa cơ sở" not in login(viewer).get(LIST).text

    def test_the_detail_leads_to_the_facilitys_projects(self, login, viewer, facility_a):
        page = login(viewer).get(detail(facility_a)).text
        assert f'href="/de-an/?facility={facility_a.pk}"' in page
        assert "Đề án của cơ sở" in page

    def test_the_forms_explain_locality_address_and_money(self, login, officer, facility_a):
        page = login(officer).get(CREATE).text
        assert "Xã/phường nơi cơ sở sản xuất" in page
        assert "4800123456-001" in page
        figure = login(officer).get(reverse("facilities:figure_create", args=[facility_a.pk])).text
        assert "Ghi đủ số đồng, không ghi triệu" in figure
