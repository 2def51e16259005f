"""Report selectors for area offices and the ministry: counts, changes between rounds, allocation,
and schools missing a round. Certified snapshots only; each report runs a fixed number of queries
(aggregates in the database, never a loop over schools)."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, QuerySet, Subquery, Sum
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from accounts.permissions import can_administer, overseen_areas
from schools.models import AreaOffice, Enrollment, EnrollmentStatus, Grade, School
from schools.templatetags.thai import thai_date

from .exports import Table
from .models import (
    RosterSnapshot,
    Round,
    SchoolRound,
    SnapshotGradeCount,
    SnapshotRow,
    SubsidyItem,
)
from .subsidy import AllocationSummary, allocation_figures, allocation_summary

CERTIFIED = RosterSnapshot.Status.CERTIFIED


def grade_labels() -> dict[str, str]:
    """Return each grade's label in the active language, as text: a report sorts thousands of rows
    by it, and a lazy label would be translated again at every comparison."""
    return {value: str(label) for value, label in Grade.choices}


@dataclass
class Scope:
    """What a report covers: every area office the user oversees, or one of them."""

    areas: list[AreaOffice]
    area: AreaOffice | None
    national: bool = False

    @property
    def schools(self) -> QuerySet[School]:
        if self.area is not None:
            return School.objects.filter(area_office_id=self.area.pk)
        if self.national:
            return School.objects.all()
        return School.objects.filter(area_office_id__in=[a.pk for a in self.areas])

    @property
    def by_school(self) -> bool:
        """Return whether the report's rows are schools (one area) rather than area offices."""
        return self.area is not None


def report_scope(*, user: User, area_code: str | None = None) -> Scope:
    """Return the areas the user may report on and the one asked for; 403 for a user who oversees
    no area office, 404 for an area office they do not oversee."""
    areas = overseen_areas(user)
    if not areas:
        raise PermissionDenied
    area = None
    if area_code:
        area = next((a for a in areas if a.code == area_code), None)
        if area is None:
            raise Http404
    elif len(areas) == 1:
        area = areas[0]
    return Scope(areas=areas, area=area, national=can_administer(user))


def report_rounds() -> list[Round]:
    """Return the rounds a report may be asked about, latest first."""
    return list(Round.objects.select_related("academic_year").order_by("-as_of", "-number"))


def default_round(rounds: list[Round], *, today: date) -> Round | None:
    """Return the latest ordinary round whose as-of date has come."""
    return next((r for r in rounds if not r.is_demo and r.as_of <= today), None) or (
        rounds[0] if rounds else None
    )


def _unit_names(scope: Scope) -> dict[int, tuple[str, str]]:
    if scope.by_school:
        return {pk: (code, name) for pk, code, name in
                scope.schools.order_by("code").values_list("pk", "code", "name_th")}  # fmt: skip
    return {a.pk: (a.code, a.name_th) for a in scope.areas}


def _unit_field(scope: Scope, prefix: str = "snapshot__school") -> str:
    return f"{prefix}_id" if scope.by_school else f"{prefix}__area_office_id"


def _grade_counts(round: Round, scope: Scope) -> QuerySet[SnapshotGradeCount]:
    # Written when each snapshot was frozen: a few rows per school, not one per learner.
    counts = SnapshotGradeCount.objects.filter(snapshot__round=round, snapshot__status=CERTIFIED)
    schools = scope.schools
    # The whole nation needs no join to the schools.
    return counts.filter(snapshot__school__in=schools) if schools.query.has_filters() else counts


# --- learners by grade × sex ----------------------------------------------------------------------


def counts_report(*, scope: Scope, round: Round) -> dict:
    """Return certified learners by grade × sex, by school or area office, and the round trend."""
    unit = _unit_field(scope)
    labels = grade_labels()
    cells = (
        _grade_counts(round, scope)
        .values_list(unit, "grade")
        .annotate(m=Sum("male"), f=Sum("female"))
    )
    names = _unit_names(scope)
    by_grade: dict[str, dict[str, int]] = defaultdict(lambda: {"M": 0, "F": 0})
    by_unit: dict[int, dict[str, int]] = defaultdict(lambda: {"M": 0, "F": 0})
    detail = []
    for unit_id, grade, male, female in cells:
        code, name = names.get(unit_id, ("", ""))
        for sex, n in (("M", male), ("F", female)):
            if not n:
                continue
            by_grade[grade][sex] += n
            by_unit[unit_id][sex] += n
            detail.append([code, name, labels.get(grade, grade), sex, n])
    detail.sort(key=lambda r: (r[0], r[2], r[3]))
    certified = dict(
        RosterSnapshot.objects.filter(round=round, status=CERTIFIED, school__in=scope.schools)
        .values_list(unit.removeprefix("snapshot__"))
        .annotate(n=Count("id"))
    )
    grades = [
        [labels[g], by_grade[g]["M"], by_grade[g]["F"], by_grade[g]["M"] + by_grade[g]["F"]]
        for g in Grade.values
        if g in by_grade
    ]
    units = [
        [code, name, certified.get(pk, 0), by_unit[pk]["M"], by_unit[pk]["F"],
         by_unit[pk]["M"] + by_unit[pk]["F"]]
        for pk, (code, name) in sorted(names.items(), key=lambda kv: kv[1][0])
    ]  # fmt: skip
    unit_label = _("School") if scope.by_school else _("Area office")
    male, female = sum(r[1] for r in grades), sum(r[2] for r in grades)
    return {
        "grades": Table(
            "grades", _("Learners by grade"), [_("Grade"), _("Male"), _("Female"), _("Total")],
            grades, [_("Total"), male, female, male + female],
        ),
        "units": Table(
            "units", _("Learners by %(unit)s") % {"unit": unit_label.lower()},
            [_("Code"), unit_label, _("Schools certified"), _("Male"), _("Female"), _("Total")],
            units, [_("Total"), "", sum(r[2] for r in units), male, female, male + female],
        ),
        "detail": Table(
            "detail", _("Learners by %(unit)s, grade and sex") % {"unit": unit_label.lower()},
            [_("Code"), unit_label, _("Grade"), _("Sex"), _("Learners")], detail,
        ),
    }  # fmt: skip


def trend_report(*, scope: Scope, rounds: list[Round], last: int = 6) -> Table:
    """Return certified learners and schools per ordinary round, oldest first (last few rounds)."""
    wanted = [r for r in rounds if not r.is_demo][:last]
    sums = {
        round_id: (learners, schools)
        for round_id, learners, schools in RosterSnapshot.objects.filter(
            round__in=[r.pk for r in wanted], status=CERTIFIED, school__in=scope.schools
        )
        .values_list("round_id")
        .annotate(learners=Sum("learner_count"), schools=Count("id"))
    }
    rows = [[str(r), thai_date(r.as_of), *sums.get(r.pk, (0, 0))] for r in reversed(wanted)]
    return Table(
        "trend", _("Certified learners per round"),
        [_("Round"), _("As-of date"), _("Learners"), _("Schools certified")], rows,
    )  # fmt: skip


# --- changes between two rounds -------------------------------------------------------------------


def changes_report(*, scope: Scope, before: Round, after: Round) -> dict:
    """Return, per grade and per school or area office, the learners who came in, went out and
    dropped out between two rounds. In and out compare each school's two certified rosters; only
    schools certified in both rounds are compared."""
    unit = _unit_field(scope)
    both = (
        RosterSnapshot.objects.filter(round=before, status=CERTIFIED)
        .filter(school__in=scope.schools)
        .filter(
            Exists(
                RosterSnapshot.objects.filter(
                    round=after, status=CERTIFIED, school_id=OuterRef("school_id")
                )
            )
        )
        .values("school_id")
    )

    def elsewhere(round: Round):
        return SnapshotRow.objects.filter(
            snapshot__round=round,
            snapshot__status=CERTIFIED,
            snapshot__school_id=OuterRef("snapshot__school_id"),
            student_id=OuterRef("student_id"),
        )

    def grouped(round: Round, other: Round | None):
        if other is None:  # every learner of the round: the snapshots' grade counts
            return (
                SnapshotGradeCount.objects.filter(
                    snapshot__round=round, snapshot__status=CERTIFIED, snapshot__school_id__in=both
                )
                .values_list(unit, "grade")
                .annotate(n=Sum("learners"))
            )
        # Who came in or went out needs each learner's row.
        rows = SnapshotRow.objects.filter(
            snapshot__round=round, snapshot__status=CERTIFIED, snapshot__school_id__in=both
        ).filter(~Exists(elsewhere(other)))
        return rows.values_list(unit, "grade").annotate(n=Count("id"))

    figures: dict[str, dict[tuple[int, str], int]] = {
        "before": dict(((u, g), n) for u, g, n in grouped(before, None)),
        "after": dict(((u, g), n) for u, g, n in grouped(after, None)),
        "in": dict(((u, g), n) for u, g, n in grouped(after, before)),
        "out": dict(((u, g), n) for u, g, n in grouped(before, after)),
        "dropped": {
            (u, g): n
            for u, g, n in Enrollment.objects.filter(
                status=EnrollmentStatus.DROPPED_OUT,
                ended_on__gt=before.as_of,
                ended_on__lte=after.as_of,
                school__in=scope.schools,
            )
            .values_list("school_id" if scope.by_school else "school__area_office_id", "grade")
            .annotate(n=Count("id"))
        },
    }
    keys = ("before", "after", "in", "out", "dropped")
    per_grade = {g: dict.fromkeys(keys, 0) for g in Grade.values}
    names = _unit_names(scope)
    per_unit = {pk: dict.fromkeys(keys, 0) for pk in names}
    for key in keys:
        for (unit_id, grade), n in figures[key].items():
            if grade in per_grade:
                per_grade[grade][key] += n
            if unit_id in per_unit:
                per_unit[unit_id][key] += n
    header = [_("Learners at %(r)s") % {"r": before}, _("Learners at %(r)s") % {"r": after},
              _("In"), _("Out"), _("Dropped out")]  # fmt: skip
    labels = grade_labels()
    grade_rows = [
        [labels[g], *(per_grade[g][k] for k in keys)]
        for g in Grade.values
        if any(per_grade[g].values())
    ]
    unit_label = _("School") if scope.by_school else _("Area office")
    unit_rows = [
        [code, name, *(per_unit[pk][k] for k in keys)]
        for pk, (code, name) in sorted(names.items(), key=lambda kv: kv[1][0])
    ]
    total = [sum(r[i] for r in grade_rows) for i in range(1, 6)]
    return {
        "compared": both.count(),
        "grades": Table("grades", _("Changes by grade"), [_("Grade"), *header], grade_rows,
                        [_("Total"), *total]),
        "units": Table("units", _("Changes by %(unit)s") % {"unit": unit_label.lower()},
                       [_("Code"), unit_label, *header], unit_rows),
    }  # fmt: skip


# --- allocation -----------------------------------------------------------------------------------

# Lazy: read in the language of each request, not the one active when this module was imported.
STATUS_LABELS = {
    "final": gettext_lazy("Final"),
    "provisional": gettext_lazy("Provisional rate"),
    "incomplete": gettext_lazy("Incomplete"),
    "none": gettext_lazy("No certified count"),
}


def allocation_report(
    *, scope: Scope, academic_year: int, term: int, per_school: bool = True
) -> dict:
    """Return a term's allocation per area office and per item, with its statuses, and per school
    unless ``per_school`` is false. The figures are read from the cache, with the schools' rows for
    one area office; the rows of more schools (the nation's download) are computed each time."""
    if per_school and scope.area is None:
        summary: AllocationSummary = allocation_summary(
            schools=scope.schools, academic_year=academic_year, term=term
        )
    else:
        summary = allocation_figures(
            schools=scope.schools, academic_year=academic_year, term=term, per_school=per_school
        )
    pay_keys = [r.key for r in summary.rules]
    pay_labels = [r.label for r in summary.rules]
    tables = {}
    if per_school:
        status_labels = {key: str(label) for key, label in STATUS_LABELS.items()}
        tables["schools"] = Table(
            "schools", _("Allocation per school"),
            [_("Area office"), _("School code"), _("School"), *pay_labels, _("Total (baht)"), _("Status")],
            [[s["area_code"], s["code"], s["name"], *(s["payments"].get(k, 0) for k in pay_keys),
              s["total"], status_labels[s["status"]]] for s in summary.schools],
            [_("Total"), "", "", *(summary.payment_totals.get(k, 0) for k in pay_keys),
             summary.total, ""],
        )  # fmt: skip
    areas = Table(
        "areas", _("Allocation per area office"),
        [_("Code"), _("Area office"), _("Schools"), _("Schools funded"), _("Schools without a certified count"), _("Total (baht)")],
        [[a["code"], a["name"], a["schools"], a["funded"], a["unfunded"], a["total"]] for a in summary.areas],
        [_("Nation") if len(scope.areas) > 1 and scope.area is None else _("Total"), "",
         sum(a["schools"] for a in summary.areas), sum(a["funded"] for a in summary.areas),
         sum(a["unfunded"] for a in summary.areas), summary.total],
    )  # fmt: skip
    item_rows = []
    labels = grade_labels()
    for (key, grade, item), cell in sorted(
        summary.grade_items.items(), key=lambda kv: (pay_keys.index(kv[0][0]), kv[0][1], kv[0][2])
    ):
        label = pay_labels[pay_keys.index(key)]
        per = cell["per"]
        item_rows.append([label, labels[grade], str(SubsidyItem(item).label), cell["count"],
                          per if per is not None else _("missing"), cell["amount"]])  # fmt: skip
    items = Table(
        "items", _("Learners × rate per grade and item"),
        [_("Payment"), _("Grade"), _("Item"), _("Funded learners"), _("Baht per learner"), _("Amount (baht)")],
        item_rows,
    )  # fmt: skip
    statuses = summary.statuses
    return {
        "summary": summary,
        **tables,
        "areas": areas,
        "items": items,
        "statuses": {STATUS_LABELS[k]: statuses[k] for k in STATUS_LABELS if statuses.get(k)},
    }


# --- schools missing or revoked -------------------------------------------------------------------


def missing_report(*, scope: Scope, round: Round) -> Table:
    """Return the schools with no certified snapshot for a round, with their round state."""
    state = SchoolRound.objects.filter(round=round, school_id=OuterRef("pk"))
    rows = (
        scope.schools.exclude(
            Exists(RosterSnapshot.objects.filter(round=round, status=CERTIFIED, school_id=OuterRef("pk")))
        )
        .annotate(state=Subquery(state.values("state")[:1]),
                  reason=Subquery(state.values("revoked_reason")[:1]))
        .order_by("area_office__code", "code")
        .values_list("area_office__code", "area_office__name_th", "code", "name_th", "state", "reason")
    )  # fmt: skip
    # Translated once, not once per school (the nation's morning lists thousands).
    labels = {state: str(label) for state, label in SchoolRound.State.choices}
    no_record = _("No record")
    return Table(
        "missing", _("Schools without a certified count"),
        [_("Area office code"), _("Area office"), _("School code"), _("School"), _("State"), _("Reason")],
        [[ac, an, code, name, labels.get(st, no_record), reason or ""]
         for ac, an, code, name, st, reason in rows],
    )  # fmt: skip
