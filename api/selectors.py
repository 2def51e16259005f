"""Reads of the API: each list's joins and order, decided once."""

from datetime import datetime

from django.db.models import Prefetch, Q, QuerySet

from accounts.models import User
from accounts.permissions import api_key_places_of, areas_visible_to, schools_visible_to
from census.models import AreaWindow, RosterSnapshot, Round, SchoolRound
from schools.models import Enrollment, EnrollmentStatus, School

from .models import ApiKey


def api_schools(*, user: User) -> QuerySet[School]:
    """Return the schools a key reaches, in code order."""
    return schools_visible_to(user).select_related("area_office").order_by("code")


def api_roster(*, school: School, updated_since: datetime | None = None) -> QuerySet[Enrollment]:
    """Return a school's enrollments with their learners, in a fixed order for cursor paging.

    Without ``updated_since``, the learners enrolled now; with it, every enrollment at the school
    changed since then, the ended ones included, so that a system that syncs sees who left."""
    qs = Enrollment.objects.filter(school=school).select_related("student")
    if updated_since is None:
        return qs.filter(status=EnrollmentStatus.ACTIVE)
    return qs.filter(Q(updated_at__gte=updated_since) | Q(student__updated_at__gte=updated_since))


def api_learner(*, school: School, public_id) -> Enrollment | None:
    """Return the learner's latest enrollment at the school, or None."""
    return (
        Enrollment.objects.filter(school=school, student__public_id=public_id)
        .select_related("student")
        .order_by("-started_on", "-pk")
        .first()
    )


def api_rounds(*, user: User | None = None) -> QuerySet[Round]:
    """Return the count rounds with their academic year; for a caller of one area office (its own
    key or one of its schools'), each with that area office's own windows where the ministry
    staggered the round (``own_windows``: a list of at most one, one query for a page)."""
    rounds = Round.objects.select_related("academic_year")
    areas = list(areas_visible_to(user).values_list("pk", flat=True)[:2]) if user else []
    if len(areas) != 1:
        return rounds
    own = AreaWindow.objects.filter(area_office_id=areas[0]).select_related("area_office")
    return rounds.prefetch_related(Prefetch("area_windows", queryset=own, to_attr="own_windows"))


def api_round_states(*, user: User, round: Round) -> QuerySet[SchoolRound]:
    """Return the state of each school the key reaches in a round."""
    return SchoolRound.objects.filter(
        round=round, school__in=schools_visible_to(user).values("pk")
    ).select_related("school")


def api_round_counts(*, user: User, round: Round) -> QuerySet[RosterSnapshot]:
    """Return the certified counts of a round, one per school the key reaches."""
    return RosterSnapshot.objects.filter(
        round=round,
        status=RosterSnapshot.Status.CERTIFIED,
        school__in=schools_visible_to(user).values("pk"),
    ).select_related("school")


def api_keys_managed_by(*, user: User) -> QuerySet[ApiKey]:
    """Return the keys of the schools and area offices whose keys the user manages."""
    schools, areas = api_key_places_of(user)
    return (
        ApiKey.objects.filter(
            Q(school__in=schools.values("pk")) | Q(area_office__in=areas.values("pk"))
        )
        .select_related("school", "area_office", "created_by", "revoked_by")
        .order_by("-created_at", "-pk")
    )
