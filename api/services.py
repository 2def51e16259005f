"""Writes of the API's own data: keys (created, revoked, used) and the stored answers of writes."""

import hashlib
import secrets
import uuid
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.permissions import (
    api_principal_grant,
    api_principal_revoke,
    can_manage_api_keys,
)
from schools.models import AreaOffice, School

from .models import ApiKey, IdempotentWrite

KEY_PREFIX = "odmc_"


def key_digest(secret: str) -> str:
    """Return the SHA-256 kept of a key (the key itself is never stored)."""
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def api_key_create(
    *,
    actor: User,
    name: str,
    expires_at: datetime,
    can_write: bool,
    school: School | None = None,
    area_office: AreaOffice | None = None,
) -> tuple[ApiKey, str]:
    """Create a key for a school or an area office; return it and its secret, shown only once."""
    if not can_manage_api_keys(actor, school=school, area_office=area_office):
        raise ValidationError(_("You may not manage the API keys of this place."), code="denied")
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Name the key (the system that will use it).")})
    if expires_at <= timezone.now():
        raise ValidationError({"expires_at": _("The expiry must be in the future.")})
    if area_office is not None and can_write:
        raise ValidationError(
            {"can_write": _("An area office's key reads only.")}, code="area_reads_only"
        )
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    principal = User(
        username=f"api-key-{uuid.uuid4().hex[:20]}",
        first_name=_("API key: %(name)s") % {"name": name},
    )
    principal.set_unusable_password()
    principal.save()
    key = ApiKey.objects.create(
        name=name,
        prefix=secret[: len(KEY_PREFIX) + 8],
        key_hash=key_digest(secret),
        school=school,
        area_office=area_office,
        can_write=can_write,
        principal=principal,
        expires_at=expires_at,
        created_by=actor,
    )
    api_principal_grant(principal, school=school, area_office=area_office, write=can_write)
    return key, secret


@transaction.atomic
def api_key_revoke(*, key: ApiKey, actor: User) -> ApiKey:
    """Revoke a key at once: its next call is refused; what it did stays, with its name."""
    key = ApiKey.objects.select_for_update().get(pk=key.pk)
    if not can_manage_api_keys(actor, school=key.school, area_office=key.area_office):
        raise ValidationError(_("You may not manage the API keys of this place."), code="denied")
    if key.revoked_at is not None:
        return key
    key.revoked_at, key.revoked_by = timezone.now(), actor
    key.save(update_fields=["revoked_at", "revoked_by"])
    api_principal_revoke(key.principal)
    return key


def api_key_used(*, key: ApiKey) -> None:
    """Note that a key was used (at most once a minute, so that reads stay reads)."""
    now = timezone.now()
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() >= 60:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now


def idempotent_write_record(
    *, api_key: ApiKey, key: str, fingerprint: str, status: int, body
) -> IdempotentWrite:
    """Store the answer of a write sent with an Idempotency-Key, inside the write's transaction."""
    try:
        with transaction.atomic():
            return IdempotentWrite.objects.create(
                api_key=api_key, key=key, fingerprint=fingerprint, status=status, body=body
            )
    except IntegrityError:
        # The same key raced in from a retry: the write of the other one is the one that stands.
        raise IdempotencyConflict from None


class IdempotencyConflict(Exception):
    """A write with this Idempotency-Key is in progress or was done with another request."""
