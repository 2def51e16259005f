"""Reads about people: who holds a role where."""

from collections.abc import Iterable
from datetime import date, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from schools.models import AreaOffice, School

from .models import SCHOOL_ROLES, Invitation, Membership, Role, User, UserSession


def users_with_role(
    *, role: str, school: School | None = None, area_office: AreaOffice | None = None
) -> QuerySet[User]:
    """Return the active users holding a role today at a school or an area office."""
    memberships = Membership.objects.active().filter(
        role=role, school=school, area_office=area_office
    )
    return User.objects.filter(is_active=True, pk__in=memberships.values("user_id")).order_by("pk")


SCHOOL_PEOPLE = (Role.STAFF, Role.DIRECTOR)


def schools_emails(*, school_ids: Iterable[int], roles=SCHOOL_PEOPLE) -> dict[int, list[str]]:
    """Return, per school, the e-mail addresses of those who hold one of the roles there today (its
    staff and director by default), each once, in order: the recipients of the schools' reminders,
    in one query whatever the number of schools. A school with nobody to write to is left out."""
    rows = (
        Membership.objects.active()
        .filter(role__in=roles, school_id__in=list(school_ids), user__is_active=True)
        .exclude(user__email="")
        .values_list("school_id", "user__email")
        .order_by("school_id", "user__email")
        .distinct()
    )
    out: dict[int, list[str]] = {}
    for school_id, email in rows:
        out.setdefault(school_id, []).append(email)
    return out


def school_emails(*, school: School, roles=SCHOOL_PEOPLE) -> list[str]:
    """Return the e-mail addresses of one school's people in the roles (``schools_emails``)."""
    return schools_emails(school_ids=[school.pk], roles=roles).get(school.pk, [])


def area_officer_emails(*, area_office: AreaOffice) -> list[str]:
    """Return the e-mail addresses of the area office's officers."""
    return [
        u.email for u in users_with_role(role=Role.AREA_OFFICER, area_office=area_office) if u.email
    ]


def memberships_of(*, user: User) -> QuerySet[Membership]:
    """Return every role the user holds or held, with its school or area office, newest first."""
    return (
        Membership.objects.filter(user=user)
        .select_related("school", "area_office")
        .order_by("-starts_on", "-pk")
    )


def users_for_password_reset(*, email: str) -> list[User]:
    """Return the active users with a usable password whose e-mail address is this one."""
    wanted = email.casefold()
    # iexact narrows in the database; casefold compares as Unicode does, so that an address that
    # only the database's case folding makes equal (a dotless i) never receives another's link.
    return [
        user
        for user in User.objects.filter(email__iexact=email, is_active=True).order_by("pk")
        if user.has_usable_password() and user.email.casefold() == wanted
    ]


def staffing_annotations() -> dict:
    """Return School annotations ``has_director`` and ``has_staff``: someone holds the role today
    with an active account. The one rule for the flags of the area dashboard and the people pages."""
    people = Membership.objects.active().filter(school=OuterRef("pk"), user__is_active=True)
    return {
        "has_director": Exists(people.filter(role=Role.DIRECTOR)),
        "has_staff": Exists(people.filter(role=Role.STAFF)),
    }


def school_people(*, schools: QuerySet[School]) -> list[School]:
    """Return the schools with their staff and directors in force today and their waiting
    invitations (three queries), each marked ``no_director`` / ``no_staff``."""
    memberships = (
        Membership.objects.active()
        .filter(role__in=SCHOOL_ROLES, user__is_active=True)
        .select_related("user")
        .order_by("role", "user__first_name", "pk")
    )
    invitations = Invitation.objects.pending().order_by("created_at")
    schools = list(
        schools.select_related("area_office")
        .annotate(**staffing_annotations())
        .prefetch_related(
            Prefetch("memberships", queryset=memberships, to_attr="people"),
        )
        .order_by("code")
    )
    waiting: dict[int, list[Invitation]] = {}
    for invitation in invitations.filter(school__in=[s.pk for s in schools]):
        waiting.setdefault(invitation.school_id, []).append(invitation)
    for school in schools:
        school.directors = [m for m in school.people if m.role == Role.DIRECTOR]
        school.staff = [m for m in school.people if m.role == Role.STAFF]
        school.no_director, school.no_staff = not school.has_director, not school.has_staff
        school.waiting = waiting.get(school.pk, [])
    return schools


def area_people(*, area_offices: QuerySet[AreaOffice]) -> list[AreaOffice]:
    """Return the area offices with their ``officers`` and ``approvers`` in force today (two
    queries)."""
    memberships = (
        Membership.objects.active()
        .filter(role__in=(Role.AREA_OFFICER, Role.ID_APPROVER), user__is_active=True)
        .select_related("user")
        .order_by("role", "user__first_name", "pk")
    )
    areas = list(
        area_offices.prefetch_related(
            Prefetch("memberships", queryset=memberships, to_attr="people")
        ).order_by("code")
    )
    for area in areas:
        area.officers = [m for m in area.people if m.role == Role.AREA_OFFICER]
        area.approvers = [m for m in area.people if m.role == Role.ID_APPROVER]
    return areas


def national_id_approvers() -> list[Membership]:
    """Return the ID approvers in force today who serve the whole country."""
    return list(
        Membership.objects.active()
        .filter(role=Role.ID_APPROVER, school__isnull=True, area_office__isnull=True)
        .select_related("user")
        .order_by("user__first_name", "pk")
    )


def person_detail(*, person: User, memberships: QuerySet[Membership], changes, invitations):
    """Return a person's roles (in force first, then ended) and history within a viewer's reach."""
    roles = list(
        memberships.filter(user=person)
        .select_related("school", "area_office")
        .order_by("-starts_on", "-pk")
    )
    today = timezone.localdate()
    history = list(
        changes.filter(
            Q(user=person) | Q(user__isnull=True, email__iexact=person.email or "-")
        ).select_related("actor", "school", "area_office")[:200]
    )
    for change in history:  # the dates a change set, as dates for the Buddhist-year filter
        for key in ("starts_on", "ends_on"):
            value = change.details.get(key) if isinstance(change.details, dict) else None
            setattr(change, key, date.fromisoformat(value) if value else None)
    return {
        "current": [m for m in roles if m.is_active(today) or m.starts_on > today],
        "ended": [m for m in roles if not (m.is_active(today) or m.starts_on > today)],
        "changes": history,
        "invitations": list(
            invitations.filter(email__iexact=person.email)
            .filter(accepted_at__isnull=True, revoked_at__isnull=True)
            .select_related("school", "area_office")
            if person.email
            else []
        ),
    }


def sessions_of(*, user: User) -> list[UserSession]:
    """Return the person's sessions that may still be signed in, the most recently seen first."""
    since = timezone.now() - timedelta(seconds=settings.SESSION_COOKIE_AGE)
    return list(UserSession.objects.filter(user=user, last_seen__gte=since).order_by("-last_seen"))


def user_for_citizen_id(*, citizen_id: str) -> User | None:
    """Return the user whose profile holds this citizen ID (set by their invitation), if any."""
    if not citizen_id:
        return None
    return User.objects.filter(citizen_id=citizen_id).first()


def holds_active_role(*, user: User) -> bool:
    """Return whether the user holds at least one role in force today."""
    return Membership.objects.active().filter(user=user).exists()
