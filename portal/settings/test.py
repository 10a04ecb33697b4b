"""Test settings: the base settings, made fast and hermetic. The database comes from DATABASE_URL as usual."""

from __future__ import annotations

from portal.settings.base import *  # noqa: F403
from portal.settings.base import VAR_DIR

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
CELERY_TASK_ALWAYS_EAGER = True
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
MEDIA_ROOT = VAR_DIR / "test-media"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Most tests sign agents in without a second factor; the tests of that rule turn it on.
MFA_REQUIRED_FOR_STAFF = False
# The test client and the browser tests' live server speak plain HTTP; test_security_headers.py turns HTTPS on.
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
