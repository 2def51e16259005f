"""The area and national dashboards of a count round: each school's state, counts and time left."""

from dataclasses import dataclass
from datetime import date, datetime

from django.core.cache import cache
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.selectors import staffing_annotations
from schools.models import AreaOffice, Enrollment, EnrollmentStatus, School
from schools.validation import MEASUREMENT_RULES, Rule, measurement_problem_counts

from .models import CountWindows, RosterSnapshot, Round, SchoolRound

STATE_ORDER = [s for s, _label in SchoolRound.State.choices]


def rounds_for_dashboard() -> QuerySet[Round]:
    """Return the rounds a dashboard may show, newest first."""
    return Round.objects.select_related("academic_year").order_by("-as_of", "-pk")


def current_round(*, at: datetime | None = None) -> Round | None:
    """Return the round a dashboard opens on: the one whose windows are open now, else the latest
    one whose processes have started, else the latest by date that has passed."""
    now = at or timezone.now()
    rounds = Round.objects.select_related("academic_year")
    return (
        rounds.filter(confirm_opens__lte=now, certify_closes__gt=now)
        .order_by("certify_closes")
        .first()
        or rounds.filter(opened_at__isnull=False).order_by("-as_of", "-pk").first()
        or rounds.filter(as_of__lte=timezone.localdate(now)).order_by("-as_of", "-pk").first()
        or rounds.order_by("as_of", "pk").first()
    )


def area_schools(*, area_office: AreaOffice, round: Round) -> QuerySet[School]:
    """Return the area's schools with their state, active learners, certified count and whether
    they have a director and staff in force today (one query).

    Each figure is a subquery per school: a join and GROUP BY over the area's enrollments would
    evaluate the state once per learner (30,000 times for 200 schools) and cost enough to be
    JIT-compiled on every request."""
    state = SchoolRound.objects.filter(school=OuterRef("pk"), round=round).values("state")[:1]
    certified = RosterSnapshot.objects.filter(
        school=OuterRef("pk"), round=round, status=RosterSnapshot.Status.CERTIFIED
    ).values("learner_count")[:1]
    learners = (
        Enrollment.objects.filter(school=OuterRef("pk"), status=EnrollmentStatus.ACTIVE)
        .order_by()
        .values("school")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        School.objects.open_on(round.as_of)
        .filter(area_office=area_office)
        .annotate(
            round_state=Coalesce(Subquery(state), Value(SchoolRound.State.NOT_STARTED)),
            learners=Coalesce(Subquery(learners, output_field=IntegerField()), 0),
            certified_learners=Subquery(certified, output_field=IntegerField()),
            # A school nobody can confirm or certify for is flagged (the people pages fix it).
            **staffing_annotations(),
        )
        .order_by("code")
    )


# How long an area's measurement checks are kept (seconds): the dashboard refreshes every 30 s
# for each of the area's officers, and the checks read and assess every learner of the area.
MEASUREMENT_CHECKS_SECONDS = 120


@dataclass(frozen=True)
class MeasurementChecks:
    """Per school of an area, (rule, label, count) for each rule broken; and when they were read."""

    by_school: dict[int, list[tuple[str, str, int]]]
    as_of: datetime


def measurement_checks_key(*, area_office_id: int, today: date) -> str:
    """Return the cache key of an area's measurement checks on a day."""
    return f"area-measurement-checks:{area_office_id}:{today.isoformat()}"


def measurement_problems(*, area_office: AreaOffice) -> MeasurementChecks:
    """Return, per school of the area, how many of its learners' measurements break each rule
    checked before confirming (rooms, for one weight and height typed for a room): (rule, label,
    count) for each rule broken, in the rules' order, as of their reading.

    One query for the whole area, whose counts are then kept MEASUREMENT_CHECKS_SECONDS for every
    officer and refresh (a new day reads them again: the rules depend on the date). A school sees
    its own findings live; the dashboard says as of when the area's counts were read."""
    today = timezone.localdate()
    key = measurement_checks_key(area_office_id=area_office.pk, today=today)
    kept = cache.get(key)
    if kept is None:
        counts = measurement_problem_counts(
            schools=School.objects.filter(area_office=area_office), today=today
        )
        kept = ({school_id: dict(found) for school_id, found in counts.items()}, timezone.now())
        cache.set(key, kept, MEASUREMENT_CHECKS_SECONDS)
    counts, as_of = kept
    labels = {rule: str(Rule(rule).label) for rule in MEASUREMENT_RULES}
    by_school = {
        school_id: [
            (rule, labels[rule], found[rule]) for rule in MEASUREMENT_RULES if found.get(rule)
        ]
        for school_id, found in counts.items()
    }
    return MeasurementChecks(by_school=by_school, as_of=as_of)


@dataclass
class StateTotals:
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def done(self) -> int:
        return self.counts.get("certified", 0) + self.counts.get("acknowledged", 0)

    @property
    def percent_done(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0

    def rows(self) -> list[tuple[str, str, int]]:
        labels = dict(SchoolRound.State.choices)
        return [(s, str(labels[s]), self.counts.get(s, 0)) for s in STATE_ORDER]


def state_totals(schools) -> StateTotals:
    """Count schools per state from an evaluated list of annotated schools."""
    counts: dict[str, int] = {}
    for school in schools:
        counts[school.round_state] = counts.get(school.round_state, 0) + 1
    return StateTotals(counts)


def national_rows(*, round: Round) -> list[dict]:
    """Return each area office's schools per state for a round (two queries)."""
    per_area = {
        (r["school__area_office_id"], r["state"]): r["n"]
        for r in SchoolRound.objects.filter(round=round)
        .values("school__area_office_id", "state")
        .annotate(n=Count("pk"))
    }
    rows = []
    counted = School.objects.open_on(round.as_of).filter(area_office=OuterRef("pk"))
    for area in AreaOffice.objects.annotate(
        schools_total=Coalesce(
            Subquery(
                counted.order_by().values("area_office").annotate(n=Count("pk")).values("n"),
                output_field=IntegerField(),
            ),
            0,
        )
    ).order_by("code"):
        counts = {s: per_area.get((area.pk, s), 0) for s in STATE_ORDER if s != "not_started"}
        counts["not_started"] = area.schools_total - sum(counts.values())
        rows.append({"area": area, "totals": StateTotals(counts)})
    return rows


def time_left(round: CountWindows, now: datetime) -> str | None:
    """Return the time left before the certify window (the round's or an area office's) closes,
    or None once it has."""
    if now >= round.certify_closes:
        return None
    return round.certify_closes - now
