import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from guardian.models import UserObjectPermissionBase

from .devices import device_name


class User(AbstractUser):
    """A person who signs in: school staff, a director, an area officer, an approver or a ministry admin."""

    # The person's page is addressed by this, never by the guessable primary key.
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=30, blank=True)
    # Links a national sign-in (ThaiD) to this login; set by whoever invites the person, never by the person.
    citizen_id = models.CharField(
        _("citizen ID"), max_length=13, null=True, blank=True, unique=True
    )
    # Mixed into the session hash: a new value ends every session of this user ("log out everywhere").
    session_salt = models.CharField(max_length=32, blank=True, editable=False)
    # The language the pages speak after sign-in, on every device; empty follows the language
    # switch of the device, else the site's default (Thai).
    language = models.CharField(
        _("language"), max_length=8, blank=True, choices=[("th", _("Thai")), ("en", _("English"))]
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.display_name

    def get_session_auth_hash(self) -> str:
        """Return an HMAC of the password and the session salt: a change of either ends the sessions."""
        return self._salted_session_auth_hash(settings.SECRET_KEY)

    def get_session_auth_fallback_hash(self):
        """Yield the hash under each fallback secret key, as Django does while keys rotate."""
        for secret in settings.SECRET_KEY_FALLBACKS:
            yield self._salted_session_auth_hash(secret)

    def _salted_session_auth_hash(self, secret: str) -> str:
        # Django's own key salt and message when there is no salt yet: the sessions that were
        # signed in before the salt existed stay signed in.
        return salted_hmac(
            "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash",
            self.password + self.session_salt,
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    @property
    def display_name(self) -> str:
        """Return the name to print on pages and signed records."""
        full = " ".join(part for part in (self.title + self.first_name, self.last_name) if part)
        return full or self.username


class Role(models.TextChoices):
    STAFF = "staff", _("School data officer")
    DIRECTOR = "director", _("School director")
    AREA_OFFICER = "area_officer", _("Area office officer")
    ID_APPROVER = "id_approver", _("Citizen-ID approver")
    MINISTRY_ADMIN = "ministry_admin", _("Ministry admin (OBEC)")


SCHOOL_ROLES = (Role.STAFF, Role.DIRECTOR)
AREA_ROLES = (Role.AREA_OFFICER,)
AREA_OR_NATIONAL_ROLES = (Role.ID_APPROVER,)
NATIONAL_ROLES = (Role.MINISTRY_ADMIN,)


def scope_fits_role(name: str) -> models.CheckConstraint:
    """Return the constraint that a role sits at a school, an area office or nationally, as it must."""
    return models.CheckConstraint(
        name=name,
        condition=(
            Q(role__in=SCHOOL_ROLES, school__isnull=False, area_office__isnull=True)
            | Q(role__in=AREA_ROLES, school__isnull=True, area_office__isnull=False)
            | Q(role__in=AREA_OR_NATIONAL_ROLES, school__isnull=True)
            | Q(role__in=NATIONAL_ROLES, school__isnull=True, area_office__isnull=True)
        ),
    )


class MembershipQuerySet(models.QuerySet):
    def active(self, on=None):
        """Return the memberships in force on a date (today by default)."""
        on = on or timezone.localdate()
        return self.filter(starts_on__lte=on).filter(Q(ends_on__isnull=True) | Q(ends_on__gt=on))


class Membership(models.Model):
    """A user's role at one school, one area office, or nationally, from a start date to an end date."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    school = models.ForeignKey(
        "schools.School",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="memberships",
    )
    area_office = models.ForeignKey(
        "schools.AreaOffice",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="memberships",
    )
    starts_on = models.DateField(_("starts on"), default=timezone.localdate)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            scope_fits_role("membership_scope_fits_role"),
            # Ending on the start day leaves a role never in force: a role given by mistake
            # (an invitation accepted by the wrong person) is taken back the same day.
            models.CheckConstraint(
                name="membership_ends_on_or_after_start",
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
            ),
        ]
        indexes = [models.Index(fields=["user", "role"])]

    def __str__(self):
        scope = self.school or self.area_office or _("national")
        return f"{self.user} · {self.get_role_display()} · {scope}"

    def is_active(self, on=None) -> bool:
        """Return whether the membership is in force on a date (today by default)."""
        on = on or timezone.localdate()
        return self.starts_on <= on and (self.ends_on is None or self.ends_on > on)


class InvitationQuerySet(models.QuerySet):
    def pending(self, at=None):
        """Return the invitations neither accepted, withdrawn nor expired (at a moment, now by default)."""
        return self.filter(
            accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=at or timezone.now()
        )


class Invitation(models.Model):
    """An e-mailed offer of a role at a place: the link sets a password (or signs in) and accepts it.

    Only a hash of the link's secret is kept: a copy of the database gives nobody a working link."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    invited_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    email = models.EmailField(_("e-mail"))
    title = models.CharField(_("title"), max_length=30, blank=True)
    first_name = models.CharField(_("first name"), max_length=150)
    last_name = models.CharField(_("last name"), max_length=150, blank=True)
    # Becomes User.citizen_id when the invitation is accepted (the link to a national sign-in).
    citizen_id = models.CharField(_("citizen ID"), max_length=13, blank=True)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    school = models.ForeignKey(
        "schools.School", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    area_office = models.ForeignKey(
        "schools.AreaOffice", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # SHA-256 of the secret in the last link sent; a new sending replaces it (and the older link).
    token_hash = models.CharField(max_length=64, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = InvitationQuerySet.as_manager()

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            scope_fits_role("invitation_scope_fits_role"),
            models.CheckConstraint(
                name="invitation_accepted_or_revoked_not_both",
                condition=Q(accepted_at__isnull=True) | Q(revoked_at__isnull=True),
            ),
        ]
        indexes = [models.Index(fields=["email"])]

    def __str__(self):
        return f"{self.email} · {self.get_role_display()}"

    @property
    def display_name(self) -> str:
        """Return the invited person's name as the invitation gives it."""
        return " ".join(p for p in (self.title + self.first_name, self.last_name) if p)

    @property
    def place(self):
        """Return the school or area office of the role, or None for a national role."""
        return self.school or self.area_office


class RoleChange(models.Model):
    """One change to who holds which role where: who did it, when, what. Written, never edited."""

    class Action(models.TextChoices):
        INVITED = "invited", _("Invited")
        INVITATION_SENT = "invitation_sent", _("Invitation e-mailed")
        INVITATION_REVOKED = "invitation_revoked", _("Invitation withdrawn")
        INVITATION_ACCEPTED = "invitation_accepted", _("Invitation accepted")
        GRANTED = "granted", _("Role given")
        ENDED = "ended", _("Role ended")
        # A sign-in through ThaiD (OpenID Connect), and one refused: role and scope left empty.
        OIDC_SIGNED_IN = "oidc_signed_in", _("Signed in with ThaiD")
        OIDC_REFUSED = "oidc_refused", _("ThaiD sign-in refused")

    actor = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    action = models.CharField(_("action"), max_length=24, choices=Action.choices)
    user = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="role_changes"
    )
    # The person's address, for an invitation sent before the person has an account.
    email = models.EmailField(_("e-mail"), blank=True)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, blank=True)
    school = models.ForeignKey(
        "schools.School", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    area_office = models.ForeignKey(
        "schools.AreaOffice", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    invitation = models.ForeignKey(
        Invitation, on_delete=models.PROTECT, null=True, blank=True, related_name="changes"
    )
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("role change")
        verbose_name_plural = _("role changes")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.get_action_display()} {self.role}"

    @property
    def place(self):
        """Return the school or area office the change is about, or None for a national role."""
        return self.school or self.area_office


class UserSession(models.Model):
    """A signed-in session of a person, as the profile lists it: device, address, last seen.

    Keyed by the session's key, written by accounts.middleware.SessionActivityMiddleware (at most
    once a minute) whatever the session backend; ending a session deletes it from the session
    store and this row."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sessions")
    session_key = models.CharField(max_length=40, unique=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)
    ip_address = models.GenericIPAddressField(_("address"), null=True, blank=True)
    created_at = models.DateTimeField(_("signed in"), auto_now_add=True)
    last_seen = models.DateTimeField(_("last seen"), default=timezone.now)

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        indexes = [models.Index(fields=["user", "last_seen"])]

    def __str__(self):
        return f"{self.user} · {self.ip_address or '-'} · {self.last_seen:%Y-%m-%d %H:%M}"

    @property
    def device(self) -> str:
        """Return the browser and system of the session, as a person reads them."""
        return device_name(self.user_agent)


class SecurityEvent(models.Model):
    """One event of a person's sign-in security: a second factor enrolled, replaced, reset or
    refused, a lockout, a recovery code used, sessions ended. Written, never edited."""

    class Action(models.TextChoices):
        FACTOR_ENROLLED = "factor_enrolled", _("Second factor enrolled")
        FACTOR_REPLACED = "factor_replaced", _("Second factor replaced")
        FACTOR_RESET = "factor_reset", _("Second factor reset")
        FACTOR_VERIFIED = "factor_verified", _("Second factor code accepted")
        FACTOR_REFUSED = "factor_refused", _("Second factor code refused")
        FACTOR_LOCKED = "factor_locked", _("Second factor locked out")
        RECOVERY_USED = "recovery_used", _("Recovery code used")
        RECOVERY_REGENERATED = "recovery_regenerated", _("New recovery codes made")
        SESSION_ENDED = "session_ended", _("Session ended")
        SESSIONS_ENDED = "sessions_ended", _("Sessions ended")

    actor = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="security_events")
    action = models.CharField(_("action"), max_length=24, choices=Action.choices)
    ip_address = models.GenericIPAddressField(_("address"), null=True, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("security event")
        verbose_name_plural = _("security events")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.get_action_display()} {self.user_id}"


# Direct foreign-key object-permission tables: guardian joins on a real key instead of a text pk,
# so "schools this user may see" is one indexed join.
class SchoolUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey("schools.School", on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("school permission")


class AreaOfficeUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey("schools.AreaOffice", on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("area office permission")


class OutboxTask(models.Model):
    """A Celery task the broker refused (down): kept here, queued again by beat once it is back.

    Only refused sends are kept (accounts/outbox.py): a page that queued its e-mail or annex while
    the broker was down has saved its change all the same, and loses nothing."""

    task = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveIntegerField(default=1)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return f"{self.task}{tuple(self.args)}"
