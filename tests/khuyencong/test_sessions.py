"""khuyencong/sessions.py reads a session by SQL written once: it must load what Django's
database store loads."""

import datetime

import pytest
from django.contrib.sessions.backends.db import SessionStore as DjangoStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from khuyencong.sessions import SessionStore

pytestmark = pytest.mark.django_db


def test_it_loads_a_saved_session_as_djangos_store_does():
    saved = SessionStore()
    saved["kc_last_activity"] = 12345
    saved.save()
    ours = SessionStore(saved.session_key)
    assert ours.load() == DjangoStore(saved.session_key).load() == {"kc_last_activity": 12345}
    assert ours.session_key == saved.session_key
    # The expiry date, not read with the row, is read when asked for.
    expected = Session.objects.get(pk=saved.session_key).expire_date
    assert ours._get_session_from_db().expire_date == expected


def test_an_expired_or_unknown_session_loads_empty_and_drops_its_key():
    saved = SessionStore()
    saved["x"] = 1
    saved.save()
    Session.objects.filter(pk=saved.session_key).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)
    )
    for key in (saved.session_key, "nosuchsessionkey"):
        store = SessionStore(key)
        assert store.load() == {}
        assert store.session_key is None
