"""Production: PostgreSQL, Redis, gunicorn, a real signing key. Every secret comes from the environment."""

from django.core.exceptions import ImproperlyConfigured
from whitenoise.compress import Compressor

from .base import *  # noqa: F403
from .base import LOGGING, env, pooled, replica_database

DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
CELERY_TASK_ALWAYS_EAGER = False

# Required: no SQLite and no in-memory broker fall-back in production.
DATABASES = {"default": pooled(env.db("DATABASE_URL"))}
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("DATABASE_URL must name a PostgreSQL database (postgres://…).")
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# gunicorn's sync workers keep their connection between requests; checked before reuse. Behind
# PgBouncer (DATABASE_POOLER=pgbouncer) the kept connection is to PgBouncer, which holds a server
# connection only during a transaction: keeping it (the default 60 s) saves a connect per request;
# DB_CONN_MAX_AGE=0 opens one to PgBouncer per request, cheap too.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if replica := replica_database(DATABASES["default"]):
    DATABASES["replica"] = replica
CELERY_BROKER_URL = env("CELERY_BROKER_URL")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Long roster annexes get a queue (and workers) of their own, so that a school's 80-page annex
# never waits behind, or holds up, the short work of the default queue.
CELERY_TASK_ROUTES = {
    "documents.tasks.render_annex": {"queue": env("CELERY_ANNEX_QUEUE", default="annexes")},
}

# Kept report figures (census.allocation.allocation_figures) shared by every web worker and
# machine; without CACHE_URL each worker keeps its own in memory.
if env("CACHE_URL", default=""):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": env("CACHE_URL"),
        }
    }

# EMAIL_URL, e.g. smtp+tls://user:password@smtp.example.go.th:587
vars().update(env.email_url("EMAIL_URL", default="smtp://localhost:25"))

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# nginx in front (deploy/nginx-opendmc.conf) appends the client's address to X-Forwarded-For.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=1)
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
# Load balancers probe the health endpoint over plain HTTP on the private network.
SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Not compressed at collectstatic: source maps (opened by developers' tools, never by a page) and the
# desktop font formats a browser never asks for when it has the woff2 beside them (viewflow's icon
# fonts). They took 70 % of collectstatic's compression time (71 of 97 CPU seconds) for nobody.
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = (
    *Compressor.SKIP_COMPRESS_EXTENSIONS,
    "map",
    "ttf",
    "otf",
    "eot",
)

# One line per event on stdout, for journald or the container's log collector.
LOGGING = {
    **LOGGING,
    "formatters": {
        **LOGGING.get("formatters", {}),
        "line": {"format": "%(asctime)s %(levelname)s %(name)s %(process)d %(message)s"},
    },
    "handlers": {
        **LOGGING["handlers"],
        "console": {
            **LOGGING["handlers"]["console"],
            "stream": "ext://sys.stdout",
            "formatter": "line",
        },
    },
}
