"""Writes to people and roles. Object permissions follow memberships through accounts.permissions;
every change of a role leaves a RoleChange entry in the same transaction.

Changes a person makes to their own account (name, e-mail, language, password, sessions) change no
role: they are logged (logger ``accounts``), without the e-mail address asked about.
"""

import hashlib
import logging
from datetime import date

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from schools.identifiers import mask_citizen_id
from schools.models import AreaOffice, School

from .audit import role_change_record
from .models import Invitation, Membership, RoleChange, User
from .oidc import OIDCRefused, Refusal
from .outbox import task_send_on_commit
from .permissions import can_manage_role, sync_user_permissions
from .selectors import holds_active_role, user_for_citizen_id, users_for_password_reset
from .tasks import send_password_reset
from .user_sessions import user_sessions_end

log = logging.getLogger("accounts")

PROFILE_FIELDS = ("title", "first_name", "last_name", "email", "language")


def check_reach(
    actor: User, *, role: str, school: School | None = None, area_office: AreaOffice | None = None
) -> None:
    """Refuse a change to a role the actor may not give or end at that place."""
    if not can_manage_role(actor, role=role, school=school, area_office=area_office):
        raise ValidationError(
            _("You may not give or end this role at this place."), code="out_of_reach"
        )


@transaction.atomic
def membership_create(
    *,
    user: User,
    role: str,
    school: School | None = None,
    area_office: AreaOffice | None = None,
    starts_on: date | None = None,
    ends_on: date | None = None,
    actor: User | None = None,
    invitation: Invitation | None = None,
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
    if role in settings.OPENDMC_SECOND_FACTOR_ROLES and membership.is_active():
        # A session signed in without the factor this role needs does not carry the role.
        user_sessions_end(user=user, actor=actor, reason="role needing a second factor given")
    role_change_record(
        action=RoleChange.Action.GRANTED, actor=actor, role=role, user=user, school=school,
        area_office=area_office, invitation=invitation,
        details={"starts_on": membership.starts_on.isoformat()},
    )  # fmt: skip
    return membership


@transaction.atomic
def membership_end(
    *, membership: Membership, on: date | None = None, actor: User | None = None
) -> Membership:
    """End a membership on a date (today by default) and revoke what it granted.

    The person keeps every other role. An actor must have the reach to end it, and may not end it
    in the past: what the person signed while holding the role stays signed by a role holder."""
    membership = Membership.objects.select_for_update().select_related("user").get(pk=membership.pk)
    today = timezone.localdate()
    on = on or today
    if actor is not None:
        check_reach(
            actor, role=membership.role, school=membership.school,
            area_office=membership.area_office,
        )  # fmt: skip
        if on < today:
            raise ValidationError(
                {"on": _("The end date cannot be in the past.")}, code="ends_in_past"
            )
    if membership.ends_on is not None and membership.ends_on <= today:
        raise ValidationError(_("This role has already ended."), code="ended")
    if on < membership.starts_on:
        raise ValidationError(
            {"on": _("The end date cannot be before the start date.")},
            code="ends_before_start",
        )
    previous = membership.ends_on
    membership.ends_on = on
    membership.save(update_fields=["ends_on"])
    sync_user_permissions(membership.user)
    if not membership.is_active():
        # The role is over now: no session signed in with it lives on.
        user_sessions_end(user=membership.user, actor=actor, reason="role ended")
    role_change_record(
        action=RoleChange.Action.ENDED, actor=actor, role=membership.role, user=membership.user,
        school=membership.school, area_office=membership.area_office,
        details={"ends_on": on.isoformat(), "was": previous.isoformat() if previous else None},
    )  # fmt: skip
    return membership


@transaction.atomic
def user_profile_update(
    *, user: User, title: str, first_name: str, last_name: str, email: str, language: str
) -> User:
    """Save what a person may change about themselves: name, title, e-mail and language."""
    user.title = title.strip()
    user.first_name = first_name.strip()
    user.last_name = last_name.strip()
    user.email = User.objects.normalize_email(email.strip())
    user.language = language
    user.clean_fields(exclude=[f.name for f in User._meta.fields if f.name not in PROFILE_FIELDS])
    user.save(update_fields=PROFILE_FIELDS)
    log.info("user %s updated their profile", user.pk)
    return user


@transaction.atomic
def user_language_set(*, user: User, language: str) -> User:
    """Save the language a person chose with the switch, so that it follows them to other devices."""
    if language not in dict(settings.LANGUAGES):
        raise ValidationError(_("Choose a language from the list."), code="language")
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])
        log.info("user %s chose the language %s", user.pk, language)
    return user


@transaction.atomic
def user_password_set(*, user: User, password: str) -> User:
    """Set a new password (already validated); every session signed in with the old one ends."""
    user.set_password(password)
    user.save(update_fields=["password"])
    log.info("user %s set a new password", user.pk)
    return user


@transaction.atomic
def user_deactivate(*, user: User, actor: User | None = None) -> User:
    """Disable a person's account: they cannot sign in, and every session of theirs ends now."""
    user.is_active = False
    user.save(update_fields=["is_active"])
    user_sessions_end(user=user, actor=actor, reason="account disabled")
    log.info("user %s disabled user %s", actor.pk if actor else None, user.pk)
    return user


def _over_limit(key: str, limit: int) -> bool:
    """Count one request under the key for the window; say whether the count is past the limit."""
    window = settings.PASSWORD_RESET_LIMIT_WINDOW
    cache.add(key, 0, timeout=window)  # the window starts with the first request
    try:
        count = cache.incr(key)
    except ValueError:  # the window ended between the two calls
        cache.set(key, 1, timeout=window)
        count = 1
    return count > limit


def password_reset_request(
    *, email: str, client_ip: str | None, domain: str, use_https: bool
) -> None:
    """Send a reset link to each active user with this address; the same outcome for any address.

    Refused past the limits of requests from one address or for one e-mail address.
    """
    digest = hashlib.sha256(email.casefold().encode()).hexdigest()
    over_ip = _over_limit(
        f"password-reset:ip:{client_ip or 'unknown'}", settings.PASSWORD_RESET_LIMIT_PER_IP
    )
    over_email = _over_limit(
        f"password-reset:email:{digest}", settings.PASSWORD_RESET_LIMIT_PER_EMAIL
    )
    if over_ip or over_email:
        log.warning("password reset refused: too many requests from %s", client_ip)
        raise ValidationError(
            _("Too many password reset requests. Please try again in %(minutes)d minutes."),
            code="rate_limited",
            params={"minutes": settings.PASSWORD_RESET_LIMIT_WINDOW // 60},
        )
    users = users_for_password_reset(email=email)
    log.info("password reset requested from %s: %d account(s)", client_ip, len(users))
    for user in users:
        # The link is made and sent by a worker: the answer takes as long whether or not the
        # address has an account.
        task_send_on_commit(send_password_reset, user.pk, domain, use_https, robust=True)


def oidc_user_resolve(*, citizen_id: str) -> User:
    """Return the active user holding a role today whose citizen ID ThaiD asserts; refuse any other.

    The link is the citizen ID an invitation put on the profile: never the e-mail address, and
    no user or role is ever created here.
    """
    if not citizen_id:
        raise OIDCRefused(Refusal.NO_CITIZEN_ID)
    user = user_for_citizen_id(citizen_id=citizen_id)
    if user is None:
        raise OIDCRefused(Refusal.UNKNOWN_CITIZEN_ID)
    if not user.is_active:
        raise OIDCRefused(Refusal.INACTIVE, user=user)
    if not holds_active_role(user=user):
        raise OIDCRefused(Refusal.NO_ROLE, user=user)
    return user


def _sign_in_details(*, citizen_id: str, client_ip: str | None) -> dict:
    # The citizen ID only masked (13 digits) or as its length (anything else a provider sent).
    shown = mask_citizen_id(citizen_id) if len(citizen_id) == 13 else f"<{len(citizen_id)} chars>"
    return {"citizen_id": shown if citizen_id else "", "ip": client_ip or ""}


@transaction.atomic
def oidc_sign_in_record(
    *, user: User, citizen_id: str, strong: bool, client_ip: str | None
) -> RoleChange:
    """Audit a sign-in through ThaiD: who, from where, whether it counted as a second factor."""
    details = _sign_in_details(citizen_id=citizen_id, client_ip=client_ip) | {"strong": strong}
    return role_change_record(
        action=RoleChange.Action.OIDC_SIGNED_IN, actor=user, role="", user=user, details=details
    )


@transaction.atomic
def oidc_refusal_record(
    *, refusal: OIDCRefused, citizen_id: str, client_ip: str | None
) -> RoleChange:
    """Audit a refused sign-in through ThaiD: why, and whom it named when it named someone."""
    details = _sign_in_details(citizen_id=citizen_id, client_ip=client_ip) | {
        "reason": refusal.reason,
        "detail": refusal.detail,
    }
    return role_change_record(
        action=RoleChange.Action.OIDC_REFUSED,
        actor=None,
        role="",
        user=refusal.user,
        details=details,
    )
