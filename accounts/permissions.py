"""Who may do what, on which school or area office. The only module that calls guardian.

Each role maps to a set of object permissions on its scope object (a School or an AreaOffice).
Memberships are the source of truth: ``sync_user_permissions`` recomputes a user's object
permissions from the memberships in force, so granting and revoking are the same idempotent step.
National roles (ministry admin, a national ID approver) hold no object permission: they are
read from the membership itself.
"""

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Model, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from guardian.shortcuts import assign_perm, get_objects_for_user, remove_perm

from accounts.models import (
    AreaOfficeUserObjectPermission,
    Membership,
    Role,
    SchoolUserObjectPermission,
    User,
)
from schools.models import AreaOffice, School, Student

SCHOOL_ROLE_PERMS: dict[str, tuple[str, ...]] = {
    Role.STAFF: ("view_school", "keep_roster", "confirm_round"),
    Role.DIRECTOR: ("view_school", "certify_round"),
}
AREA_ROLE_PERMS: dict[str, tuple[str, ...]] = {
    Role.AREA_OFFICER: (
        "view_areaoffice",
        "oversee_area",
        "approve_dropout",
        "approve_gcode",
        "acknowledge_round",
    ),
    Role.ID_APPROVER: ("approve_id_correction",),
}


def _wanted_perms(user: User) -> tuple[set[tuple[str, int]], set[tuple[str, int]]]:
    school_perms: set[tuple[str, int]] = set()
    area_perms: set[tuple[str, int]] = set()
    for m in Membership.objects.active().filter(user=user):
        if m.school_id and m.role in SCHOOL_ROLE_PERMS:
            school_perms.update((p, m.school_id) for p in SCHOOL_ROLE_PERMS[m.role])
        elif m.area_office_id and m.role in AREA_ROLE_PERMS:
            area_perms.update((p, m.area_office_id) for p in AREA_ROLE_PERMS[m.role])
    return school_perms, area_perms


@transaction.atomic
def sync_user_permissions(user: User) -> None:
    """Grant the object permissions of the user's memberships in force today, and revoke the rest."""
    user.__dict__.pop("_opendmc_national_roles", None)
    user.__dict__.pop("_opendmc_overseen_areas", None)
    want_school, want_area = _wanted_perms(user)
    for model, target, perm_model in (
        (School, want_school, SchoolUserObjectPermission),
        (AreaOffice, want_area, AreaOfficeUserObjectPermission),
    ):
        have = set(
            perm_model.objects.filter(user=user).values_list(
                "permission__codename", "content_object_id"
            )
        )
        for codename, pk in have - target:
            remove_perm(f"schools.{codename}", user, model(pk=pk))
        for codename, pk in target - have:
            assign_perm(f"schools.{codename}", user, model(pk=pk))
    is_admin = has_national_role(user, Role.MINISTRY_ADMIN)
    if user.is_staff != is_admin:
        user.is_staff = is_admin
        user.save(update_fields=["is_staff"])


def sync_all_permissions() -> int:
    """Re-sync every user whose memberships start or end today or earlier; return how many."""
    today = timezone.localdate()
    user_ids = (
        Membership.objects.filter(Q(starts_on__lte=today) | Q(ends_on__lte=today))
        .values_list("user_id", flat=True)
        .distinct()
    )
    count = 0
    for user in User.objects.filter(pk__in=user_ids):
        sync_user_permissions(user)
        count += 1
    return count


def has_national_role(user: User, role: str) -> bool:
    """Return whether the user holds a national membership of that role today.

    The answer is kept on the user object, which lives for one request."""
    if not user.is_authenticated:
        return False
    roles = getattr(user, "_opendmc_national_roles", None)
    if roles is None:
        roles = set(
            Membership.objects.active()
            .filter(user=user, school__isnull=True, area_office__isnull=True)
            .values_list("role", flat=True)
        )
        user._opendmc_national_roles = roles
    return role in roles


def can_see_reports(user: User) -> bool:
    """Return whether the user reads the count and subsidy reports (area offices, the ministry)."""
    if can_administer(user):
        return True
    known = getattr(user, "_opendmc_overseen_areas", None)  # a report page has read them
    return bool(known) if known is not None else areas_overseen_by(user).exists()


def can_administer(user: User) -> bool:
    """Return whether the user may use the ministry's administration (Django admin)."""
    if not user.is_active or not user.is_authenticated:
        return False
    return user.is_superuser or has_national_role(user, Role.MINISTRY_ADMIN)


def areas_overseen_by(user: User) -> QuerySet[AreaOffice]:
    """Return the area offices whose schools the user watches."""
    if not user.is_authenticated:
        return AreaOffice.objects.none()
    if has_national_role(user, Role.MINISTRY_ADMIN):
        return AreaOffice.objects.all()
    return get_objects_for_user(user, "schools.oversee_area", AreaOffice, accept_global_perms=False)


def overseen_areas(user: User) -> list[AreaOffice]:
    """Return the area offices the user oversees, in code order.

    The answer is kept on the user object, which lives for one request: a report page and its
    menu ask once."""
    if not user.is_authenticated:
        return []
    areas = getattr(user, "_opendmc_overseen_areas", None)
    if areas is None:
        areas = list(areas_overseen_by(user).order_by("code"))
        user._opendmc_overseen_areas = areas
    return areas


def schools_visible_to(user: User) -> QuerySet[School]:
    """Return the schools whose roster and records the user may see."""
    if not user.is_authenticated:
        return School.objects.none()
    if has_national_role(user, Role.MINISTRY_ADMIN):
        return School.objects.all()
    own = get_objects_for_user(user, "schools.view_school", School, accept_global_perms=False)
    areas = get_objects_for_user(
        user, "schools.oversee_area", AreaOffice, accept_global_perms=False
    )
    return School.objects.filter(Q(pk__in=own.values("pk")) | Q(area_office__in=areas.values("pk")))


def schools_editable_by(user: User) -> QuerySet[School]:
    """Return the schools whose roster the user may change."""
    if not user.is_authenticated:
        return School.objects.none()
    return get_objects_for_user(user, "schools.keep_roster", School, accept_global_perms=False)


def can_view_school(user: User, school: School) -> bool:
    """Return whether the user may see the school's roster and records."""
    if not user.is_authenticated:
        return False
    return (
        user.has_perm("schools.view_school", school)
        or user.has_perm("schools.oversee_area", school.area_office)
        or has_national_role(user, Role.MINISTRY_ADMIN)
    )


def can_view_request(user: User, process: Model) -> bool:
    """Return whether the user is a party to an approval request and may see it and its records.

    The parties: the requesting school (its staff and director), that school's area office and the
    ministry; for a transfer, the releasing school too; for a citizen-ID correction, each approver
    it was e-mailed to (its links). Read from the request's fields, so that this module needs no
    import of the flows' models.
    """
    if can_view_school(user, process.school):
        return True
    releasing = getattr(process, "releasing_school", None)
    if releasing is not None and can_view_school(user, releasing):
        return True
    links = getattr(process, "links", None)
    return user.is_authenticated and links is not None and links.filter(approver=user).exists()


def can_keep_roster(user: User, school: School) -> bool:
    """Return whether the user may change the school's roster."""
    return user.is_authenticated and user.has_perm("schools.keep_roster", school)


def can_register_gcode(user: User, school: School) -> bool:
    """Return whether the user may record a G-code issued for the school (its area officers)."""
    return user.is_authenticated and user.has_perm("schools.approve_gcode", school.area_office)


def can_see_full_ids(user: User, school: School) -> bool:
    """Return whether the user needs the learners' full citizen IDs (the school's own staff)."""
    return can_keep_roster(user, school)


def access_school(user: User, code: str) -> School:
    """Return the school with that code if the user may see it; raise Http404 otherwise."""
    school = School.objects.select_related("area_office").filter(code=code).first()
    if school is None or not can_view_school(user, school):
        raise Http404
    return school


def access_student(user: User, school: School, public_id) -> Student:
    """Return a learner who is or was enrolled at a school the user may see; raise Http404 otherwise."""
    student = Student.objects.filter(public_id=public_id, enrollments__school=school).first()
    if student is None:
        raise Http404
    return student


def memberships_for(user: User) -> Iterable[Membership]:
    """Return the user's memberships in force, with their school or area office."""
    return (
        Membership.objects.active()
        .filter(user=user)
        .select_related("school__area_office", "area_office")
        .order_by("role", "school__code", "area_office__code")
    )
