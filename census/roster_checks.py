"""The count's own check of a school's roster, run by schools.validation.school_findings (census.apps
registers it there: the roster may not import the census)."""

from collections import Counter
from collections.abc import Iterator
from datetime import date

from django.utils.translation import gettext_lazy as _

from schools.calendar import academic_year_of
from schools.models import Enrollment, Grade, School
from schools.validation import GRADE_CHANGE_MIN, GRADE_CHANGE_SHARE, GRADE_ORDER, Rule

from .models import RosterSnapshot

# The entry grades: their intake is new each year, so they are not compared across a new year.
ENTRY_GRADES = {Grade.K1, Grade.P1, Grade.M1}


def grade_count_changes(
    *, school: School, enrollments: list[Enrollment], today: date
) -> Iterator[tuple[str, str, str]]:
    """Yield a query for each grade whose count moved a lot against the school's last certified
    snapshot (one query)."""
    for grade, now_count, then_count, label in _grade_changes(
        school=school, enrollments=enrollments, today=today
    ):
        yield (
            Rule.GRADE_COUNT_CHANGE,
            f"grade:{grade}",
            _("%(g)s: %(now)d learners now, %(then)d at the last certified round (%(label)s)")
            % {"g": Grade(grade).label, "now": now_count, "then": then_count, "label": label},
        )


def _grade_changes(*, school: School, enrollments: list[Enrollment], today: date):
    """Yield the grades whose count moved a lot against the school's last certified snapshot.

    Across a new academic year the learners moved up one grade, so grade g now is compared with
    grade g-1 then (the entry grades อ.1, ป.1 and ม.1 are skipped: their intake is new).
    """
    snapshot = (
        RosterSnapshot.objects.filter(school=school, status=RosterSnapshot.Status.CERTIFIED)
        .select_related("round__academic_year")
        .order_by("-as_of")
        .first()
    )
    if snapshot is None:
        return
    then = {g: c.get("M", 0) + c.get("F", 0) for g, c in snapshot.counts.items()}
    now = Counter(e.grade for e in enrollments)
    new_year = snapshot.round.academic_year.year != academic_year_of(today)
    label = str(snapshot.round)
    for grade in GRADE_ORDER:
        if new_year:
            if grade in ENTRY_GRADES:
                continue
            previous = GRADE_ORDER[GRADE_ORDER.index(grade) - 1]
        else:
            previous = grade
        now_count, then_count = now.get(grade, 0), then.get(previous, 0)
        change = abs(now_count - then_count)
        if change >= GRADE_CHANGE_MIN and change >= GRADE_CHANGE_SHARE * max(then_count, 1):
            yield grade, now_count, then_count, label
