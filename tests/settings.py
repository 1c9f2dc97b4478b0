"""Test settings: the real settings, with a fast password hasher and a throwaway media dir."""

import os
import tempfile

os.environ.setdefault("DEBUG", "1")

from khuyencong.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = tempfile.mkdtemp(prefix="kc-test-media-")
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
LANGUAGE_CODE = "vi"
STATIC_ROOT = tempfile.mkdtemp(prefix="kc-test-static-")
# Test personas sign in with `force_login` (no second factor, no idle clock): the sign-in
# rules are off by default here and switched on by their own tests (tests/khuyencong/
# test_auth_security.py) with the `settings` fixture.
TWO_FACTOR_REQUIRED = False
SESSION_IDLE_TIMEOUT_MINUTES = 0
