"""Report selectors for area offices and the ministry: counts, changes between rounds, allocation,
and schools missing a round. Certified snapshots only; each report runs a fixed number of queries
(aggregates in the database, never a loop over schools)."""

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.cache import cache
from django.core.exceptions import EmptyResultSet, PermissionDenied
from django.db.models import Count, Exists, OuterRef, QuerySet, Subquery, Sum
from django.http import Http404
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from accounts.permissions import can_administer, overseen_areas
from schools.models import AreaOffice, Enrollment, EnrollmentStatus, Grade, School
from schools.selectors import NUTRITION_INDICATORS
from schools.templatetags.thai import thai_date

from .allocation import (
    FIGURES_CACHE_SECONDS,
    AllocationSummary,
    allocation_figures,
    allocation_summary,
)
from .exports import Table
from .models import (
    RosterSnapshot,
    Round,
    SchoolRound,
    SnapshotGradeCount,
    SnapshotNutritionCount,
    SnapshotRow,
    SubsidyItem,
)

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
    wanted = _trend_rounds(rounds, last)
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


def _certified_in_both(*, scope: Scope, before: Round, after: Round) -> QuerySet:
    """Return the ids of the scope's schools certified in both rounds (the only ones compared)."""
    return (
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


def _learners_by_grade(*, unit: str, both: QuerySet, round: Round, absent_from: Round | None):
    """Return (unit, grade, learners) of a round's certified rosters; with ``absent_from``, only
    the learners not on the same school's roster in that other round (who came in or went out)."""
    if absent_from is None:  # every learner of the round: the snapshots' grade counts
        return (
            SnapshotGradeCount.objects.filter(
                snapshot__round=round, snapshot__status=CERTIFIED, snapshot__school_id__in=both
            )
            .values_list(unit, "grade")
            .annotate(n=Sum("learners"))
        )
    # Who came in or went out needs each learner's row.
    elsewhere = SnapshotRow.objects.filter(
        snapshot__round=absent_from,
        snapshot__status=CERTIFIED,
        snapshot__school_id=OuterRef("snapshot__school_id"),
        student_id=OuterRef("student_id"),
    )
    rows = SnapshotRow.objects.filter(
        snapshot__round=round, snapshot__status=CERTIFIED, snapshot__school_id__in=both
    ).filter(~Exists(elsewhere))
    return rows.values_list(unit, "grade").annotate(n=Count("id"))


CHANGE_KEYS = ("before", "after", "in", "out", "dropped")


def _change_figures(*, scope: Scope, before: Round, after: Round, both: QuerySet) -> dict:
    """Return each figure of the changes report as {(unit id, grade): learners}."""
    unit = _unit_field(scope)

    def by_grade(round: Round, absent_from: Round | None = None) -> dict:
        rows = _learners_by_grade(unit=unit, both=both, round=round, absent_from=absent_from)
        return {(u, g): n for u, g, n in rows}

    dropped = (
        Enrollment.objects.filter(
            status=EnrollmentStatus.DROPPED_OUT,
            ended_on__gt=before.as_of,
            ended_on__lte=after.as_of,
            school__in=scope.schools,
        )
        .values_list("school_id" if scope.by_school else "school__area_office_id", "grade")
        .annotate(n=Count("id"))
    )
    return {
        "before": by_grade(before),
        "after": by_grade(after),
        "in": by_grade(after, before),
        "out": by_grade(before, after),
        "dropped": {(u, g): n for u, g, n in dropped},
    }


def changes_report(*, scope: Scope, before: Round, after: Round) -> dict:
    """Return, per grade and per school or area office, the learners who came in, went out and
    dropped out between two rounds. In and out compare each school's two certified rosters; only
    schools certified in both rounds are compared."""
    both = _certified_in_both(scope=scope, before=before, after=after)
    figures = _change_figures(scope=scope, before=before, after=after, both=both)
    per_grade = {g: dict.fromkeys(CHANGE_KEYS, 0) for g in Grade.values}
    names = _unit_names(scope)
    per_unit = {pk: dict.fromkeys(CHANGE_KEYS, 0) for pk in names}
    for key in CHANGE_KEYS:
        for (unit_id, grade), n in figures[key].items():
            if grade in per_grade:
                per_grade[grade][key] += n
            if unit_id in per_unit:
                per_unit[unit_id][key] += n
    header = [_("Learners at %(r)s") % {"r": before}, _("Learners at %(r)s") % {"r": after},
              _("In"), _("Out"), _("Dropped out")]  # fmt: skip
    labels = grade_labels()
    grade_rows = [
        [labels[g], *(per_grade[g][k] for k in CHANGE_KEYS)]
        for g in Grade.values
        if any(per_grade[g].values())
    ]
    unit_label = _("School") if scope.by_school else _("Area office")
    unit_rows = [
        [code, name, *(per_unit[pk][k] for k in CHANGE_KEYS)]
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
    *,
    scope: Scope,
    academic_year: int,
    term: int,
    per_school: bool = True,
    rounds: list[Round] | None = None,
) -> dict:
    """Return a term's allocation per area office and per item, with its statuses, and per school
    unless ``per_school`` is false. The figures are read from the cache, with the schools' rows for
    one area office; the rows of more schools (the nation's download) are computed each time.
    ``rounds``: report_rounds(), when the page has read them (one query fewer)."""
    if per_school and scope.area is None:
        summary: AllocationSummary = allocation_summary(
            schools=scope.schools, academic_year=academic_year, term=term, rounds=rounds
        )
    else:
        summary = allocation_figures(
            schools=scope.schools, academic_year=academic_year, term=term, per_school=per_school,
            rounds=rounds,
        )  # fmt: skip
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
    statuses = summary.statuses
    return {
        "summary": summary,
        **tables,
        "areas": areas,
        "items": _allocation_items(summary),
        "statuses": {STATUS_LABELS[k]: statuses[k] for k in STATUS_LABELS if statuses.get(k)},
    }


def _allocation_items(summary: AllocationSummary) -> Table:
    """Return the table of learners × rate per payment, grade and subsidy item."""
    pay_keys = [r.key for r in summary.rules]
    pay_labels = [r.label for r in summary.rules]
    labels = grade_labels()
    rows = []
    for (key, grade, item), cell in sorted(
        summary.grade_items.items(), key=lambda kv: (pay_keys.index(kv[0][0]), kv[0][1], kv[0][2])
    ):
        per = cell["per"]
        rows.append([pay_labels[pay_keys.index(key)], labels[grade], str(SubsidyItem(item).label),
                     cell["count"], per if per is not None else _("missing"), cell["amount"]])  # fmt: skip
    return Table(
        "items", _("Learners × rate per grade and item"),
        [_("Payment"), _("Grade"), _("Item"), _("Funded learners"), _("Baht per learner"), _("Amount (baht)")],
        rows,
    )  # fmt: skip


# --- schools missing or revoked -------------------------------------------------------------------


def missing_report(*, scope: Scope, round: Round) -> Table:
    """Return the schools with no certified snapshot for a round, with their round state."""
    state = SchoolRound.objects.filter(round=round, school_id=OuterRef("pk"))
    rows = (
        scope.schools.filter(pk__in=School.objects.open_on(round.as_of).values("pk")).exclude(
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


# --- nutrition: percent per band ------------------------------------------------------------------

NUTRITION_BANDS = {key: (title, order) for key, title, order in NUTRITION_INDICATORS}


def _percent(n: int, of: int) -> Decimal | str:
    return (Decimal(100 * n) / of).quantize(Decimal("0.1")) if of else ""


def _nutrition_counts(scope: Scope, indicator: str) -> QuerySet[SnapshotNutritionCount]:
    # Written when each snapshot was frozen, with the status of that day: a past round never moves.
    counts = SnapshotNutritionCount.objects.filter(snapshot__status=CERTIFIED, indicator=indicator)
    schools = scope.schools
    return counts.filter(snapshot__school__in=schools) if schools.query.has_filters() else counts


def _nutrition_tallies(cells, bands: list[str]) -> tuple[dict, dict, dict, dict]:
    """Return the learners per band (then without a status) by sex, by grade, by school or area
    office, and by school or area office × grade × sex, from (unit, grade, sex, band, n) cells."""
    width = len(bands) + 1  # the bands, then no status
    position = {band: i for i, band in enumerate(bands)}

    def empty():
        return [0] * width

    by_sex: dict[str, list[int]] = defaultdict(empty)
    by_grade: dict[str, list[int]] = defaultdict(empty)
    by_unit: dict[int, list[int]] = defaultdict(empty)
    by_cell: dict[tuple[int, str, str], list[int]] = defaultdict(empty)
    for unit_id, grade, sex, band, n in cells:
        i = position.get(band, width - 1)
        for key, table in ((sex, by_sex), (grade, by_grade), (unit_id, by_unit)):
            table[key][i] += n
        by_cell[(unit_id, grade, sex)][i] += n
    return by_sex, by_grade, by_unit, by_cell


def _band_line(counts: list[int]) -> list:
    """Return a line's figures: the learners, those with a status, the percent in each band of
    those with a status, those without one."""
    with_status = sum(counts[:-1])
    return [sum(counts), with_status, *(_percent(n, with_status) for n in counts[:-1]),
            counts[-1]]  # fmt: skip


def nutrition_report(*, scope: Scope, round: Round, indicator: str, rounds: list[Round]) -> dict:
    """Return the certified learners of a round per band of one nutrition indicator (percent of
    those with a status) by sex, by grade, by school or area office, and by school or area office ×
    grade × sex; and the same bands round over round (the last six ordinary rounds)."""
    title, order = NUTRITION_BANDS[indicator]
    bands = [b.value for b in order]
    band_labels = [str(b.label) for b in order]
    labels = grade_labels()
    sex_labels = {"M": _("Male"), "F": _("Female")}
    unit = _unit_field(scope)
    cells = (
        _nutrition_counts(scope, indicator)
        .filter(snapshot__round=round)
        .values_list(unit, "grade", "sex", "band")
        .annotate(n=Sum("learners"))
        .order_by()
    )
    names = _unit_names(scope)
    width = len(bands) + 1  # the bands, then no status
    by_sex, by_grade, by_unit, by_cell = _nutrition_tallies(cells, bands)
    line = _band_line
    figures = [_("Learners"), _("With a status"), *(f"{b} (%)" for b in band_labels),
               _("No status")]  # fmt: skip
    unit_label = _("School") if scope.by_school else _("Area office")
    total = [sum(c[i] for c in by_sex.values()) for i in range(width)]
    sexes = [[sex_labels[s], *line(by_sex[s])] for s in ("M", "F") if s in by_sex]
    grades = [[labels[g], *line(by_grade[g])] for g in Grade.values if g in by_grade]
    units = [
        [code, name, *line(by_unit[pk])]
        for pk, (code, name) in sorted(names.items(), key=lambda kv: kv[1][0])
        if pk in by_unit
    ]
    detail = sorted(
        [names.get(u, ("", ""))[0], names.get(u, ("", ""))[1], labels.get(g, g),
         sex_labels.get(s, s), *line(c)]
        for (u, g, s), c in by_cell.items()
    )  # fmt: skip
    unit_word = unit_label.lower()
    return {
        "indicator": (indicator, str(title), band_labels),
        "sexes": Table("sexes", _("Bands by sex"), [_("Sex"), *figures], sexes,
                       [_("Total"), *line(total)]),
        "grades": Table("grades", _("Bands by grade"), [_("Grade"), *figures], grades,
                        [_("Total"), *line(total)]),
        "units": Table("units", _("Bands by %(unit)s") % {"unit": unit_word},
                       [_("Code"), unit_label, *figures], units, [_("Total"), "", *line(total)]),
        "detail": Table(
            "detail", _("Bands by %(unit)s, grade and sex") % {"unit": unit_word},
            [_("Code"), unit_label, _("Grade"), _("Sex"), *figures], detail,
        ),
        "trend": nutrition_trend(scope=scope, indicator=indicator, rounds=rounds),
    }  # fmt: skip


def nutrition_figures(*, scope: Scope, round: Round, indicator: str, rounds: list[Round]) -> dict:
    """Return ``nutrition_report``'s figures, kept in the cache for as long as nothing they are
    computed from has changed: the nation's report reads the counts of 3.2 million learners once
    after each certification or revocation, not on every view or download (a frozen count never
    changes). Names of schools and area offices show a rename when the kept figures expire."""
    key = _nutrition_key(scope=scope, round=round, indicator=indicator, rounds=rounds)
    figures = cache.get(key) if key else None
    if figures is None:
        figures = nutrition_report(scope=scope, round=round, indicator=indicator, rounds=rounds)
        if key:
            cache.set(key, figures, FIGURES_CACHE_SECONDS)
    return figures


def _nutrition_key(
    *, scope: Scope, round: Round, indicator: str, rounds: list[Round]
) -> str | None:
    """Return a cache key naming what a nutrition report is computed from, in one query: the
    certified snapshots of its round and of the trend's rounds in scope (a certification or a
    revocation changes their count or the sum of their ids; a school moved to another area office
    the sum of their schools' areas), the scope, the indicator and the language. None when the
    scope's schools cannot be named (nothing is cached then)."""
    schools = scope.schools
    try:
        scope_sql = repr(schools.query.sql_with_params())
    except EmptyResultSet:
        return None
    wanted = [round.pk, *(r.pk for r in _trend_rounds(rounds))]
    snapshots = RosterSnapshot.objects.filter(round__in=wanted, status=CERTIFIED)
    if schools.query.has_filters():
        snapshots = snapshots.filter(school__in=schools)
    parts = [
        "nutrition", indicator, wanted, scope.by_school, scope_sql, translation.get_language(),
        snapshots.aggregate(n=Count("id"), ids=Sum("id"), areas=Sum("school__area_office_id")),
    ]  # fmt: skip
    return f"nutrition-report:{hashlib.sha256(repr(parts).encode()).hexdigest()}"


def _trend_rounds(rounds: list[Round], last: int = 6) -> list[Round]:
    """Return the rounds a trend shows: the last ``last`` ordinary rounds, newest first."""
    return [r for r in rounds if not r.is_demo][:last]


def nutrition_trend(*, scope: Scope, indicator: str, rounds: list[Round], last: int = 6) -> Table:
    """Return the percent per band of one indicator per ordinary round, oldest first."""
    _title, order = NUTRITION_BANDS[indicator]
    bands = [b.value for b in order]
    wanted = _trend_rounds(rounds, last)
    sums: dict[int, dict[str, int]] = defaultdict(dict)
    for round_id, band, n in (
        _nutrition_counts(scope, indicator)
        .filter(snapshot__round__in=[r.pk for r in wanted])
        .values_list("snapshot__round_id", "band")
        .annotate(n=Sum("learners"))
        .order_by()
    ):
        sums[round_id][band] = n
    rows = []
    for r in reversed(wanted):
        counts = sums.get(r.pk, {})
        with_status = sum(counts.get(b, 0) for b in bands)
        rows.append([str(r), thai_date(r.as_of), sum(counts.values()), with_status,
                     *(_percent(counts.get(b, 0), with_status) for b in bands)])  # fmt: skip
    return Table(
        "trend", _("Bands per round"),
        [_("Round"), _("As-of date"), _("Learners"), _("With a status"),
         *(f"{b.label} (%)" for b in order)], rows,
    )  # fmt: skip
