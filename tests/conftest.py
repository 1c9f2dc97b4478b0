"""Personas and small builders shared by every test.

Two district officers of different districts (`officer`, `other_officer`), centre staff, a
manager and a viewer; a small locality tree: province → district A → commune A1, and
province → district B → commune B1.
"""

import itertools

import pytest

from facilities.models import Facility, LegalForm, Sector
from khuyencong.models import Locality, LocalityKind, Role, User

PASSWORD = "mat-khau-thu-nghiem"
_counter = itertools.count(1)


@pytest.fixture
def province(db):
    return Locality.objects.create(code="T", name="Thử Nghiệm", kind=LocalityKind.PROVINCE)


@pytest.fixture
def district_a(province):
    return Locality.objects.create(
        code="A", name="Huyện A", kind=LocalityKind.DISTRICT, parent=province
    )


@pytest.fixture
def commune_a1(district_a):
    return Locality.objects.create(
        code="A1", name="Xã A Một", kind=LocalityKind.COMMUNE, parent=district_a
    )


@pytest.fixture
def district_b(province):
    return Locality.objects.create(
        code="B", name="Huyện B", kind=LocalityKind.DISTRICT, parent=province
    )


@pytest.fixture
def commune_b1(district_b):
    return Locality.objects.create(
        code="B1", name="Xã B Một", kind=LocalityKind.COMMUNE, parent=district_b
    )


def make_user(username, role, locality=None, **extra):
    """`locality`: one Locality or several that an officer covers."""
    user = User.objects.create_user(
        username=username,
        password=PASSWORD,
        role=role,
        full_name=extra.pop("full_name", username.title()),
        email=extra.pop("email", f"{username}@example.test"),
        **extra,
    )
    if locality is not None:
        user.localities.set(locality if isinstance(locality, list | tuple) else [locality])
    return user


@pytest.fixture
def officer(district_a, commune_a1):
    return make_user("canbo_a", Role.DISTRICT_OFFICER, district_a)


@pytest.fixture
def other_officer(district_b, commune_b1):
    return make_user("canbo_b", Role.DISTRICT_OFFICER, district_b)


@pytest.fixture
def staff(province):
    return make_user("trungtam", Role.CENTRE_STAFF)


@pytest.fixture
def manager(province):
    return make_user("lanhdao", Role.MANAGER)


@pytest.fixture
def viewer(province):
    return make_user("thanhtra", Role.VIEWER)


@pytest.fixture
def sector(db):
    return Sector.objects.get(code="CBNLTS")


def make_facility(locality, sector=None, **fields):
    n = next(_counter)
    defaults = {
        "name": f"Cơ sở thử nghiệm {n}",
        "legal_form": LegalForm.ENTERPRISE,
        "tax_code": f"{4800000000 + n}",
        "main_sector": sector or Sector.objects.get(code="CBNLTS"),
    }
    defaults.update(fields)
    return Facility.objects.create(locality=locality, **defaults)


@pytest.fixture
def facility_a(commune_a1):
    return make_facility(commune_a1, name="Công ty TNHH Giang Hiền", representative="Nông Văn Hiền")


@pytest.fixture
def facility_b(commune_b1):
    return make_facility(commune_b1, name="Hợp tác xã Tâm Hòa")


@pytest.fixture
def login(client):
    def do(user):
        client.force_login(user)
        return client

    return do


def pytest_runtest_setup(item):
    # @pytest.mark.postgres: skip on SQLite with a reason, fail under KC_REQUIRE_SERVICES=1.
    if item.get_closest_marker("postgres"):
        from tests.services import require_postgres

        require_postgres()


REFERENCE_DATA_MIGRATIONS = [
    "facilities.migrations.0003_seed_sectors_and_size_thresholds",
    "projects.migrations.0002_seed_reference_data",
]


def _is_transactional(item) -> bool:
    marker = item.get_closest_marker("django_db")
    return bool(
        (
            marker is not None
            and (marker.kwargs.get("transaction") or (marker.args and marker.args[0]))
        )
        or "transactional_db" in item.fixturenames
        or "live_server" in item.fixturenames
    )


def pytest_collection_modifyitems(items):
    # Serialized rollback is switched off everywhere: mixing it with plain transactional tests
    # breaks on the content types a flush recreates. The fixture below reseeds instead.
    for item in items:
        marker = item.get_closest_marker("django_db")
        if marker is not None and marker.kwargs.get("serialized_rollback"):
            kwargs = {**marker.kwargs, "serialized_rollback": False}
            item.add_marker(pytest.mark.django_db(*marker.args, **kwargs), append=False)


@pytest.fixture(autouse=True)
def _reference_data(request):
    """Transactional tests (races, the real worker, the browser) end with a flush that wipes
    what the data migrations loaded (sectors, size thresholds, funding sources, activity types,
    norms, indicators); put it back before each of them, with the migrations' own functions."""
    if not _is_transactional(request.node):
        return
    import importlib

    from django.apps import apps

    request.getfixturevalue("_django_db_helper")
    for module in REFERENCE_DATA_MIGRATIONS:
        importlib.import_module(module).seed(apps, None)


def run_queued_jobs() -> list[str]:
    """Run every queued background job in this process, as a worker does: the task
    (khuyencong.tasks.run_job) only calls `jobs.run`; tests/khuyencong/test_jobs_worker.py
    runs them on a real worker."""
    from khuyencong import jobs
    from khuyencong.models import Job, JobStatus

    queued = Job.objects.filter(status=JobStatus.QUEUED).order_by("pk")
    return [jobs.run(pk) for pk in queued.values_list("pk", flat=True)]
