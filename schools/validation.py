"""Validation of a school's roster, like England's school census: errors block confirmation,
queries need a short explanation from the school.

``school_findings`` runs every rule with a fixed number of queries, whatever the school's size.
"""

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import NamedTuple

from django.conf import settings
from django.db.models import QuerySet, TextChoices
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import nutrition
from .bulk import select_values
from .calendar import academic_year_of, academic_year_start, next_default_count_day
from .identifiers import is_valid_citizen_id
from .models import Enrollment, EnrollmentStatus, Grade, Measurement, QueryExplanation, School
from .templatetags.thai import thai_date

GRADE_ORDER = list(Grade.values)
# Plausible height (cm) and weight (kg) by whole years of age; outside them is a query, not an error.
PLAUSIBLE = {
    3: (80, 112, 9, 26), 4: (85, 120, 10, 32), 5: (90, 127, 11, 38), 6: (95, 134, 13, 44),
    7: (100, 141, 14, 52), 8: (105, 147, 16, 60), 9: (110, 153, 17, 68), 10: (114, 160, 19, 76),
    11: (118, 167, 21, 84), 12: (122, 174, 23, 92), 13: (127, 181, 25, 100), 14: (132, 186, 28, 106),
    15: (136, 191, 31, 112), 16: (139, 196, 33, 118), 17: (140, 200, 35, 124),
}  # fmt: skip
AGE_GRADE_TOLERANCE = 2
# A previous measurement is looked for this far before the academic year (the last one of the year
# before, for a learner measured once a year).
PREVIOUS_WITHIN = timedelta(days=400)


class Severity(TextChoices):
    ERROR = "error", _("Error")
    QUERY = "query", _("Query")


class Rule(TextChoices):
    NO_MEASUREMENT = "no_measurement", _("Weight or height missing this academic year")
    BAD_IDENTIFIER = "bad_identifier", _("Citizen ID missing or not valid")
    FUTURE_MEASUREMENT = "future_date", _("Measured on a date still to come")
    IMPLAUSIBLE_MEASUREMENT = "implausible", _("Weight or height unusual for the age")
    BEYOND_POSSIBLE = (
        "z_beyond",
        _("Weight or height beyond what is possible (a z-score beyond ±5)"),
    )
    HEIGHT_DROP = "height_drop", _("Shorter than at the last measurement")
    GROWTH_JUMP = "growth_jump", _("A change in weight or height no child makes in that time")
    OUTSIDE_TERM = "outside_term", _("Measured on a date outside the school terms")
    SAME_VALUES_IN_ROOM = "same_values", _("The same weight and height typed for a whole room")
    AGE_GRADE = "age_grade", _("Age does not fit the grade")
    UNDER_FOUR = "under_four", _("Under 4 years old on the count day (not funded)")
    GRADE_COUNT_CHANGE = (
        "grade_change",
        _("A grade's count changed a lot since the last certified round"),
    )


SEVERITY = {
    Rule.NO_MEASUREMENT: Severity.ERROR,
    Rule.BAD_IDENTIFIER: Severity.ERROR,
    Rule.FUTURE_MEASUREMENT: Severity.ERROR,
    Rule.IMPLAUSIBLE_MEASUREMENT: Severity.QUERY,
    Rule.BEYOND_POSSIBLE: Severity.QUERY,
    Rule.HEIGHT_DROP: Severity.QUERY,
    Rule.GROWTH_JUMP: Severity.QUERY,
    Rule.OUTSIDE_TERM: Severity.QUERY,
    Rule.SAME_VALUES_IN_ROOM: Severity.QUERY,
    Rule.AGE_GRADE: Severity.QUERY,
    Rule.UNDER_FOUR: Severity.QUERY,
    Rule.GRADE_COUNT_CHANGE: Severity.QUERY,
}
# A grade's count that moves by at least this many learners and this share since the last
# certified round is queried (a whole class gone, or a class counted twice).
GRADE_CHANGE_MIN = 5
GRADE_CHANGE_SHARE = 0.3


@dataclass
class Finding:
    rule: str
    subject_key: str
    detail: str
    enrollment: Enrollment | None = None
    explanation: QueryExplanation | None = None

    @property
    def severity(self) -> str:
        return SEVERITY[self.rule]

    @property
    def is_error(self) -> bool:
        return self.severity == Severity.ERROR

    @property
    def subject_label(self) -> str:
        """Return what the finding is about, for a person: a room (ป.4/1) or a grade."""
        kind, _sep, rest = self.subject_key.partition(":")
        if kind == "grade":
            return str(Grade(rest).label)
        grade, _sep, room = self.subject_key.partition(":")
        if grade in Grade.values:
            return f"{Grade(grade).label}/{room}"
        return self.subject_key

    @property
    def rule_label(self) -> str:
        return Rule(self.rule).label

    @property
    def open(self) -> bool:
        """Return whether the finding still needs action (an error, or a query not yet explained)."""
        return self.is_error or self.explanation is None


@dataclass
class Findings:
    items: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.items if f.is_error]

    @property
    def queries(self) -> list[Finding]:
        return [f for f in self.items if not f.is_error]

    @property
    def unexplained_queries(self) -> list[Finding]:
        return [f for f in self.queries if f.explanation is None]

    @property
    def blocking(self) -> bool:
        """Return whether confirmation must wait: any error, or any query without its explanation."""
        return bool(self.errors or self.unexplained_queries)

    def counts_by_rule(self) -> list[tuple[str, str, str, int]]:
        counter = Counter(f.rule for f in self.items)
        return [(r, Rule(r).label, SEVERITY[r], counter[r]) for r in Rule.values if counter[r]]


# The rules on a learner's measurements: what the area dashboard counts per school.
MEASUREMENT_RULES = (
    Rule.FUTURE_MEASUREMENT,
    Rule.IMPLAUSIBLE_MEASUREMENT,
    Rule.BEYOND_POSSIBLE,
    Rule.HEIGHT_DROP,
    Rule.GROWTH_JUMP,
    Rule.OUTSIDE_TERM,
    Rule.SAME_VALUES_IN_ROOM,
)


class Figures(NamedTuple):
    """One measurement as the rules read it."""

    measured_on: date
    weight_kg: Decimal
    height_cm: Decimal
    # The stored status, used when it was computed with the reference in use.
    nutrition_issue: str = ""
    nutrition_reference: str = ""


def _in_a_measurement_period(day: date, periods) -> bool:
    """Return whether a day falls in a round's measurement period ((month, day) from, to; a period
    may run over the new year)."""
    for (start_month, start_day), (end_month, end_day) in periods:
        start, end = (start_month, start_day), (end_month, end_day)
        here = (day.month, day.day)
        if (start <= here <= end) if start <= end else (here >= start or here <= end):
            return True
    return False


def measurement_problems(
    *, sex: str | None, birth_date: date, latest: Figures, previous: Figures | None, today: date
) -> list[tuple[str, str]]:
    """Return the rules a learner's latest measurement breaks, each with its detail, against the
    thresholds of settings.MEASUREMENT_CHECKS: a date to come or outside every round's measurement
    period (in a school holiday that no count day follows), figures beyond
    what is possible (|z| > 5) or unusual for the age, and against the measurement before it a
    height lower by more than the tolerance or a change no child makes in that time."""
    checks = settings.MEASUREMENT_CHECKS
    problems = []
    m = latest
    if m.measured_on > today:
        problems.append(
            (Rule.FUTURE_MEASUREMENT, _("Measured on %(d)s") % {"d": thai_date(m.measured_on)})
        )
    elif not _in_a_measurement_period(m.measured_on, checks["measurement_periods"].values()):
        problems.append(
            (
                Rule.OUTSIDE_TERM,
                _("Measured on %(d)s, a school holiday") % {"d": thai_date(m.measured_on)},
            )
        )
    ref = nutrition.reference()
    if m.nutrition_reference == ref.version:
        issue = m.nutrition_issue
    else:
        issue = nutrition.assess(
            sex=sex, birth_date=birth_date, measured_on=m.measured_on, weight_kg=m.weight_kg,
            height_cm=m.height_cm, ref=ref,
        ).issue  # fmt: skip
    figures = {"w": m.weight_kg, "h": m.height_cm}
    if issue == nutrition.Issue.IMPLAUSIBLE:
        problems.append(
            (Rule.BEYOND_POSSIBLE, _("%(w)s kg, %(h)s cm: typed in pounds or inches?") % figures)
        )
    else:
        age_now = min(max(age_on(birth_date, m.measured_on), 3), 17)
        h_min, h_max, w_min, w_max = PLAUSIBLE[age_now]
        bmi = float(m.weight_kg) / (float(m.height_cm) / 100) ** 2
        if not (h_min <= m.height_cm <= h_max and w_min <= m.weight_kg <= w_max) or not (
            10 <= bmi <= 40
        ):
            problems.append(
                (Rule.IMPLAUSIBLE_MEASUREMENT,
                 _("%(w)s kg, %(h)s cm at age %(a)d") % {**figures, "a": age_now})
            )  # fmt: skip
    if previous is not None and previous.measured_on < m.measured_on:
        months = (m.measured_on - previous.measured_on).days / nutrition.DAYS_PER_MONTH
        grew = float(m.height_cm - previous.height_cm)
        gained = float(m.weight_kg - previous.weight_kg)
        before = {"d": thai_date(previous.measured_on), "pw": previous.weight_kg,
                  "ph": previous.height_cm, **figures}  # fmt: skip
        if -grew > checks["height_drop_cm"]:
            problems.append((Rule.HEIGHT_DROP, _("%(h)s cm now, %(ph)s cm on %(d)s") % before))
        elif grew > checks["height_gain_allowance_cm"] + checks[
            "height_gain_cm_per_month"
        ] * months or (
            abs(gained)
            > checks["weight_change_allowance_kg"] + checks["weight_change_kg_per_month"] * months
        ):
            problems.append(
                (Rule.GROWTH_JUMP,
                 _("%(w)s kg, %(h)s cm now; %(pw)s kg, %(ph)s cm on %(d)s") % before)
            )  # fmt: skip
    return problems


def same_value_rooms(
    rooms: dict[tuple[str, int], list[tuple[Decimal, Decimal]]],
) -> Iterable[tuple[str, int, tuple[Decimal, Decimal], int, int]]:
    """Yield the rooms where one weight and height was typed for too many learners (thresholds in
    settings.MEASUREMENT_CHECKS): grade, room, the pair, how many have it, of how many."""
    checks = settings.MEASUREMENT_CHECKS
    for (grade, room), values in sorted(rooms.items()):
        if len(values) < checks["same_values_min_room"]:
            continue
        (pair, count) = Counter(values).most_common(1)[0]
        if (
            count >= checks["same_values_min_room"]
            and count / len(values) >= checks["same_values_share"]
        ):
            yield grade, room, pair, count, len(values)


def age_on(birth: date, day: date) -> int:
    """Return a person's age in whole years on a day."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


# Rules over the whole school that the layers above know how to check (the count compares each
# grade with the last certified snapshot: census.apps registers census.roster_checks). The roster
# may not import the census, so the census brings its rule here.
SchoolRule = Callable[..., Iterable[tuple[str, str, str]]]
_school_rules: list[SchoolRule] = []


def school_rule_register(rule: SchoolRule) -> None:
    """Add a rule(*, school, enrollments, today) yielding (rule, subject key, detail) to those
    school_findings runs (once: registering it again changes nothing)."""
    if rule not in _school_rules:
        _school_rules.append(rule)


def school_findings(*, school: School, today: date | None = None) -> Findings:
    """Run every validation rule over the school's active learners (three queries in all)."""
    today = today or timezone.localdate()
    year_start = academic_year_start(academic_year_of(today))
    count_day = next_default_count_day(today)
    enrollments = list(
        Enrollment.objects.filter(school=school, status=EnrollmentStatus.ACTIVE)
        .select_related("student")
        .order_by("grade", "room", "student__first_name_th", "pk")
    )
    # Each learner's last two measurements (the one before may be of the year before).
    latest: dict[int, Figures] = {}
    previous: dict[int, Figures] = {}
    for student_id, *figures in (
        Measurement.objects.filter(
            student__enrollments__school=school,
            student__enrollments__status=EnrollmentStatus.ACTIVE,
            measured_on__gte=year_start - PREVIOUS_WITHIN,
        )
        .order_by("student_id", "measured_on")
        .values_list("student_id", *Figures._fields)
    ):
        if student_id in latest:
            previous[student_id] = latest[student_id]
        latest[student_id] = Figures(*figures)
    explanations = {
        (e.rule, e.subject_key): e for e in QueryExplanation.objects.filter(school=school)
    }
    items: list[Finding] = []

    def add(rule, key, detail, enrollment=None):
        items.append(Finding(rule, key, str(detail), enrollment, explanations.get((rule, key))))

    rooms: dict[tuple[str, int], list[tuple[Decimal, Decimal]]] = defaultdict(list)
    for e in enrollments:
        s = e.student
        key = str(s.public_id)
        if not s.citizen_id and not s.gcode:
            add(Rule.BAD_IDENTIFIER, key, _("No citizen ID and no G-code"), e)
        elif s.citizen_id and not is_valid_citizen_id(s.citizen_id):
            add(Rule.BAD_IDENTIFIER, key, _("The citizen ID's check digit is wrong"), e)
        m = latest.get(s.pk)
        age_then = age_on(s.birth_date, year_start)
        if m is None or m.measured_on < year_start:
            add(
                Rule.NO_MEASUREMENT,
                key,
                _("No weight and height since %(d)s") % {"d": thai_date(year_start)},
                e,
            )
        else:
            rooms[(e.grade, e.room)].append((m.weight_kg, m.height_cm))
            for rule, detail in measurement_problems(
                sex=s.sex, birth_date=s.birth_date, latest=m, previous=previous.get(s.pk),
                today=today,
            ):  # fmt: skip
                add(rule, key, detail, e)
        expected = 3 + GRADE_ORDER.index(e.grade)
        if abs(age_then - expected) > AGE_GRADE_TOLERANCE:
            add(
                Rule.AGE_GRADE,
                key,
                _("Age %(a)d in %(g)s (usual age %(x)d)")
                % {"a": age_then, "g": e.get_grade_display(), "x": expected},
                e,
            )
        if age_on(s.birth_date, count_day) < 4:
            add(Rule.UNDER_FOUR, key, _("Under 4 on %(d)s") % {"d": thai_date(count_day)}, e)
    for grade, room, pair, count, total in same_value_rooms(rooms):
        add(
            Rule.SAME_VALUES_IN_ROOM,
            f"{grade}:{room}",
            _("%(n)d of %(t)d learners in %(g)s/%(r)d have %(w)s kg, %(h)s cm")
            % {"n": count, "t": total, "g": Grade(grade).label, "r": room, "w": pair[0],
               "h": pair[1]},
        )  # fmt: skip
    for school_rule in _school_rules:
        for rule, key, detail in school_rule(school=school, enrollments=enrollments, today=today):
            add(rule, key, detail)
    order = list(Rule.values)
    items.sort(key=lambda f: (not f.is_error, order.index(f.rule)))
    return Findings(items)


def measurement_problem_counts(
    *, schools: QuerySet[School], today: date | None = None
) -> dict[int, Counter]:
    """Return, per school, how many of its active learners break each measurement rule (rooms, for
    the same weight and height typed for a room), as school_findings finds them: one query over the
    schools' learners, whatever their number."""
    today = today or timezone.localdate()
    year_start = academic_year_start(academic_year_of(today))
    rows = select_values(
        Enrollment.objects.filter(
            school__in=schools,
            status=EnrollmentStatus.ACTIVE,
            student__measurements__measured_on__gte=year_start - PREVIOUS_WITHIN,
        )
        .order_by("student_id", "student__measurements__measured_on")
        .values_list(
            "school_id",
            "grade",
            "room",
            "student_id",
            "student__sex",
            "student__birth_date",
            *(f"student__measurements__{name}" for name in Figures._fields),
        )  # fmt: skip
    )
    learners: dict[int, list] = {}
    for school_id, grade, room, student_id, sex, birth_date, *figures in rows:
        learner = learners.setdefault(
            student_id, [school_id, grade, room, sex, birth_date, None, None]
        )
        learner[5], learner[6] = learner[6], Figures(*figures)
    counts: dict[int, Counter] = defaultdict(Counter)
    rooms: dict[int, dict] = defaultdict(lambda: defaultdict(list))
    for school_id, grade, room, sex, birth_date, before, m in learners.values():
        if m.measured_on < year_start:
            continue
        rooms[school_id][(grade, room)].append((m.weight_kg, m.height_cm))
        for rule, _detail in measurement_problems(
            sex=sex, birth_date=birth_date, latest=m, previous=before, today=today
        ):
            counts[school_id][rule] += 1
    for school_id, by_room in rooms.items():
        for _room in same_value_rooms(by_room):
            counts[school_id][Rule.SAME_VALUES_IN_ROOM] += 1
    return counts
