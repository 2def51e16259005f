"""The sessions a person can see on their profile, and ending them.

A row of UserSession per signed-in session, keyed by the session's key: written by
accounts.middleware.SessionActivityMiddleware at most once every SESSION_SEEN_EVERY seconds (a
key in the cache says it was written within that time, so the other requests cost no query). A
table of our own rather than a session backend that records the user: it works with whichever
session store a deployment chooses (database, cache, signed cookies aside), and the list of a
person's sessions is one indexed query instead of a scan of every session's data.

Ending a session deletes it from the session store, so its next request is signed out; ending
every session also gives the session hash a new salt (User.session_salt), which ends the sessions
no row knows of (signed in before this table existed).
"""

import logging
import secrets
from datetime import date, datetime, time
from importlib import import_module

from axes.helpers import get_client_ip_address as client_ip
from django.conf import settings
from django.contrib.auth import update_session_auth_hash
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from .audit import security_event_record
from .models import Membership, SecurityEvent, User, UserSession

log = logging.getLogger("accounts")

SEEN_KEY = "dmc_seen"


def _store_delete(session_keys: list[str]) -> None:
    # In the change's transaction: a rolled-back change at worst signed a device out early.
    store = import_module(settings.SESSION_ENGINE).SessionStore
    for key in session_keys:
        store(session_key=key).delete()


def session_seen(*, request: HttpRequest, at: datetime | None = None) -> None:
    """Record this session's device, address and time, unless it was recorded within the minute.

    The minute is kept in the cache, not in the session: a session written every minute would
    have its expiry pushed back by every page (sliding), where it now ends SESSION_COOKIE_AGE
    after it was last changed, as before. Without a shared cache each worker writes once a minute."""
    key = request.session.session_key
    if key is None or not cache.add(f"{SEEN_KEY}:{key}", 1, timeout=settings.SESSION_SEEN_EVERY):
        return
    fields = {
        "user_agent": request.headers.get("User-Agent", "")[:300],
        "ip_address": client_ip(request) or None,
        "last_seen": at or timezone.now(),
    }
    updated = UserSession.objects.filter(session_key=key, user=request.user).update(**fields)
    if not updated:
        UserSession.objects.create(session_key=key, user=request.user, **fields)


@transaction.atomic
def user_session_end(*, session: UserSession, actor: User, ip_address: str | None = None) -> None:
    """End one session of a person: its next request is signed out."""
    key = session.session_key
    session.delete()
    _store_delete([key])
    security_event_record(
        action=SecurityEvent.Action.SESSION_ENDED, user=session.user, actor=actor,
        ip_address=ip_address, details={"session": str(session.public_id)},
    )  # fmt: skip
    log.info("user %s ended a session of user %s", actor.pk, session.user_id)


@transaction.atomic
def user_sessions_end(
    *,
    user: User,
    keep: str | None = None,
    actor: User | None = None,
    reason: str = "",
    ip_address: str | None = None,
) -> User:
    """End every session of the user (on every device) except the one keyed ``keep``.

    The caller that keeps its own session calls update_session_auth_hash after this."""
    user.session_salt = secrets.token_hex(16)
    user.save(update_fields=["session_salt"])
    rows = UserSession.objects.filter(user=user)
    if keep:
        rows = rows.exclude(session_key=keep)
    keys = list(rows.values_list("session_key", flat=True))
    rows.delete()
    _store_delete(keys)
    security_event_record(
        action=SecurityEvent.Action.SESSIONS_ENDED, user=user, actor=actor,
        ip_address=ip_address, details={"reason": reason, "count": len(keys)},
    )  # fmt: skip
    log.info("sessions of user %s ended (%s)", user.pk, reason or "asked")
    return user


def session_keep(*, request: HttpRequest, old_key: str | None = None) -> None:
    """Keep this session signed in after a new password or session salt: a new hash and a new
    key (update_session_auth_hash), and its row follows the key. The person's other rows go:
    those sessions ended with the old hash."""
    old_key = old_key or request.session.session_key
    if request.session.session_key == old_key:
        update_session_auth_hash(request, request.user)
    new_key = request.session.session_key
    UserSession.objects.filter(user=request.user, session_key=old_key).update(session_key=new_key)
    others = UserSession.objects.filter(user=request.user).exclude(session_key=new_key)
    keys = list(others.values_list("session_key", flat=True))
    others.delete()
    _store_delete(keys)


@transaction.atomic
def sessions_end_for_roles_ended(*, on: date | None = None) -> int:
    """End the sessions signed in before the day a role ended (today by default), of the people
    whose role ends that day: a role ended ahead of time ends its sessions when it ends.

    Run with the hourly permission sync; idempotent (the ended sessions' rows are gone)."""
    on = on or timezone.localdate()
    midnight = timezone.make_aware(datetime.combine(on, time.min))
    rows = UserSession.objects.filter(
        user__in=Membership.objects.filter(ends_on=on).values("user_id"), created_at__lt=midnight
    )
    keys = list(rows.values_list("session_key", flat=True))
    rows.delete()
    _store_delete(keys)
    return len(keys)
