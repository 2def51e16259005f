"""The audits of who holds which role where, and of sign-in security: one writer each, called
inside the change's transaction."""

from schools.models import AreaOffice, School

from .models import Invitation, RoleChange, SecurityEvent, User


def role_change_record(
    *,
    action: str,
    actor: User | None,
    role: str,
    user: User | None = None,
    email: str = "",
    school: School | None = None,
    area_office: AreaOffice | None = None,
    invitation: Invitation | None = None,
    details: dict | None = None,
) -> RoleChange:
    """Write one audit entry for a change to who holds which role where."""
    return RoleChange.objects.create(
        action=action,
        actor=actor,
        role=role,
        user=user,
        email=email or (user.email if user else ""),
        school=school,
        area_office=area_office,
        invitation=invitation,
        details=details or {},
    )


def security_event_record(
    *,
    action: str,
    user: User,
    actor: User | None = None,
    ip_address: str | None = None,
    details: dict | None = None,
) -> SecurityEvent:
    """Write one audit entry for an event of a person's sign-in security."""
    return SecurityEvent.objects.create(
        action=action, user=user, actor=actor, ip_address=ip_address, details=details or {}
    )
