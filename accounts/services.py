"""Writes to people and roles. Object permissions follow memberships through accounts.permissions."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from schools.models import AreaOffice, School

from .models import Membership, User
from .permissions import sync_user_permissions


@transaction.atomic
def membership_create(
    *,
    user: User,
    role: str,
    school: School | None = None,
    area_office: AreaOffice | None = None,
    starts_on: date | None = None,
    ends_on: date | None = None,
) -> Membership:
    """Give a user a role at a school, an area office, or nationally, and grant its permissions."""
    membership = Membership(
        user=user,
        role=role,
        school=school,
        area_office=area_office,
        starts_on=starts_on or timezone.localdate(),
        ends_on=ends_on,
    )
    membership.full_clean()
    membership.save()
    sync_user_permissions(user)
    return membership


@transaction.atomic
def membership_end(*, membership: Membership, on: date | None = None) -> Membership:
    """End a membership on a date (today by default) and revoke what it granted."""
    on = on or timezone.localdate()
    if on <= membership.starts_on:
        raise ValidationError(
            _("The end date must come after the start date."),
            code="ends_before_start",
        )
    membership.ends_on = on
    membership.save(update_fields=["ends_on"])
    sync_user_permissions(membership.user)
    return membership
