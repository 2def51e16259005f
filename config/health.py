"""The health endpoint for load balancers and monitors: which part of the installation answers.

It needs no login and shows no data: "ok" or "error" for the database, the broker, and, when they
are configured, the streaming replica and the Redis cache. The status is 503 only when the database
does not answer, the one part a web node cannot serve without: with the broker down the count day
goes on (the state is committed; records, e-mails and annexes wait in the outbox,
accounts/outbox.py), with the replica down the reports are read from the primary, and a load
balancer must not take every web node out for either. The reason is logged, never shown.
"""

import logging

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.cache import caches
from django.db import connection, connections
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from kombu import Connection

from .db_router import REPLICA, replica_check, replica_configured

log = logging.getLogger(__name__)

# A monitor polls every few seconds: a broker that does not answer in this time counts as down.
DEFAULT_TIMEOUT = 2.0
REDIS_CACHE = "django.core.cache.backends.redis.RedisCache"


def database_check() -> None:
    """Run SELECT 1 on the default database; raise if it does not answer."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def broker_check(*, timeout: float) -> None:
    """Connect to the Celery broker once, giving up after ``timeout`` seconds; raise if it fails."""
    options = {"socket_connect_timeout": timeout, "socket_timeout": timeout}
    with Connection(
        settings.CELERY_BROKER_URL, connect_timeout=timeout, transport_options=options
    ) as broker:
        broker.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=timeout)


def replica_health_check() -> None:
    """Raise unless the replica streams, within DATABASE_REPLICA_MAX_LAG (config/db_router.py)."""
    if not replica_check():
        raise RuntimeError("the replica is down or too far behind")
    connections[REPLICA].close()


def cache_check() -> None:
    """Write and read a key in the shared Redis cache; raise if it does not answer."""
    cache = caches["default"]
    cache.set("opendmc:healthz", "ok", 10)
    if cache.get("opendmc:healthz") != "ok":
        raise RuntimeError("the cache did not keep a key")


def _state(name: str, check) -> str:
    try:
        check()
    except Exception:  # any failure means "down"; the reason goes to the log, not to the caller
        log.exception("Health check failed: %s", name)
        return "error"
    return "ok"


@login_not_required
@never_cache
@require_GET
def health(request):
    """Return {"database": "ok", "broker": "ok", …}: 200 while the database answers, 503 if not."""
    timeout = getattr(settings, "HEALTH_CHECK_TIMEOUT", DEFAULT_TIMEOUT)
    parts = {
        "database": _state("database", database_check),
        "broker": _state("broker", lambda: broker_check(timeout=timeout)),
    }
    if replica_configured():
        parts["replica"] = _state("replica", replica_health_check)
    if settings.CACHES["default"]["BACKEND"] == REDIS_CACHE:
        parts["cache"] = _state("cache", cache_check)
    return JsonResponse(parts, status=200 if parts["database"] == "ok" else 503)
