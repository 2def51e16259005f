"""The embedded default: SQLite, Celery in-process, emails to files. Needs no environment variable."""

from .base import *  # noqa: F403
from .base import MIDDLEWARE, VAR_DIR, env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
# A fixed key is acceptable only here: the embedded default never faces the internet.
SECRET_KEY = env("DJANGO_SECRET_KEY", default="opendmc-local-development-key-not-for-production")  # noqa: S105
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = str(VAR_DIR / "mail")

# runserver and the test client serve static files themselves; WhiteNoise serves them in production.
MIDDLEWARE = [m for m in MIDDLEWARE if not m.startswith("whitenoise")]
