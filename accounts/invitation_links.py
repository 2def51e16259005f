"""The invitation link: signed (a forged one costs no database read) and single use; the database
keeps only a hash of its secret, so a copy of the database opens no door."""

import hashlib
import secrets
import uuid

from django.core import signing
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from .models import Invitation

LINK_SALT = "accounts.invitation"


class LinkRefused(Exception):
    """The link cannot be used; ``reason`` says why: tampered, expired, used or revoked."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def secret_hash(secret: str) -> str:
    """Return the hash of a link's secret, as stored on the invitation."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> str:
    """Return a fresh secret for a link."""
    return secrets.token_urlsafe(32)


def link_token(invitation: Invitation, secret: str) -> str:
    """Return the signed token of the link that carries the secret."""
    return signing.dumps({"i": str(invitation.public_id), "n": secret}, salt=LINK_SALT)


def check_pending(invitation: Invitation) -> None:
    """Raise LinkRefused unless the invitation may still be accepted."""
    if invitation.revoked_at is not None:
        raise LinkRefused("revoked")
    if invitation.accepted_at is not None:
        raise LinkRefused("used")
    if invitation.expires_at <= timezone.now():
        raise LinkRefused("expired")


def invitation_from_token(token: str, *, for_update: bool = False) -> Invitation:
    """Return the invitation a link opens, still pending; raise LinkRefused otherwise."""
    try:
        data = signing.loads(token, salt=LINK_SALT)
        public_id, secret = uuid.UUID(str(data["i"])), str(data["n"])
    except (signing.BadSignature, KeyError, TypeError, ValueError, AttributeError):
        raise LinkRefused("tampered") from None
    invitations = Invitation.objects.select_related("school__area_office", "area_office")
    if for_update:
        invitations = invitations.select_for_update(of=("self",))
    invitation = invitations.filter(public_id=public_id).first()
    # A link replaced by a newer e-mail fails here too: its secret is not the stored one.
    if invitation is None or not constant_time_compare(
        invitation.token_hash or "", secret_hash(secret)
    ):
        raise LinkRefused("tampered")
    check_pending(invitation)
    return invitation
