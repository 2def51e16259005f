"""Reads of the report, dashboard and export pages go to a streaming replica when there is one.

Only the GET and HEAD of views that declare ``replica_reads = True`` (the census reports and
dashboards, with their CSV and Excel exports; see ``ReplicaReadsMiddleware``) and the code in a
``replica_reads()`` block read from the ``replica`` database, and
only while all of these hold: ``DATABASE_REPLICA_URL`` is set, the request has written nothing to the
primary, no transaction is open on the primary, and the replica answered its last check (made at most
every ``DATABASE_REPLICA_CHECK_SECONDS``) streaming and at most ``DATABASE_REPLICA_MAX_LAG`` seconds
behind. Everything else — writes, the sign-in and session reads before the view, every other page,
the workers — uses the primary. A replica that is down, lagging or fails during the page is logged
and the page is read from the primary instead: never an error page.
"""

import contextvars
import logging
import time
from contextlib import contextmanager

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.utils import Error as DatabaseError
from django.http import HttpResponse

log = logging.getLogger(__name__)

REPLICA = "replica"

# Inside a replica_reads() block; and whether that block has written to the primary since.
_reads = contextvars.ContextVar("opendmc_replica_reads", default=False)
_wrote = contextvars.ContextVar("opendmc_replica_wrote", default=False)
_used = contextvars.ContextVar("opendmc_replica_used", default=False)

# The last check of the replica, per process: (monotonic time, usable).
_state = {"at": None, "usable": False}

# How far behind the replica is, in seconds: 0 when it has replayed all it received while streaming;
# otherwise the age of the last transaction it replayed (NULL: none yet). Not a standby: NULL row.
LAG_SQL = """
SELECT pg_is_in_recovery(),
       COALESCE((SELECT status = 'streaming' FROM pg_stat_wal_receiver LIMIT 1), false),
       pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn(),
       EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp())
"""


def replica_configured() -> bool:
    """Return whether a replica database is configured (``DATABASE_REPLICA_URL``)."""
    return REPLICA in settings.DATABASES


def replica_lag() -> float | None:
    """Ask the replica how many seconds it is behind; None when it cannot say (down, not a standby)."""
    with connections[REPLICA].cursor() as cursor:
        cursor.execute(LAG_SQL)
        in_recovery, streaming, caught_up, age = cursor.fetchone()
    if not in_recovery:
        return None
    if streaming and caught_up:
        return 0.0
    return float(age) if age is not None else None


def replica_check() -> bool:
    """Check the replica now and remember the answer; log when it changes."""
    try:
        lag = replica_lag()
        reason = "lag unknown" if lag is None else f"{lag:.1f} s behind"
        usable = lag is not None and lag <= settings.DATABASE_REPLICA_MAX_LAG
    except Exception as exc:  # down, refused, not allowed: all mean "read from the primary"
        reason, usable = f"{type(exc).__name__}: {exc}", False
        _close_replica()
    if usable != _state["usable"] or _state["at"] is None:
        if usable:
            log.info("Reading reports from the replica (%s)", reason)
        else:
            log.warning("The replica is not used, reading from the primary: %s", reason)
    _state.update(at=time.monotonic(), usable=usable)
    return usable


def replica_usable() -> bool:
    """Return whether reads may go to the replica, checking it again when the last check is old."""
    if not replica_configured():
        return False
    at = _state["at"]
    if at is None or time.monotonic() - at >= settings.DATABASE_REPLICA_CHECK_SECONDS:
        return replica_check()
    return _state["usable"]


def replica_state_forget() -> None:
    """Forget the last check: the next read checks the replica again."""
    _state.update(at=None, usable=False)


def _close_replica() -> None:
    try:
        connections[REPLICA].close()
    except Exception:  # a connection that is already broken may fail to close: it is gone anyway
        log.debug("Closing the replica connection failed", exc_info=True)


class PrimaryReplicaRouter:
    """Send reads inside ``replica_reads()`` to the replica when it is usable; the rest to the primary."""

    def db_for_read(self, model, **hints):
        if (
            _reads.get()
            and not _wrote.get()
            and not connections[DEFAULT_DB_ALIAS].in_atomic_block
            and replica_usable()
        ):
            _used.set(True)
            return REPLICA
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints):
        if _reads.get():
            _wrote.set(True)  # read what this request wrote from where it was written
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # one database and its copy

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db != REPLICA  # the copy follows the primary's schema; it is never migrated


@contextmanager
def replica_reads():
    """Let the reads in this block go to the replica (when the router allows it)."""
    tokens = (_reads.set(True), _wrote.set(False), _used.set(False))
    try:
        yield
    finally:
        for var, token in zip((_reads, _wrote, _used), tokens, strict=True):
            var.reset(token)


class ReplicaReadsMiddleware:
    """Serve the GET and HEAD of views that declare ``replica_reads = True`` from the replica.

    The views only declare it (an attribute, no import of this module): the apps stand below
    config. Last in MIDDLEWARE: process_view opens the replica block after every other middleware
    has run its own, and the block lasts while the handler calls the view, applies the template
    response middleware and renders (a TemplateResponse reads its querysets as it renders). When a
    database error ends the view or its rendering after the replica was read and before anything
    was written, the replica is marked down and the whole request is handled again on the primary.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            response = self.get_response(request)
        finally:
            self._close_block(request)
        failure = getattr(request, "_opendmc_replica_failed", None)
        if failure is None:
            return response
        log.warning(
            "The replica failed during %s (%s: %s); reading it from the primary",
            request.path, type(failure).__name__, failure,
        )  # fmt: skip
        _close_replica()
        _state.update(at=time.monotonic(), usable=False)
        request._opendmc_replica_failed = None
        request._opendmc_replica_retry = True
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        view_class = getattr(view_func, "view_class", view_func)
        if (
            getattr(view_class, "replica_reads", False)
            and request.method in ("GET", "HEAD")
            and replica_configured()
            and not getattr(request, "_opendmc_replica_retry", False)
        ):
            request._opendmc_replica_tokens = (
                _reads.set(True),
                _wrote.set(False),
                _used.set(False),
            )
        return None

    def process_exception(self, request, exception):
        if (
            getattr(request, "_opendmc_replica_tokens", None)
            and isinstance(exception, DatabaseError)
            and _used.get()
            and not _wrote.get()
        ):
            request._opendmc_replica_failed = exception
            return HttpResponse(status=503)  # never sent: the request is handled again
        return None

    @staticmethod
    def _close_block(request):
        tokens = getattr(request, "_opendmc_replica_tokens", None)
        if tokens:
            for var, token in zip((_reads, _wrote, _used), tokens, strict=True):
                var.reset(token)
            request._opendmc_replica_tokens = None
