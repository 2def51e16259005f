"""Reads about people: who holds a role where."""

from django.db.models import QuerySet

from schools.models import AreaOffice, School

from .models import Membership, Role, User


def users_with_role(
    *, role: str, school: School | None = None, area_office: AreaOffice | None = None
) -> QuerySet[User]:
    """Return the active users holding a role today at a school or an area office."""
    memberships = Membership.objects.active().filter(
        role=role, school=school, area_office=area_office
    )
    return User.objects.filter(is_active=True, pk__in=memberships.values("user_id")).order_by("pk")


def area_officer_emails(*, area_office: AreaOffice) -> list[str]:
    """Return the e-mail addresses of the area office's officers."""
    return [
        u.email for u in users_with_role(role=Role.AREA_OFFICER, area_office=area_office) if u.email
    ]
