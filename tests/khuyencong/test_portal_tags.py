"""The list filters' fields are built in Python (templatetags.portal.filter_field) for speed; the
page must not change: the markup is crispy's, field for field, with and without errors."""

import datetime
import re

import pytest
from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field
from django import forms
from django.test import RequestFactory

from facilities.filters import FacilityFilter
from facilities.models import Facility
from khuyencong.templatetags.portal import filter_field, hidden_input
from projects.applications.filters import ProjectFilter
from projects.models import Project


def _same(html: str) -> str:
    html = re.sub(r"\s+", " ", str(html))
    return re.sub(r"\s*([<>])\s*", r"\1", html).strip()


def _forms(user, data):
    request = RequestFactory().get("/", data)
    request.user = user
    return [
        ProjectFilter(data, queryset=Project.objects.all(), request=request).form,
        FacilityFilter(data, queryset=Facility.objects.all(), request=request).form,
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data",
    [
        {},
        {"q": "Giang <b>", "year": "2025", "locality": "", "o": "-name"},
        {"status": "zzz", "year": "1990", "locality": "999999", "legal_form": "x"},
    ],
)
def test_it_renders_the_filter_fields_as_crispy_does(staff, officer, facility_a, data):
    for user in (staff, officer):
        fast_forms, crispy_forms = _forms(user, data), _forms(user, data)
        for fast, slow in zip(fast_forms, crispy_forms, strict=True):
            fast.is_valid(), slow.is_valid()
            for name, field in fast.fields.items():
                if isinstance(field.widget, forms.HiddenInput):
                    continue
                assert _same(filter_field(fast[name])) == _same(as_crispy_field(slow[name])), name


@pytest.mark.django_db
def test_it_shows_the_error_of_a_field(staff):
    (form, _facilities) = _forms(staff, {"status": "zzz"})
    form.is_valid()
    html = str(filter_field(form["status"]))
    assert 'class="select form-select is-invalid"' in html
    assert 'id="id_status_error" class="invalid-feedback"' in html


# The paging links and the project list's sort headers as the templates wrote them before they
# were built in Python (templatetags.portal.page_links and sort_header).
PAGINATION_TEMPLATE = """{% load i18n portal %}
{% if page.paginator.num_pages > 1 %}
<nav aria-label="{% translate 'Phân trang' %}">
  <ul class="pagination pagination-sm mb-0">
    {% if page.has_previous %}
      <li class="page-item"><a class="page-link" href="?{% query_replace page=page.previous_page_number %}">&laquo; {% translate "Trước" %}</a></li>
    {% else %}
      <li class="page-item disabled"><span class="page-link">&laquo; {% translate "Trước" %}</span></li>
    {% endif %}
    {% for number in page.paginator.get_elided_page_range %}
      {% if number == page.number %}
        <li class="page-item active" aria-current="page"><span class="page-link">{{ number }}</span></li>
      {% elif number == page.paginator.ELLIPSIS %}
        <li class="page-item disabled"><span class="page-link">…</span></li>
      {% else %}
        <li class="page-item"><a class="page-link" href="?{% query_replace page=number %}">{{ number }}</a></li>
      {% endif %}
    {% endfor %}
    {% if page.has_next %}
      <li class="page-item"><a class="page-link" href="?{% query_replace page=page.next_page_number %}">{% translate "Sau" %} &raquo;</a></li>
    {% else %}
      <li class="page-item disabled"><span class="page-link">{% translate "Sau" %} &raquo;</span></li>
    {% endif %}
  </ul>
</nav>
{% endif %}"""  # noqa: E501 (the template as it was)

SORT_TH_TEMPLATE = """{% load portal %}<th class="{{ cls }}" scope="col"><a class="link-body-emphasis text-decoration-none" href="?{% if sort == key %}{% query_replace sort='-'|add:key page='' %}{% else %}{% query_replace sort=key page='' %}{% endif %}">{{ label }}{% if sort == key %} <i class="bi bi-caret-up-fill small"></i>{% elif sort == '-'|add:key %} <i class="bi bi-caret-down-fill small"></i>{% else %} <i class="bi bi-arrow-down-up small text-body-tertiary"></i>{% endif %}</a></th>"""  # noqa: E501


@pytest.mark.parametrize("count", [0, 20, 60, 1000])
@pytest.mark.parametrize(
    "query",
    [
        {},
        {"page": "2"},
        {"page": "7", "q": "giang & <hiền>", "sort": "-year"},
        {"status": ["a", "b"], "page": "last"},
    ],
)
def test_the_paging_links_are_the_templates(count, query):
    from django.core.paginator import Paginator
    from django.template import engines

    engine = engines["django"]
    request = RequestFactory().get("/", query)
    page = Paginator(range(count), 25).get_page(request.GET.get("page"))
    old = engine.from_string(PAGINATION_TEMPLATE).render({"page": page}, request)
    new = engine.from_string("{% load portal %}{% page_links page %}").render(
        {"page": page}, request
    )
    assert _same(new) == _same(old)
    assert ("page-link" in new) == (count > 25)


@pytest.mark.parametrize("sort", ["", "code", "-code", "year"])
@pytest.mark.parametrize("query", [{}, {"page": "3", "q": "a&b <c>", "sort": "x"}])
def test_the_sort_headers_are_the_templates(sort, query):
    from django.template import engines

    engine = engines["django"]
    request = RequestFactory().get("/", query)
    for key, label, cls in [("code", "Mã <đề> án", "text-nowrap"), ("year", "Năm", "")]:
        context = {"sort": sort, "key": key, "label": label, "cls": cls}
        old = engine.from_string(SORT_TH_TEMPLATE).render(context, request)
        new = engine.from_string("{% load portal %}{% sort_header key label cls %}").render(
            context, request
        )
        assert _same(new) == _same(old)


RESULTS_PAGINATION_TEMPLATE = """{% load i18n portal %}
{% if page_obj.paginator.num_pages > 1 %}
<nav class="mt-3" aria-label="{% translate 'Phân trang' %}">
  <ul class="pagination pagination-sm flex-wrap">
    {% if page_obj.has_previous %}
    <li class="page-item"><a class="page-link" href="?{% query_replace page=page_obj.previous_page_number %}" hx-get="?{% query_replace page=page_obj.previous_page_number %}" hx-target="#results" hx-swap="outerHTML" hx-push-url="true">&laquo; {% translate "Trước" %}</a></li>
    {% endif %}
    {% for number in page_obj.paginator.get_elided_page_range %}
      {% if number == page_obj.number %}
      <li class="page-item active" aria-current="page"><span class="page-link">{{ number }}</span></li>
      {% elif number == page_obj.paginator.ELLIPSIS %}
      <li class="page-item disabled"><span class="page-link">…</span></li>
      {% else %}
      <li class="page-item"><a class="page-link" href="?{% query_replace page=number %}" hx-get="?{% query_replace page=number %}" hx-target="#results" hx-swap="outerHTML" hx-push-url="true">{{ number }}</a></li>
      {% endif %}
    {% endfor %}
    {% if page_obj.has_next %}
    <li class="page-item"><a class="page-link" href="?{% query_replace page=page_obj.next_page_number %}" hx-get="?{% query_replace page=page_obj.next_page_number %}" hx-target="#results" hx-swap="outerHTML" hx-push-url="true">{% translate "Sau" %} &raquo;</a></li>
    {% endif %}
  </ul>
</nav>
{% endif %}"""  # noqa: E501 (the facility list's, as it was)

SORT_LINK_TEMPLATE = """{% load i18n %}<a class="text-reset text-decoration-none text-nowrap" href="?{{ header.query }}" hx-get="?{{ header.query }}" hx-target="#results" hx-swap="outerHTML" hx-push-url="true">{{ header.label }}{% if header.state == "asc" %} <i class="bi bi-sort-up" title="{% translate 'Tăng dần' %}"></i>{% elif header.state == "desc" %} <i class="bi bi-sort-down" title="{% translate 'Giảm dần' %}"></i>{% else %} <i class="bi bi-arrow-down-up text-muted small"></i>{% endif %}</a>"""  # noqa: E501


@pytest.mark.parametrize("count", [0, 20, 60, 1000])
@pytest.mark.parametrize("query", [{}, {"page": "3", "q": "a&b <c>", "o": "-name"}])
def test_the_facility_paging_links_are_the_templates(count, query):
    from django.core.paginator import Paginator
    from django.template import engines

    engine = engines["django"]
    request = RequestFactory().get("/", query)
    page = Paginator(range(count), 25).get_page(request.GET.get("page"))
    old = engine.from_string(RESULTS_PAGINATION_TEMPLATE).render({"page_obj": page}, request)
    new = engine.from_string("{% load portal %}{% results_page_links page_obj %}").render(
        {"page_obj": page}, request
    )
    assert _same(new) == _same(old)
    assert ("hx-get" in new) == (count > 25)


@pytest.mark.parametrize("state", ["", "asc", "desc"])
def test_the_facility_sort_links_are_the_templates(state):
    from django.template import engines

    engine = engines["django"]
    header = {"label": "Tên <cơ sở>", "query": "o=-name&q=a%26b", "state": state}
    old = engine.from_string(SORT_LINK_TEMPLATE).render({"header": header})
    new = engine.from_string("{% load portal %}{% sort_link header %}").render({"header": header})
    assert _same(new) == _same(old)


@pytest.mark.django_db
def test_the_menu_kept_per_process_follows_the_role_the_section_and_the_language(staff, viewer):
    from django.conf import settings
    from django.test import Client
    from django.urls import reverse

    def login(user):
        client = Client()
        client.force_login(user)
        return client

    def menu(client, url):
        page = client.get(url).text
        return page.split('<ul class="navbar-nav me-auto">', 1)[1].split("</ul>\n      <ul", 1)[0]

    staff_client, viewer_client = login(staff), login(viewer)
    # Same section and view, users who may and may not edit: only the first is offered
    # "Việc của tôi".
    assert "Việc của tôi" in menu(staff_client, reverse("facilities:list"))
    assert "Việc của tôi" not in menu(viewer_client, reverse("facilities:list"))
    # The current section is marked, and moves with the page.
    on_projects = menu(staff_client, reverse("projects:list"))
    assert f'class="nav-link active" aria-current="page" href="{reverse("projects:list")}"' in (
        on_projects
    )
    assert f'aria-current="page" href="{reverse("facilities:list")}"' not in on_projects
    # The language the reader chose.
    staff_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "Facilities" in menu(staff_client, reverse("projects:list"))
    staff_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "vi"
    assert "Cơ sở CNNT" in menu(staff_client, reverse("projects:list"))


@pytest.mark.django_db
def test_the_project_filter_reads_the_choices_its_fields_would(staff, officer, manager, commune_b1):
    """ProjectFilter.offered_choices reads four selects' options in one UNION ALL query: the
    same options, in the same order, with the same labels as the fields' own iterators."""
    from khuyencong.models import Role
    from tests.conftest import make_user

    # Officers with no full name or only part of one, and an ended unit (not offered).
    make_user("zeta", Role.CENTRE_STAFF, full_name="")
    make_user("alpha", Role.MANAGER, full_name="", first_name="Ân", last_name="")
    make_user("beta", Role.CENTRE_STAFF, full_name="Đặng Bình")
    commune_b1.valid_to = datetime.date(2025, 6, 30)
    commune_b1.save()
    for user in (staff, officer):
        request = RequestFactory().get("/")
        request.user = user
        filterset = ProjectFilter(None, queryset=Project.objects.all(), request=request)
        offered = filterset.offered_choices()
        assert set(offered) == {
            "funding_source",
            "activity_type",
            "locality",
            "responsible_officer",
        }
        for name, choices in offered.items():
            field = filterset.filters[name].field
            own = [(str(value), str(label)) for value, label in field.iterator(field)][1:]
            assert [(str(value), str(label)) for value, label in choices] == own, name
            assert own, name


@pytest.mark.django_db
def test_the_facility_filter_reads_the_choices_its_fields_would(staff, officer, commune_b1, sector):
    from facilities.models import Sector

    Sector.objects.create(code="Z1", name="Ấp trứng gia cầm")
    Sector.objects.create(code="Z2", name="Zen")
    commune_b1.valid_to = datetime.date(2025, 6, 30)
    commune_b1.save()
    for user in (staff, officer):
        request = RequestFactory().get("/")
        request.user = user
        filterset = FacilityFilter({}, queryset=Facility.objects.all(), request=request)
        for name in ("sector", "locality"):
            field = filterset.form.fields[name]
            own = [(str(v), str(label)) for v, label in field.iterator(field)]
            assert [(str(v), str(label)) for v, label in field.widget.choices] == own, name
            assert len(own) > 1, name


def test_fixed_markup_is_kept_per_language_and_setting():
    """{% fixed %} renders once per language (and URL configuration and settings), the same
    markup as without it."""
    from django.template import Context, Template
    from django.test import override_settings
    from django.utils import translation

    inner = '<a href="{% url "projects:list" %}">{% translate "Đề án" %}</a>{% static "x.css" %}'
    kept = Template("{% load i18n static portal %}{% fixed %}" + inner + "{% endfixed %}")
    plain = Template("{% load i18n static %}" + inner)
    for language in ("vi", "en", "vi"):
        with translation.override(language):
            assert kept.render(Context()) == plain.render(Context())
    with override_settings(STATIC_URL="/elsewhere/"), translation.override("vi"):
        assert "/elsewhere/x.css" in kept.render(Context())
        assert kept.render(Context()) == plain.render(Context())
    with translation.override("en"):
        assert ">Projects<" in kept.render(Context())


@pytest.mark.django_db
def test_list_filtersets_share_no_filter_state(staff, officer):
    """ListFilterSet copies its filters one level deep: what one filterset sets on a filter
    (an officer's localities) is never seen by another, and method filters call their own."""
    first, second = (ProjectFilter({"q": "x"}, request=_request(user)) for user in (officer, staff))
    assert first.filters["locality"] is not second.filters["locality"]
    assert first.filters["locality"].extra is not ProjectFilter.base_filters["locality"].extra
    first.form, second.form  # noqa: B018 (builds each one's fields)
    officer_ids = set(first.form.fields["locality"].queryset.values_list("pk", flat=True))
    staff_ids = set(second.form.fields["locality"].queryset.values_list("pk", flat=True))
    assert officer_ids < staff_ids
    assert first.filters["q"].filter.f is first.filters["q"]
    assert first.qs.query.where  # the search, through the filterset's own method


def _request(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


@pytest.mark.django_db
@pytest.mark.parametrize("data", [None, {"facility": ""}, {"facility": "12"}, {"facility": '"><x'}])
def test_a_hidden_field_is_the_widget_template(staff, data):
    """hidden_input writes the <input> Django's widget template writes (the project list's
    facility), with and without a value, a valid one or not."""
    (form, _facilities) = _forms(staff, data)
    form.is_valid()
    assert str(hidden_input(form["facility"])) == str(form["facility"])
    assert hidden_input(form["q"]) is form["q"]  # not a hidden field: left to Django


def test_fixed_by_a_key_is_kept_per_key_and_none_renders_every_time():
    from django.template import Context, Template, TemplateSyntaxError

    kept = Template("{% load portal %}{% fixed by key %}{{ shown }}{% endfixed %}")
    assert kept.render(Context({"key": 1, "shown": "a"})) == "a"
    assert kept.render(Context({"key": 1, "shown": "b"})) == "a"  # the key's markup, kept
    assert kept.render(Context({"key": 2, "shown": "b"})) == "b"
    assert kept.render(Context({"key": None, "shown": "c"})) == "c"
    assert kept.render(Context({"key": None, "shown": "d"})) == "d"
    with pytest.raises(TemplateSyntaxError):
        Template("{% load portal %}{% fixed key %}x{% endfixed %}")
