"""Settings for the test suite: SQLite by default (tests/conftest.py puts it in a file), PostgreSQL
when DATABASE_URL says so."""

from .base import *  # noqa: F403
from .base import DATABASES, MIDDLEWARE, SQLITE_OPTIONS, env, pooled

SECRET_KEY = "opendmc-test-key"  # noqa: S105
DEBUG = False
DATABASES["default"] = pooled(env.db("DATABASE_URL", default="sqlite:///:memory:"))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = dict(SQLITE_OPTIONS)
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True
CELERY_BROKER_URL = "memory://"
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
LANGUAGE_CODE = "th"

# runserver and the test client serve static files themselves; WhiteNoise serves them in production.
MIDDLEWARE = [m for m in MIDDLEWARE if not m.startswith("whitenoise")]

import tempfile  # noqa: E402

DEMO_SAMPLES_DIR = f"{tempfile.gettempdir()}/opendmc-test-samples"
