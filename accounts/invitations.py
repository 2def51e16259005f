"""Invite a person to a role by e-mail, withdraw or resend the invitation, accept it from the link.

Every write checks the actor's reach (accounts.permissions.can_manage_role) and leaves a RoleChange
entry in the same transaction; the e-mail goes out through Celery once the transaction commits."""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from schools.identifiers import parse_citizen_id
from schools.models import AreaOffice, School

from .audit import role_change_record
from .invitation_links import invitation_from_token
from .models import Invitation, Membership, Role, RoleChange, User
from .outbox import task_send_on_commit
from .permissions import can_manage_role
from .services import check_reach, membership_create
from .tasks import send_invitation

MAX_NAME = 150


def check_email(value: str) -> str:
    """Return the e-mail address, trimmed and in lower case, or raise ValidationError."""
    email = str(value or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError(
            {"email": _("The e-mail address is not valid.")}, code="email"
        ) from None
    if len(email) > MAX_NAME:  # it becomes the username of a new account (150 characters)
        raise ValidationError({"email": _("The e-mail address is too long.")}, code="email")
    return email


def _account_for(email: str) -> User | None:
    accounts = list(User.objects.filter(email__iexact=email)[:2])
    if len(accounts) > 1:
        raise ValidationError(
            {
                "email": _(
                    "Several accounts use this e-mail address: ask the ministry to merge them."
                )
            },
            code="ambiguous",
        )
    return accounts[0] if accounts else None


def _check_citizen_id(citizen_id: str, *, account: User | None) -> str:
    if not citizen_id:
        return ""
    try:
        citizen_id = parse_citizen_id(citizen_id)
    except ValidationError as exc:
        raise ValidationError({"citizen_id": exc.messages[0]}, code="citizen_id") from None
    holder = User.objects.filter(citizen_id=citizen_id).exclude(pk=getattr(account, "pk", None))
    if holder.exists() or (account and account.citizen_id and account.citizen_id != citizen_id):
        raise ValidationError(
            {"citizen_id": _("This citizen ID belongs to another account.")}, code="citizen_taken"
        )
    return citizen_id


def _holds(user: User, *, role: str, school, area_office) -> bool:
    return (
        Membership.objects.active()
        .filter(user=user, role=role, school=school, area_office=area_office)
        .exists()
    )


@transaction.atomic
def invitation_create(
    *,
    actor: User,
    email: str,
    first_name: str,
    role: str,
    school: School | None = None,
    area_office: AreaOffice | None = None,
    last_name: str = "",
    title: str = "",
    citizen_id: str = "",
) -> Invitation:
    """Invite a person by e-mail to a role at a place the actor manages."""
    check_reach(actor, role=role, school=school, area_office=area_office)
    email = check_email(email)
    first_name, last_name, title = (str(v or "").strip() for v in (first_name, last_name, title))
    if not first_name:
        raise ValidationError({"first_name": _("Write the person's name.")}, code="name")
    if max(len(first_name), len(last_name)) > MAX_NAME or len(title) > 30:
        raise ValidationError({"first_name": _("The name is too long.")}, code="name")
    account = _account_for(email)
    citizen_id = _check_citizen_id(citizen_id, account=account)
    if account is not None and _holds(account, role=role, school=school, area_office=area_office):
        raise ValidationError(_("This person already holds this role here."), code="holds")
    if (
        Invitation.objects.pending()
        .filter(email__iexact=email, role=role, school=school, area_office=area_office)
        .exists()
    ):
        raise ValidationError(
            _("An invitation to this role here is already waiting for this person."),
            code="pending",
        )
    invitation = Invitation(
        invited_by=actor, email=email, first_name=first_name, last_name=last_name, title=title,
        citizen_id=citizen_id, role=role, school=school, area_office=area_office,
        expires_at=timezone.now() + timedelta(days=settings.INVITATION_DAYS),
    )  # fmt: skip
    invitation.full_clean()
    invitation.save()
    role_change_record(
        action=RoleChange.Action.INVITED, actor=actor, role=role, user=account, email=email,
        school=school, area_office=area_office, invitation=invitation,
        details={"name": invitation.display_name},
    )  # fmt: skip
    task_send_on_commit(send_invitation, invitation.pk)
    return invitation


def _lock(invitation: Invitation) -> Invitation:
    return (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("school__area_office", "area_office")
        .get(pk=invitation.pk)
    )


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, actor: User) -> Invitation:
    """Withdraw an invitation not yet accepted: its link stops working."""
    invitation = _lock(invitation)
    check_reach(
        actor, role=invitation.role, school=invitation.school, area_office=invitation.area_office
    )
    if invitation.accepted_at or invitation.revoked_at:
        raise ValidationError(_("This invitation is no longer waiting."), code="not_pending")
    invitation.revoked_at, invitation.revoked_by = timezone.now(), actor
    invitation.save(update_fields=["revoked_at", "revoked_by"])
    role_change_record(
        action=RoleChange.Action.INVITATION_REVOKED, actor=actor, role=invitation.role,
        email=invitation.email, school=invitation.school, area_office=invitation.area_office,
        invitation=invitation,
    )  # fmt: skip
    return invitation


@transaction.atomic
def invitation_resend(*, invitation: Invitation, actor: User) -> Invitation:
    """E-mail a new link (the old one stops working), valid for the full period again."""
    invitation = _lock(invitation)
    check_reach(
        actor, role=invitation.role, school=invitation.school, area_office=invitation.area_office
    )
    if invitation.accepted_at or invitation.revoked_at:
        raise ValidationError(_("This invitation is no longer waiting."), code="not_pending")
    invitation.expires_at = timezone.now() + timedelta(days=settings.INVITATION_DAYS)
    invitation.save(update_fields=["expires_at"])
    task_send_on_commit(send_invitation, invitation.pk)
    return invitation


@transaction.atomic
def invitation_accept(
    *, token: str, user: User | None = None, password: str | None = None
) -> Membership:
    """Accept the invitation a link opens: give the signed-in user the role, or create the
    account with the password chosen on the page. Raises LinkRefused for a link that cannot be
    used, ValidationError for a person who cannot take it."""
    invitation = invitation_from_token(token, for_update=True)  # locked, and still pending
    inviter = User.objects.get(pk=invitation.invited_by_id)
    place = {"school": invitation.school, "area_office": invitation.area_office}
    if not can_manage_role(inviter, role=invitation.role, **place):
        raise ValidationError(
            _("The person who invited you can no longer give this role: ask for a new invitation."),
            code="inviter_out_of_reach",
        )
    account = _account_for(invitation.email)
    if user is None:
        if account is not None or User.objects.filter(username__iexact=invitation.email).exists():
            raise ValidationError(
                _("An account already uses this e-mail address: sign in to accept."),
                code="has_account",
            )
        citizen_id = _check_citizen_id(invitation.citizen_id, account=None)
        user = User(
            username=invitation.email, email=invitation.email, title=invitation.title,
            first_name=invitation.first_name, last_name=invitation.last_name,
            citizen_id=citizen_id or None,
        )  # fmt: skip
        user.set_password(password)
        user.save()
    else:
        if account is None or account.pk != user.pk:
            raise ValidationError(
                _("This invitation is for another account: sign out and open the link again."),
                code="other_account",
            )
        if invitation.citizen_id and not user.citizen_id:
            user.citizen_id = _check_citizen_id(invitation.citizen_id, account=user)
            user.save(update_fields=["citizen_id"])
    if _holds(user, role=invitation.role, **place):
        raise ValidationError(_("You already hold this role here."), code="holds")
    membership = membership_create(
        user=user, role=invitation.role, actor=inviter, invitation=invitation, **place
    )
    invitation.accepted_at, invitation.accepted_by = timezone.now(), user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    role_change_record(
        action=RoleChange.Action.INVITATION_ACCEPTED, actor=user, role=invitation.role, user=user,
        invitation=invitation, **place,
    )  # fmt: skip
    return membership


@dataclass
class BulkRow:
    """One checked line of a bulk invitation file."""

    line: int
    school_code: str
    role: str
    first_name: str
    last_name: str
    email: str
    title: str = ""
    citizen_id: str = ""


class _DryRun(Exception):
    """Roll the bulk transaction back: a dry run, or a file with an error."""


def invitations_bulk(*, actor: User, rows: list[BulkRow], apply: bool) -> list[dict]:
    """Check (and with ``apply``, send) one invitation per row; return each row's outcome.

    Every row goes through invitation_create inside one transaction, so that a dry run checks
    exactly what applying would; the transaction is rolled back on a dry run or at the first
    refusal, so nothing is half-written and no e-mail leaves."""
    schools = {
        s.code: s
        for s in School.objects.select_related("area_office").filter(
            code__in={r.school_code for r in rows}
        )
    }
    outcomes = []
    try:
        with transaction.atomic():
            for row in rows:
                outcomes.append(_bulk_row(actor, row, schools.get(row.school_code)))
            if not apply or any(o["errors"] for o in outcomes):
                raise _DryRun
    except _DryRun:
        pass
    return outcomes


def _bulk_row(actor: User, row: BulkRow, school: School | None) -> dict:
    outcome = {"row": row, "errors": [], "role_label": Role(row.role).label}
    if school is None:
        outcome["errors"].append(_("Unknown school code %(code)s.") % {"code": row.school_code})
        return outcome
    if not can_manage_role(actor, role=row.role, school=school):
        outcome["errors"].append(
            _("You do not oversee the school %(code)s.") % {"code": row.school_code}
        )
        return outcome
    outcome["school"] = school
    try:
        with transaction.atomic():  # a savepoint: a refused row leaves the others usable
            invitation_create(
                actor=actor, email=row.email, first_name=row.first_name, last_name=row.last_name,
                title=row.title, citizen_id=row.citizen_id, role=row.role, school=school,
            )  # fmt: skip
    except ValidationError as exc:
        outcome["errors"].extend(exc.messages)
    return outcome
