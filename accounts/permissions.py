"""Who may do what, on which school or area office. The only module that calls guardian.

Each role maps to a set of object permissions on its scope object (a School or an AreaOffice).
Memberships are the source of truth: ``sync_user_permissions`` recomputes a user's object
permissions from the memberships in force, so granting and revoking are the same idempotent step.
National roles (ministry admin, a national ID approver) hold no object permission: they are
read from the membership itself.
"""

from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import (
    BigIntegerField,
    CharField,
    Exists,
    Model,
    OuterRef,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import Cast, Concat
from django.http import Http404
from django.utils import timezone
from guardian.shortcuts import assign_perm, remove_perm

from accounts.models import (
    AreaOfficeUserObjectPermission,
    Invitation,
    Membership,
    Role,
    RoleChange,
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


def _perms_of(
    memberships: Iterable[tuple[int, str, int | None, int | None]],
) -> tuple[set[tuple[int, str, int]], set[tuple[int, str, int]]]:
    """Return the object permissions that memberships in force give, as (user id, codename, school
    id) and (user id, codename, area office id), from (user id, role, school id, area office id):
    the one rule of which role holds which permission on which object."""
    school_perms: set[tuple[int, str, int]] = set()
    area_perms: set[tuple[int, str, int]] = set()
    for user_id, role, school_id, area_office_id in memberships:
        if school_id and role in SCHOOL_ROLE_PERMS:
            school_perms.update((user_id, p, school_id) for p in SCHOOL_ROLE_PERMS[role])
        elif area_office_id and role in AREA_ROLE_PERMS:
            area_perms.update((user_id, p, area_office_id) for p in AREA_ROLE_PERMS[role])
    return school_perms, area_perms


def _wanted_perms(user: User) -> tuple[set[tuple[str, int]], set[tuple[str, int]]]:
    school_perms, area_perms = _perms_of(
        Membership.objects.active()
        .filter(user=user)
        .values_list("user_id", "role", "school_id", "area_office_id")
    )
    return {(p, pk) for _u, p, pk in school_perms}, {(p, pk) for _u, p, pk in area_perms}


def object_permission_rows(
    memberships: Iterable[tuple[int, str, int | None, int | None]],
) -> dict[type, list[tuple[int, int, int]]]:
    """Return the guardian rows that memberships in force need, per row model, as (user id,
    permission id, object id): what sync_user_permissions would write for them, for a bulk load
    (demo/scale.py) that writes them by COPY instead of a user at a time."""
    school_perms, area_perms = _perms_of(memberships)
    ids = dict(
        Permission.objects.filter(content_type__app_label="schools").values_list("codename", "id")
    )
    return {
        SchoolUserObjectPermission: sorted((u, ids[p], pk) for u, p, pk in school_perms),
        AreaOfficeUserObjectPermission: sorted((u, ids[p], pk) for u, p, pk in area_perms),
    }


@transaction.atomic
def sync_user_permissions(user: User) -> None:
    """Grant the object permissions of the user's memberships in force today, and revoke the rest."""
    user.__dict__.pop("_opendmc_roles", None)
    user.__dict__.pop("_opendmc_overseen_areas", None)
    user.__dict__.pop("_opendmc_oversees", None)
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
    """Return whether the user holds a national membership of that role today."""
    return any(
        held == role and school is None and area is None for held, school, area in _roles_held(user)
    )


def _roles_held(user: User) -> list[tuple[str, int | None, int | None]]:
    """Return the (role, school id, area office id) of the user's memberships in force today.

    The answer is kept on the user object, which lives for one request: the menu asks it on every
    page (national roles, the API keys link)."""
    if not user.is_authenticated:
        return []
    held = getattr(user, "_opendmc_roles", None)
    if held is None:
        held = list(
            Membership.objects.active()
            .filter(user=user)
            .values_list("role", "school_id", "area_office_id")
        )
        user._opendmc_roles = held
    return held


def can_see_reports(user: User) -> bool:
    """Return whether the user reads the count and subsidy reports (area offices, the ministry)."""
    return can_administer(user) or oversees_an_area(user)


def oversees_an_area(user: User) -> bool:
    """Return whether the user oversees at least one area office.

    The answer is kept on the user object, which lives for one request: the menu asks it for two
    entries (reports, people) on every page."""
    if not user.is_authenticated:
        return False
    known = getattr(user, "_opendmc_overseen_areas", None)  # a report page has read them
    if known is not None:
        return bool(known)
    answer = getattr(user, "_opendmc_oversees", None)
    if answer is None:
        answer = areas_overseen_by(user).exists()
        user._opendmc_oversees = answer
    return answer


def can_administer(user: User) -> bool:
    """Return whether the user may use the ministry's administration (Django admin)."""
    if not user.is_active or not user.is_authenticated:
        return False
    return user.is_superuser or has_national_role(user, Role.MINISTRY_ADMIN)


def can_import_school_list(user: User) -> bool:
    """Return whether the user may import the ministry's school list (the ministry admin only)."""
    if not user.is_authenticated or not user.is_active:
        return False
    return has_national_role(user, Role.MINISTRY_ADMIN)


def areas_overseen_by(user: User) -> QuerySet[AreaOffice]:
    """Return the area offices whose schools the user watches."""
    if not user.is_authenticated:
        return AreaOffice.objects.none()
    if user.is_superuser or has_national_role(user, Role.MINISTRY_ADMIN):
        return AreaOffice.objects.all()
    return _objects_with(AreaOffice, user, "oversee_area")


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
    if user.is_superuser or has_national_role(user, Role.MINISTRY_ADMIN):
        return School.objects.all()
    return School.objects.filter(
        Q(pk__in=_held(SchoolUserObjectPermission, user, "view_school"))
        | Q(area_office__in=_held(AreaOfficeUserObjectPermission, user, "oversee_area"))
    )


def areas_visible_to(user: User) -> QuerySet[AreaOffice]:
    """Return the area offices whose own record the user may see: those it oversees and those of
    the schools it may see (a school's key sees its area office, not the area's other schools)."""
    if not user.is_authenticated:
        return AreaOffice.objects.none()
    return AreaOffice.objects.filter(
        Q(pk__in=areas_overseen_by(user).values("pk"))
        | Q(pk__in=schools_visible_to(user).values("area_office"))
    )


def schools_editable_by(user: User) -> QuerySet[School]:
    """Return the schools whose roster the user may change."""
    if not user.is_authenticated:
        return School.objects.none()
    return _objects_with(School, user, "keep_roster")


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


def can_view_document(user: User, document: Model) -> bool:
    """Return whether the user is a party to the record and may download it: its school's staff and
    director, its area office, the ministry; for a request's record, every party to the request.
    Read from the record's fields (documents.SignedDocument), so that this module needs no import
    of it."""
    if not user.is_authenticated:
        return False
    if document.school_id and can_view_school(user, document.school):
        return True
    if document.area_office_id:
        return areas_overseen_by(user).filter(pk=document.area_office_id).exists()
    if not document.school_id:
        return can_administer(user)
    # A record of an approval request (its subject has a request key) is also for the request's
    # parties outside the school: the releasing school of a transfer, the e-mailed ID approvers.
    subject = document.subject if document.subject_type_id else None
    return getattr(subject, "request_key", None) is not None and can_view_request(user, subject)


def access_request(user: User, model: type[Model] | None, pk: int) -> Model:
    """Return the approval request of that model and id if the user is a party to it
    (can_view_request); raise Http404 otherwise, and for a kind of request that does not exist
    (model None). The flows pass their model, so that this module needs no import of them."""
    process = (
        model
        and model.objects.select_related("school", "requested_by", "decided_by")
        .filter(pk=pk)
        .first()
    )
    if process is None or not can_view_request(user, process):
        raise Http404
    return process


def _held(table: type[Model], user: User, codename: str) -> QuerySet:
    """Return the ids of the objects on which the user holds the permission (a subquery on the
    direct-FK guardian table the memberships write). guardian's get_objects_for_user asks the same
    in three queries and ~5 ms of Python: a report page's whole SQL takes less."""
    return table.objects.filter(
        user=user, permission__codename=codename, permission__content_type__app_label="schools"
    ).values("content_object_id")


def _objects_with(model: type[Model], user: User, codename: str) -> QuerySet:
    """Return the schools or area offices (model) on which the user holds the permission; all of
    them for a superuser, as guardian's get_objects_for_user answers."""
    if user.is_superuser:
        return model.objects.all()
    table = SchoolUserObjectPermission if model is School else AreaOfficeUserObjectPermission
    return model.objects.filter(pk__in=_held(table, user, codename))


def _holds_task_perm(table: type[Model], content_type: ContentType, user: User) -> Exists:
    """Match a task's required permission against the user's rows in a direct-FK guardian table."""
    return Exists(
        table.objects.annotate(
            full=Concat("permission__content_type__app_label", Value("."), "permission__codename")
        ).filter(
            user=user,
            full=OuterRef("owner_permission"),
            content_object_id=Cast(OuterRef("owner_permission_obj_pk"), BigIntegerField()),
        )
    ).__and__(Q(owner_permission_content_type=content_type))


def _objects_held(table: type[Model], user: User) -> QuerySet:
    """Return the pks (as text, like a task's owner_permission_obj_pk) the user holds rows on."""
    return table.objects.filter(user=user).values(pk_text=Cast("content_object_id", CharField()))


def tasks_open_to(user: User, tasks: QuerySet) -> QuerySet:
    """Return those of the workflow tasks (viewflow Tasks) that the user owns or may take: an
    unowned task whose required permission the user holds on its school or area office. The flows
    pass their queryset of tasks, so that this module needs no import of them."""
    school_ct = ContentType.objects.get_for_model(School)
    area_ct = ContentType.objects.get_for_model(AreaOffice)
    # The open human tasks come from the partial index workflows_open_task_obj (migration 0004);
    # the IN lists (hashed, a few rows per user) weed out other schools' tasks before the exact
    # (permission, object) pairs are matched: 40,000 open tasks on a count day.
    may_take = Q(owner__isnull=True) & (
        (
            Q(owner_permission_obj_pk__in=_objects_held(SchoolUserObjectPermission, user))
            & _holds_task_perm(SchoolUserObjectPermission, school_ct, user)
        )
        | (
            Q(owner_permission_obj_pk__in=_objects_held(AreaOfficeUserObjectPermission, user))
            & _holds_task_perm(AreaOfficeUserObjectPermission, area_ct, user)
        )
    )
    return tasks.filter(Q(owner=user) | may_take)


def can_keep_roster(user: User, school: School) -> bool:
    """Return whether the user may change the school's roster."""
    return user.is_authenticated and user.has_perm("schools.keep_roster", school)


def can_import_roster(user: User, school: School) -> bool:
    """Return whether the user may load a roster file for the school (its staff, and the officers
    of its area office, who catch up schools that join)."""
    return can_keep_roster(user, school) or (
        user.is_authenticated and user.has_perm("schools.oversee_area", school.area_office)
    )


def access_area_roster_import(user: User, code: str) -> AreaOffice:
    """Return the area office with that code if the user is one of its officers and may load a
    roster file for its schools; raise Http404 otherwise (the ministry's own staff included)."""
    if not user.is_authenticated:
        raise Http404
    areas = _objects_with(AreaOffice, user, "oversee_area")
    area = areas.filter(code=code).first()
    if area is None:
        raise Http404
    return area


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


def access_student(user: User, code: str, public_id) -> tuple[School, Student]:
    """Return the school with that code and a learner who is or was enrolled there, if the user may
    see the school (access_school); raise Http404 otherwise."""
    school = access_school(user, code)
    student = Student.objects.filter(public_id=public_id, enrollments__school=school).first()
    if student is None:
        raise Http404
    return school, student


def memberships_for(user: User) -> Iterable[Membership]:
    """Return the user's memberships in force, with their school or area office."""
    return (
        Membership.objects.active()
        .filter(user=user)
        .select_related("school__area_office", "area_office")
        .order_by("role", "school__code", "area_office__code")
    )


# --- who may give and end roles ("reach") -----------------------------------------------------
# The ministry gives the area roles and any school role; an area officer gives the school roles of
# its own area's schools; nobody here gives the ministry admin role (that is the Django admin's).
# Staff, directors and ID approvers give nothing.
MINISTRY_GIVES = (Role.STAFF, Role.DIRECTOR, Role.AREA_OFFICER, Role.ID_APPROVER)
AREA_OFFICER_GIVES = (Role.STAFF, Role.DIRECTOR)


def roles_grantable_by(user: User) -> tuple[str, ...]:
    """Return the roles the user may give or end somewhere."""
    if can_administer(user):
        return MINISTRY_GIVES
    if user.is_authenticated and user.is_active and oversees_an_area(user):
        return AREA_OFFICER_GIVES
    return ()


def can_manage_people(user: User) -> bool:
    """Return whether the user may see the people pages: someone who gives roles somewhere."""
    return bool(roles_grantable_by(user))


def can_manage_role(
    user: User, *, role: str, school: School | None = None, area_office: AreaOffice | None = None
) -> bool:
    """Return whether the user may give or end this role at this place (None, None: nationally)."""
    if role not in roles_grantable_by(user):
        return False
    if can_administer(user):
        return True
    # An area officer: school roles, at the schools of an area office it oversees.
    return school is not None and user.has_perm("schools.oversee_area", school.area_office)


def schools_staffed_by(user: User) -> QuerySet[School]:
    """Return the schools whose staff and directors the user may invite and end."""
    if can_administer(user):
        return School.objects.all()
    if not roles_grantable_by(user):
        return School.objects.none()
    return School.objects.filter(area_office__in=areas_overseen_by(user).values("pk"))


def areas_staffed_by(user: User) -> QuerySet[AreaOffice]:
    """Return the area offices whose people (its officers, or its schools' staff) the user manages."""
    if can_administer(user):
        return AreaOffice.objects.all()
    if not roles_grantable_by(user):
        return AreaOffice.objects.none()
    return areas_overseen_by(user)


def memberships_managed_by(user: User) -> QuerySet[Membership]:
    """Return the memberships (in force or not) the user may end or read on a person's page."""
    return _scoped(user, Membership.objects.all(), roles_grantable_by(user))


def people_managed_by(user: User) -> QuerySet[User]:
    """Return the people who hold or held a role the user manages."""
    return User.objects.filter(pk__in=memberships_managed_by(user).values("user_id"))


def access_person(user: User, public_id) -> User:
    """Return a person whose roles the user manages; raise Http404 otherwise."""
    person = people_managed_by(user).filter(public_id=public_id).first()
    if person is None:
        raise Http404
    return person


def _scoped(user: User, queryset: QuerySet, grantable: tuple[str, ...]) -> QuerySet:
    """Narrow rows with role/school/area_office fields to those within the user's reach."""
    if can_administer(user):
        return queryset.filter(role__in=grantable)
    if not grantable:
        return queryset.none()
    return queryset.filter(
        role__in=grantable, school__area_office__in=areas_overseen_by(user).values("pk")
    )


def invitations_managed_by(user: User) -> QuerySet[Invitation]:
    """Return the invitations for roles and places the user manages."""
    return _scoped(user, Invitation.objects.all(), roles_grantable_by(user))


def role_changes_visible_to(user: User) -> QuerySet[RoleChange]:
    """Return the audit entries of roles and places the user manages."""
    return _scoped(user, RoleChange.objects.all(), roles_grantable_by(user))


# --- the second factor ---------------------------------------------------------------------------
def must_use_second_factor(user: User) -> bool:
    """Return whether the user holds a role in force that signs in with a second factor
    (settings.OPENDMC_SECOND_FACTOR_ROLES), or is a superuser."""
    if not user.is_authenticated:
        return False
    return user.is_superuser or (
        Membership.objects.active()
        .filter(user=user, role__in=settings.OPENDMC_SECOND_FACTOR_ROLES)
        .exists()
    )


def can_reset_second_factor(user: User, person: User) -> bool:
    """Return whether the user may reset the person's second factor: someone else, every role of
    whom in force the user manages (an area officer: school staff and directors of its schools)."""
    if not user.is_authenticated or person.pk == user.pk:
        return False
    roles = list(memberships_for(person))
    return bool(roles) and all(
        can_manage_role(user, role=m.role, school=m.school, area_office=m.area_office)
        for m in roles
    )


# --- API keys (api/) ----------------------------------------------------------------------------
# A key acts through its own principal, a User that cannot sign in to the pages, holding the object
# permissions of its place and scopes; every permission check above then answers for the key as it
# does for a person. Never confirm_round, certify_round or an approval: those stay with people.
API_SCHOOL_PERMS = {False: ("view_school",), True: ("view_school", "keep_roster")}
API_AREA_PERMS = ("view_areaoffice", "oversee_area")


def can_manage_api_keys(
    user: User, *, school: School | None = None, area_office: AreaOffice | None = None
) -> bool:
    """Return whether the user may create and revoke the API keys of a school (its director) or of
    an area office (its officers)."""
    if not user.is_authenticated or not user.is_active:
        return False
    if school is not None:
        return (
            Membership.objects.active()
            .filter(user=user, role=Role.DIRECTOR, school=school)
            .exists()
        )
    return area_office is not None and user.has_perm("schools.oversee_area", area_office)


def manages_api_keys(user: User) -> bool:
    """Return whether the user manages some school's or area office's API keys (the menu's link).

    Read from the memberships in force (kept for the request), which the object permissions that
    ``api_key_places_of`` asks are granted from: a school's director, an area office's officer."""
    if not user.is_authenticated or not user.is_active:
        return False
    return any(
        (role == Role.DIRECTOR and school is not None)
        or (area is not None and "oversee_area" in AREA_ROLE_PERMS.get(role, ()))
        for role, school, area in _roles_held(user)
    )


def api_key_places_of(user: User) -> tuple[QuerySet[School], QuerySet[AreaOffice]]:
    """Return the schools and area offices whose API keys the user manages."""
    if not user.is_authenticated or not user.is_active:
        return School.objects.none(), AreaOffice.objects.none()
    schools = School.objects.filter(
        pk__in=Membership.objects.active().filter(user=user, role=Role.DIRECTOR).values("school_id")
    )
    areas = _objects_with(AreaOffice, user, "oversee_area")
    return schools, areas


@transaction.atomic
def api_principal_grant(
    principal: User, *, school: School | None, area_office: AreaOffice | None, write: bool
) -> None:
    """Give a key's principal the object permissions of its place and scopes."""
    if school is not None:
        for codename in API_SCHOOL_PERMS[write]:
            assign_perm(f"schools.{codename}", principal, school)
    if area_office is not None:
        for codename in API_AREA_PERMS:
            assign_perm(f"schools.{codename}", principal, area_office)


@transaction.atomic
def api_principal_revoke(principal: User) -> None:
    """Take every object permission from a key's principal (the key is revoked)."""
    SchoolUserObjectPermission.objects.filter(user=principal).delete()
    AreaOfficeUserObjectPermission.objects.filter(user=principal).delete()
