"""Each user's private calendar link: made, replaced and revoked here; read by its token only.

The token is shown once, when it is made; the database keeps its SHA-256, so a copy of the
database gives no one a working link."""

import hashlib
import secrets

from django.db import transaction
from django.utils import timezone

from accounts.models import User

from .models import CalendarFeed


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def calendar_feed_create(*, user: User) -> str:
    """Make a new private link for the user, ending the one they had; return its token."""
    calendar_feed_revoke(user=user)
    token = secrets.token_urlsafe(32)
    CalendarFeed.objects.create(user=user, token_hash=_hash(token))
    return token


@transaction.atomic
def calendar_feed_revoke(*, user: User) -> int:
    """End the user's live link, if any; return how many were ended."""
    return CalendarFeed.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def live_calendar_feed(*, user: User) -> CalendarFeed | None:
    """Return the user's live link, if they have one."""
    return CalendarFeed.objects.filter(user=user, revoked_at__isnull=True).first()


def access_calendar_feed(token: str) -> CalendarFeed | None:
    """Return the live link a token opens (with its user, who must still be active), or None."""
    if not token or len(token) > 100:
        return None
    feed = (
        CalendarFeed.objects.select_related("user")
        .filter(token_hash=_hash(token), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if feed is not None:
        # One write per read is fine: phones poll a few times a day.
        CalendarFeed.objects.filter(pk=feed.pk).update(last_read_at=timezone.now())
    return feed
