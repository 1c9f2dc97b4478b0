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
