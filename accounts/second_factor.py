"""The second factor after the password: a code from an authenticator app (TOTP), with recovery
codes for a lost phone, through django-otp (its TOTP and static devices, its login()).

Who must have one: accounts.permissions.must_use_second_factor (OPENDMC_SECOND_FACTOR_ROLES).
Who has one is asked for a code after the password, whatever the role. A session's state rides
in the session: django-otp's device id once verified (django_otp.login), else SESSION_STATE
("verify", "enrol" or "exempt", worked out on its first request), so the pages after sign-in
cost no query for it. A session whose OpenID Connect sign-in was strong carries
STRONG_AUTH_KEY = True and is never asked. Every change of a person's factor ends their other
sessions, so that no session keeps a state the change made wrong.

A TOTP code is accepted once: django-otp keeps the time step of the last accepted code (last_t)
and refuses that step and every earlier one. Wrong codes are counted on the person's TOTP device
(django-otp's throttling fields, in the database, so every worker sees them): after
SECOND_FACTOR_FAILURE_LIMIT of them, no code is tried for SECOND_FACTOR_COOLOFF_MINUTES, as
django-axes does for the password. Recovery codes are kept as hashes only (django-otp's static
tokens hold the hash), salted with the person's public id so that one table of hashes does not
serve every person.
"""

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from axes.helpers import get_client_ip_address as client_ip
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from .audit import security_event_record
from .models import SecurityEvent, User
from .permissions import must_use_second_factor
from .user_sessions import session_keep, user_sessions_end

log = logging.getLogger("accounts")

SESSION_STATE = "dmc_second_factor"
STRONG_AUTH_KEY = "dmc_strong_auth"
VERIFY, ENROL, EXEMPT = "verify", "enrol", "exempt"
RECOVERY_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"  # no l/o/0/1 to misread
RECOVERY_LENGTH = 12  # 60 bits


def session_is_verified(session) -> bool:
    """Return whether the session passed its second factor, or signed in strongly elsewhere."""
    return session.get(STRONG_AUTH_KEY) is True or bool(session.get(DEVICE_ID_SESSION_KEY))


def second_factor_state(*, user: User) -> str:
    """Return what an unverified session of the user owes: a code, an enrolment, or nothing."""
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        return VERIFY
    return ENROL if must_use_second_factor(user) else EXEMPT


def has_second_factor(*, user: User) -> bool:
    """Return whether the person has a confirmed authenticator."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def _normalize(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def recovery_code_hash(*, user: User, code: str) -> str:
    """Return what is stored of a recovery code: 16 hex digits of its salted SHA-256."""
    text = f"{user.public_id}:{_normalize(code)}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _recovery_code() -> str:
    raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _i in range(RECOVERY_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, RECOVERY_LENGTH, 4))


def _recovery_codes_replace(user: User) -> list[str]:
    """Replace the person's recovery codes with a new set (in the caller's transaction): the old
    stop working at once. Return the new codes; only their hashes are kept."""
    StaticDevice.objects.filter(user=user).delete()
    static = StaticDevice.objects.create(user=user, name="recovery", confirmed=True)
    codes = [_recovery_code() for _i in range(settings.SECOND_FACTOR_RECOVERY_CODES)]
    StaticToken.objects.bulk_create(
        StaticToken(device=static, token=recovery_code_hash(user=user, code=c)) for c in codes
    )
    return codes


# --- enrolment ----------------------------------------------------------------------------------
@transaction.atomic
def totp_enrolment_start(*, user: User) -> TOTPDevice:
    """Return the person's authenticator waiting for its first code, made with a new secret if
    there is none: it counts for nothing until confirmed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    return device


@dataclass
class Enrolment:
    device: TOTPDevice
    recovery_codes: list[str]
    replaced: bool


def totp_enrolment_confirm(*, request: HttpRequest, device: TOTPDevice, code: str) -> Enrolment:
    """Confirm the waiting authenticator with a code from it; it replaces any earlier one, new
    recovery codes replace the old, this session is verified and every other one ends.

    Returns the recovery codes, to be shown once: only their hashes are kept."""
    user = request.user
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=user)
        if device.confirmed or not device.verify_token(_normalize(code)):
            ok = False
        else:
            ok = True
            replaced = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
            TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            codes = _recovery_codes_replace(user)
            user_sessions_end(
                user=user, keep=request.session.session_key, actor=user,
                reason="second factor replaced" if replaced else "second factor enrolled",
            )  # fmt: skip
            security_event_record(
                action=SecurityEvent.Action.FACTOR_REPLACED if replaced
                else SecurityEvent.Action.FACTOR_ENROLLED,
                user=user, actor=user, ip_address=_ip(request),
            )  # fmt: skip
    if not ok:
        raise ValidationError(
            _(
                "That code is not the one your app shows. Check the time on your phone and try again."
            ),
            code="wrong_code",
        )
    session_keep(request=request)  # this session outlives the new session salt
    otp_login(request, device)
    request.session[SESSION_STATE] = VERIFY
    log.info("user %s %s a second factor", user.pk, "replaced" if replaced else "enrolled")
    return Enrolment(device=device, recovery_codes=codes, replaced=replaced)


# --- sign-in ------------------------------------------------------------------------------------
def _ip(request: HttpRequest) -> str | None:
    return client_ip(request) or None


def _locked(device: TOTPDevice) -> bool:
    """Return whether the device is locked out now; forget the count once the lockout is over."""
    if device.throttling_failure_count < settings.SECOND_FACTOR_FAILURE_LIMIT:
        return False
    until = device.throttling_failure_timestamp + timedelta(
        minutes=settings.SECOND_FACTOR_COOLOFF_MINUTES
    )
    if timezone.now() < until:
        return True
    device.throttle_reset()
    return False


def _reused(device: TOTPDevice, token: int) -> bool:
    """Return whether the code is right for a time step that was already used (last_t)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return totp.verify(token, device.tolerance) and not totp.verify(
        token, device.tolerance, device.last_t + 1
    )


def _try_code(user: User, code: str, ip: str | None) -> tuple[object | None, str]:
    """Check one code against the person's devices; return (device, "") or (None, why)."""
    with transaction.atomic():
        totp = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
        if totp is None:
            return None, "no_device"
        if _locked(totp):
            reason = "locked"
        else:
            code = _normalize(code)
            if code.isdigit() and len(code) == totp.digits:
                reused = _reused(totp, int(code))
                if totp.verify_token(code):
                    device = totp
                else:
                    device, reason = None, "reused" if reused else "wrong"
            else:
                static = StaticDevice.objects.filter(user=user, confirmed=True).first()
                hashed = recovery_code_hash(user=user, code=code)
                if static is not None and static.verify_token(hashed):
                    totp.throttle_reset()
                    device = static
                else:
                    totp.throttle_increment()
                    device, reason = None, "wrong"
            if device is not None:
                security_event_record(
                    action=SecurityEvent.Action.RECOVERY_USED if device is not totp
                    else SecurityEvent.Action.FACTOR_VERIFIED,
                    user=user, actor=user, ip_address=ip,
                )  # fmt: skip
                return device, ""
            if totp.throttling_failure_count >= settings.SECOND_FACTOR_FAILURE_LIMIT:
                reason = "now_locked"
        security_event_record(
            action=SecurityEvent.Action.FACTOR_LOCKED if reason in ("locked", "now_locked")
            else SecurityEvent.Action.FACTOR_REFUSED,
            user=user, actor=user, ip_address=ip,
            details={"reason": reason, "failures": totp.throttling_failure_count},
        )  # fmt: skip
    return None, reason


def _refusal(reason: str) -> ValidationError:
    """Return the error that tells the person why their code was refused (code "locked" while
    locked out)."""
    minutes = settings.SECOND_FACTOR_COOLOFF_MINUTES
    messages = {
        "no_device": _("You have no authenticator yet. Set one up first."),
        "reused": _("This code was already used. Wait for the next code in your app."),
        "wrong": _("That code is not right. Try the code your app shows now."),
        "now_locked": _(
            "Too many wrong codes: the second factor is locked for %(minutes)d minutes."
        ),
        "locked": _("Too many wrong codes: the second factor is locked for %(minutes)d minutes."),
    }
    code_name = "locked" if reason in ("locked", "now_locked") else reason
    return ValidationError(messages[reason], code=code_name, params={"minutes": minutes})


def second_factor_verify(*, request: HttpRequest, code: str) -> object:
    """Verify this session with a code from the person's authenticator or a recovery code.

    A refusal is audited and raises ValidationError (code "locked" while locked out)."""
    user = request.user
    device, reason = _try_code(user, code, _ip(request))
    if device is None:
        log.warning("second factor refused for user %s: %s", user.pk, reason)
        raise _refusal(reason)
    otp_login(request, device)
    request.session[SESSION_STATE] = VERIFY
    return device


def recovery_codes_left(*, user: User) -> int:
    """Return how many unused recovery codes the person has."""
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


# --- new recovery codes, by their owner ---------------------------------------------------------
def _totp_refusal(totp: TOTPDevice, code: str) -> str:
    """Check a code from the authenticator (not a recovery code) on the locked device; return ""
    or why not. A wrong or reused code counts towards the lockout, as on the code page."""
    if _locked(totp):
        return "locked"
    code = _normalize(code)
    if code.isdigit() and len(code) == totp.digits:
        reused = _reused(totp, int(code))
        if totp.verify_token(code):
            return ""
        reason = "reused" if reused else "wrong"
    else:
        totp.throttle_increment()
        reason = "wrong"
    return (
        "now_locked"
        if totp.throttling_failure_count >= settings.SECOND_FACTOR_FAILURE_LIMIT
        else reason
    )


def recovery_codes_regenerate(*, request: HttpRequest, code: str) -> list[str]:
    """Give the person a new set of recovery codes after a current code from their authenticator;
    the old codes stop working at once. Return the new codes, to be shown once.

    A refusal is audited and raises ValidationError (code "locked" while locked out)."""
    user, ip = request.user, _ip(request)
    with transaction.atomic():
        totp = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
        reason = "no_device" if totp is None else _totp_refusal(totp, code)
        if not reason:
            codes = _recovery_codes_replace(user)
            security_event_record(
                action=SecurityEvent.Action.RECOVERY_REGENERATED, user=user, actor=user,
                ip_address=ip, details={"count": len(codes)},
            )  # fmt: skip
            log.info("user %s made new recovery codes", user.pk)
            return codes
        if totp is not None:
            security_event_record(
                action=SecurityEvent.Action.FACTOR_LOCKED if reason in ("locked", "now_locked")
                else SecurityEvent.Action.FACTOR_REFUSED,
                user=user, actor=user, ip_address=ip,
                details={"reason": reason, "failures": totp.throttling_failure_count,
                         "for": "recovery_codes"},
            )  # fmt: skip
    # Raised outside the transaction: the failure it counted stays counted.
    log.warning("new recovery codes refused for user %s: %s", user.pk, reason)
    raise _refusal(reason)


# --- reset by the area office -------------------------------------------------------------------
@transaction.atomic
def second_factor_reset(*, person: User, actor: User, ip_address: str | None = None) -> User:
    """Remove a person's authenticator and recovery codes and end their sessions: their next
    sign-in enrols a new one (or goes without, where their roles allow). The caller checks
    accounts.permissions.can_reset_second_factor."""
    removed = TOTPDevice.objects.filter(user=person, confirmed=True).count()
    if not removed:
        raise ValidationError(_("This person has no second factor to reset."), code="none")
    TOTPDevice.objects.filter(user=person).delete()
    StaticDevice.objects.filter(user=person).delete()
    user_sessions_end(user=person, actor=actor, reason="second factor reset", ip_address=ip_address)
    security_event_record(
        action=SecurityEvent.Action.FACTOR_RESET, user=person, actor=actor, ip_address=ip_address
    )
    log.info("user %s reset the second factor of user %s", actor.pk, person.pk)
    return person
