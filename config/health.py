"""The health endpoint for load balancers and monitors: is the database up, is the broker up.

It needs no login and shows no data: only "ok" or "error" for each part, 200 when both answer
and 503 naming the part that does not. The reason is logged, never shown.
"""

import logging

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from kombu import Connection

log = logging.getLogger(__name__)

# A monitor polls every few seconds: a broker that does not answer in this time counts as down.
DEFAULT_TIMEOUT = 2.0


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
    """Return {"database": "ok", "broker": "ok"} with 200, or 503 naming what failed."""
    timeout = getattr(settings, "HEALTH_CHECK_TIMEOUT", DEFAULT_TIMEOUT)
    parts = {
        "database": _state("database", database_check),
        "broker": _state("broker", lambda: broker_check(timeout=timeout)),
    }
    healthy = all(state == "ok" for state in parts.values())
    return JsonResponse(parts, status=200 if healthy else 503)
