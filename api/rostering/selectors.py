"""Reads of the rostering service, each limited to what the key reaches, with its joins decided once.

The roster of a key is its schools' enrollments that are active, or that ended during the current
academic year (shown as ``tobedeleted``, so that a system that syncs sees who left)."""

from datetime import date

from django.db.models import (
    Case,
    Count,
    Exists,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Greatest
from django.utils import timezone

from accounts.models import User
from accounts.permissions import areas_visible_to, schools_visible_to
from census.models import AcademicYear, Round
from schools.calendar import academic_year_of, academic_year_start
from schools.models import AreaOffice, Enrollment, EnrollmentStatus, School, Student

ACTIVE = Q(status=EnrollmentStatus.ACTIVE)


def current_year() -> int:
    """Return the academic year (Buddhist era) whose classes are rostered: today's."""
    return academic_year_of(timezone.localdate())


def rostering_schools(*, user: User) -> QuerySet[School]:
    """Return the schools the key reaches, with their area office."""
    return schools_visible_to(user).select_related("area_office").order_by("code")


def rostering_areas(*, user: User) -> QuerySet[AreaOffice]:
    """Return the area offices the key reaches (its own, or its school's)."""
    return areas_visible_to(user).order_by("code")


def roster_rows(*, user: User, year: int | None = None) -> QuerySet[Enrollment]:
    """Return the enrollments of the key's schools that are active or ended this academic year."""
    start: date = academic_year_start(year or current_year())
    return (
        Enrollment.objects.filter(school__in=schools_visible_to(user).values("pk"))
        .filter(ACTIVE | Q(ended_on__gte=start))
        .annotate(
            roster_active=Case(When(ACTIVE, then=Value(True)), default=Value(False)),
        )
    )


def rostering_enrollments(*, rows: QuerySet[Enrollment]) -> QuerySet[Enrollment]:
    """Return roster rows with their learner and school, in sourcedId order."""
    return rows.select_related("student", "school").order_by(
        "school__code", "grade", "room", "student__public_id"
    )


def rostering_users(*, user: User, among: QuerySet[Enrollment] | None = None) -> QuerySet[Student]:
    """Return the learners with a roster row (among some rows, if given), with their rows.

    Each learner carries ``modified`` (the later of their own and their rows' last change),
    ``roster_active`` (enrolled now at a school in reach) and ``roster`` (their rows, prefetched
    with the school: one query for the whole page)."""
    rows = roster_rows(user=user)
    mine = rows.filter(student=OuterRef("pk")).order_by()
    present = (among if among is not None else rows).filter(student=OuterRef("pk"))
    last_change = mine.values("student").annotate(last=Max("updated_at")).values("last")
    return (
        Student.objects.filter(Exists(present))
        .annotate(
            modified=Greatest("updated_at", Subquery(last_change)),
            roster_active=Exists(mine.filter(ACTIVE)),
        )
        .prefetch_related(
            Prefetch(
                "enrollments",
                queryset=rows.select_related("school").order_by("-started_on", "-pk"),
                to_attr="roster",
            )
        )
        .order_by("public_id")
    )


def rostering_classes(*, rows: QuerySet[Enrollment]) -> QuerySet:
    """Return the classes (school × grade × room) of roster rows as values: one query.

    ``active`` counts the learners enrolled now; a class whose learners all left is ``tobedeleted``."""
    return (
        rows.order_by()
        .values("school__code", "grade", "room")
        .annotate(
            modified=Max("updated_at"),
            active=Count("pk", filter=ACTIVE),
        )
        .order_by("school__code", "grade", "room")
    )


def rostering_sessions() -> tuple[list[AcademicYear], list[Round]]:
    """Return the academic years and their count rounds (not the demo rounds), in date order."""
    years = list(AcademicYear.objects.order_by("year"))
    rounds = list(
        Round.objects.filter(is_demo=False)
        .select_related("academic_year")
        .annotate(last_change=Max("changes__changed_at"))
        .order_by("academic_year__year", "number")
    )
    return years, rounds
