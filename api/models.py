"""API keys and the stored answers of writes sent with an Idempotency-Key."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ApiKeyQuerySet(models.QuerySet):
    def usable(self, at=None):
        """Return the keys neither revoked nor expired (at a moment, now by default)."""
        return self.filter(revoked_at__isnull=True, expires_at__gt=at or timezone.now())


class ApiKey(models.Model):
    """A school's or an area office's key for its own systems: a name, scopes, an expiry.

    Only a SHA-256 of the secret is kept: the key is shown once, when it is created. Each key acts
    through its own principal, a user that cannot sign in, whose name (the key's) is on every
    audit entry of what the key changes."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=80)
    # The first characters of the key, shown on the page so that a school tells its keys apart.
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64, unique=True)
    school = models.ForeignKey(
        "schools.School", on_delete=models.PROTECT, null=True, blank=True, related_name="api_keys"
    )
    area_office = models.ForeignKey(
        "schools.AreaOffice",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="api_keys",
    )
    can_write = models.BooleanField(_("may write"), default=False)
    principal = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_key"
    )
    expires_at = models.DateTimeField(_("expires at"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        constraints = [
            models.CheckConstraint(
                name="apikey_school_or_area",
                condition=Q(school__isnull=False, area_office__isnull=True)
                | Q(school__isnull=True, area_office__isnull=False),
            ),
            # An area office's key reads only: the writes of the API are a school's roster.
            models.CheckConstraint(
                name="apikey_area_reads_only",
                condition=Q(area_office__isnull=True) | Q(can_write=False),
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def place(self):
        """Return the school or area office the key acts for."""
        return self.school or self.area_office

    @property
    def scopes(self) -> list[str]:
        """Return the key's scopes as the API names them."""
        return ["read", "write"] if self.can_write else ["read"]

    def is_usable(self, at=None) -> bool:
        """Return whether the key is neither revoked nor expired."""
        return self.revoked_at is None and self.expires_at > (at or timezone.now())


class IdempotentWrite(models.Model):
    """The answer given to a write sent with an Idempotency-Key: the same key from the same caller
    gets this answer again instead of acting twice."""

    api_key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="writes")
    key = models.CharField(max_length=255)
    # SHA-256 of the method, path and body: the same key with another request is refused.
    fingerprint = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField()
    body = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["api_key", "key"], name="idempotent_write_once"),
        ]

    def __str__(self):
        return f"{self.api_key_id} {self.key} → {self.status}"
