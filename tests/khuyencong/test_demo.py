import io

import pytest
from django.core.management import call_command

from facilities.models import Facility, Recognition
from khuyencong.models import Locality, Role, User

pytestmark = pytest.mark.django_db


def test_seed_demo_is_idempotent_and_has_what_the_readme_promises():
    call_command("seed_demo", stdout=io.StringIO())
    counts = (Facility.objects.count(), User.objects.count(), Locality.objects.count())
    call_command("seed_demo", stdout=io.StringIO())
    assert (Facility.objects.count(), User.objects.count(), Locality.objects.count()) == counts

    assert Facility.objects.count() >= 40
    for name in [
        "Công ty TNHH Giang Hiền",
        "Hợp tác xã Ngôi Sao Sáng",
        "Công ty TNHH MTV Du Trọng Đại",
        "Hợp tác xã Tâm Hòa",
        "Công ty TNHH MTV 688",
    ]:
        assert Facility.objects.filter(name=name).exists(), name
    assert Facility.objects.values("locality").distinct().count() >= 5
    roles = dict(User.objects.values_list("username", "role"))
    assert roles["trungtam"] == Role.CENTRE_STAFF
    assert roles["diaban"] == Role.DISTRICT_OFFICER
    assert roles["lanhdao"] == Role.MANAGER
    assert roles["thanhtra"] == Role.VIEWER
    assert User.objects.get(username="diaban").check_password("khuyencong")
    assert Recognition.objects.filter(level="national").count() >= 3


def test_no_demo_account_exists_without_the_demo_command():
    assert not User.objects.filter(username__in=["trungtam", "diaban", "lanhdao"]).exists()
