from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.models import UserObjectPermissionBase


class User(AbstractUser):
    """A person who signs in: school staff, a director, an area officer, an approver or a ministry admin."""

    title = models.CharField(_("title"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.display_name

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
            models.CheckConstraint(
                name="membership_scope_fits_role",
                condition=(
                    Q(role__in=SCHOOL_ROLES, school__isnull=False, area_office__isnull=True)
                    | Q(role__in=AREA_ROLES, school__isnull=True, area_office__isnull=False)
                    | Q(role__in=AREA_OR_NATIONAL_ROLES, school__isnull=True)
                    | Q(role__in=NATIONAL_ROLES, school__isnull=True, area_office__isnull=True)
                ),
            ),
            models.CheckConstraint(
                name="membership_ends_after_start",
                condition=Q(ends_on__isnull=True) | Q(ends_on__gt=models.F("starts_on")),
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
