"""Reads of the building register, the survey years and the budget-request list."""

import math
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db.models import Prefetch, QuerySet, TextChoices
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from census.models import RosterSnapshot
from schools.models import AreaOffice, School

from .models import Building, BuildingPhoto, ClassSize, SchoolLand, SchoolSurvey, SurveyYear

DEFAULT_CLASS_SIZES = {
    ClassSize.Level.KINDERGARTEN: 30,
    ClassSize.Level.PRIMARY: 40,
    ClassSize.Level.SECONDARY: 40,
}
GRADE_LEVELS = {"K": ClassSize.Level.KINDERGARTEN, "P": ClassSize.Level.PRIMARY}


def level_of(grade: str) -> str:
    """Return the class-size level of a grade value ("04P1" → primary)."""
    return GRADE_LEVELS.get(grade[2:3], ClassSize.Level.SECONDARY)


# --- survey years ------------------------------------------------------------------------------


def survey_year_current(*, at: datetime | None = None) -> SurveyYear | None:
    """Return the latest survey year that has opened (the one a school's register answers to)."""
    return SurveyYear.objects.filter(opens__lte=at or timezone.now()).order_by("-year").first()


def survey_year_for(*, year: str | int | None) -> SurveyYear | None:
    """Return the survey year asked for (a BE year), or the current one, or the latest."""
    if year and str(year).isdigit():
        return SurveyYear.objects.filter(year=int(year)).first()
    return survey_year_current() or SurveyYear.objects.order_by("-year").first()


def survey_years_due(*, at: datetime | None = None) -> QuerySet[SurveyYear]:
    """Return the survey years whose window is open and whose processes are not started yet."""
    at = at or timezone.now()
    return SurveyYear.objects.filter(opened_at__isnull=True, opens__lte=at, closes__gt=at)


def school_survey_current(*, school: School, at: datetime | None = None) -> SchoolSurvey | None:
    """Return the school's survey of the current survey year, if it was opened for the school."""
    survey_year = survey_year_current(at=at)
    if survey_year is None:
        return None
    return (
        SchoolSurvey.objects.select_related("survey_year")
        .filter(survey_year=survey_year, school=school)
        .first()
    )


# --- the register ------------------------------------------------------------------------------


def buildings_of(*, school: School) -> QuerySet[Building]:
    """Return the school's buildings with their photos (two queries)."""
    return (
        Building.objects.filter(school=school)
        .prefetch_related(Prefetch("photos", queryset=BuildingPhoto.objects.order_by("side")))
        .order_by("kind", "name", "pk")
    )


def land_of(*, school: School) -> SchoolLand | None:
    return SchoolLand.objects.filter(school=school).first()


def building_summary(*, school: School) -> dict:
    """Return the school's building figures: counts by type and condition, classrooms in use,
    total floor area, buildings in poor condition, land. JSON-ready (what a survey certifies)."""
    by_kind: dict[str, dict[str, int]] = {}
    poor = []
    total_area = Decimal("0")
    classrooms_in_use = classrooms_design = count = 0
    for b in Building.objects.filter(school=school).order_by("kind", "name", "pk"):
        count += 1
        row = by_kind.setdefault(b.kind, {c: 0 for c in Building.Condition.values})
        row[b.condition] += 1
        total_area += b.floor_area_m2
        if b.kind == Building.Kind.CLASSROOM and b.in_use:
            classrooms_in_use += b.rooms_in_use
            classrooms_design += b.rooms_design
        if b.is_poor:
            poor.append(
                {
                    "name": b.name,
                    "kind": b.kind,
                    "condition": b.condition,
                    "year_built": b.year_built,
                    "in_use": b.in_use,
                }
            )
    land = land_of(school=school)
    return {
        "buildings": count,
        "by_kind": by_kind,
        "classrooms_in_use": classrooms_in_use,
        "classrooms_design": classrooms_design,
        "floor_area_m2": str(total_area),
        "poor": poor,
        "land": (
            {
                "rai": land.rai,
                "ngan": land.ngan,
                "square_wa": str(land.square_wa),
                "document": land.document,
            }
            if land
            else None
        ),
    }


# --- the area dashboard ------------------------------------------------------------------------


@dataclass
class ProgressRow:
    school: School
    state: str
    label: str
    survey: SchoolSurvey | None


def survey_progress(*, area_office: AreaOffice, survey_year: SurveyYear) -> list[ProgressRow]:
    """Return each school of the area with its survey state (two queries)."""
    surveys = {
        s.school_id: s
        for s in SchoolSurvey.objects.filter(
            survey_year=survey_year, school__area_office=area_office
        )
    }
    labels = dict(SchoolSurvey.State.choices)
    rows = []
    for school in School.objects.open().filter(area_office=area_office).order_by("code"):
        survey = surveys.get(school.pk)
        state = survey.state if survey else SchoolSurvey.State.NOT_STARTED
        rows.append(ProgressRow(school, state, str(labels[state]), survey))
    return rows


# --- the budget-request list -------------------------------------------------------------------


def class_sizes() -> dict[str, int]:
    """Return learners per classroom by level, as the ministry set them (defaults otherwise)."""
    sizes = dict(DEFAULT_CLASS_SIZES)
    sizes.update(ClassSize.objects.values_list("level", "learners_per_room"))
    return sizes


def classrooms_needed(*, counts: dict[str, dict[str, int]], sizes: dict[str, int]) -> int:
    """Return the classrooms a school needs: each grade's learners in rooms of its level's size."""
    needed = 0
    for grade, by_sex in counts.items():
        learners = sum(by_sex.values())
        if learners:
            needed += math.ceil(learners / sizes[level_of(grade)])
    return needed


class Exclusion(TextChoices):
    """Why a school is not listed for the budget request."""

    MISSED = "missed", _("Missed the survey: not certified by the close of the window")
    NOT_CERTIFIED = "not_certified", _("Survey not certified")


@dataclass
class BudgetRow:
    school: School
    survey: SchoolSurvey | None
    summary: dict = field(default_factory=dict)
    learners: int | None = None
    classrooms_needed: int | None = None
    shortage: int | None = None
    exclusion: str = ""

    @property
    def exclusion_label(self) -> str:
        return str(Exclusion(self.exclusion).label) if self.exclusion else ""

    @property
    def classrooms_in_use(self) -> int:
        return self.summary.get("classrooms_in_use", 0)

    @property
    def floor_area(self) -> Decimal:
        return Decimal(self.summary.get("floor_area_m2", "0"))

    @property
    def poor(self) -> list[dict]:
        return self.summary.get("poor", [])

    @property
    def has_count(self) -> bool:
        return self.learners is not None


@dataclass
class BudgetList:
    survey_year: SurveyYear
    eligible: list[BudgetRow]
    excluded: list[BudgetRow]

    @property
    def total_shortage(self) -> int:
        return sum(r.shortage or 0 for r in self.eligible)

    @property
    def unknown_shortages(self) -> int:
        """Return how many listed schools have no certified round-1 count (shortage unknown)."""
        return sum(r.shortage is None for r in self.eligible)


def budget_list(*, survey_year: SurveyYear, schools: QuerySet[School]) -> BudgetList:
    """Return the schools listed for the budget request of the survey's fiscal year (certified
    surveys, with their certified building figures and classroom shortage against the certified
    round-1 learners) and those excluded with the reason. Four queries, whatever the size."""
    schools = list(schools.select_related("area_office").order_by("area_office__code", "code"))
    ids = [s.pk for s in schools]
    surveys = {
        s.school_id: s
        for s in SchoolSurvey.objects.filter(survey_year=survey_year, school_id__in=ids)
    }
    snapshots = dict(
        RosterSnapshot.objects.filter(
            school_id__in=ids,
            status=RosterSnapshot.Status.CERTIFIED,
            round__number=1,
            round__is_demo=False,
            round__academic_year__year=survey_year.year,
        ).values_list("school_id", "counts")
    )
    sizes = class_sizes()
    eligible, excluded = [], []
    for school in schools:
        survey = surveys.get(school.pk)
        if survey is None or survey.state != SchoolSurvey.State.CERTIFIED:
            missed = survey is not None and survey.state == SchoolSurvey.State.MISSED
            excluded.append(
                BudgetRow(
                    school=school,
                    survey=survey,
                    exclusion=Exclusion.MISSED if missed else Exclusion.NOT_CERTIFIED,
                )
            )
            continue
        row = BudgetRow(school=school, survey=survey, summary=survey.summary or {})
        counts = snapshots.get(school.pk)
        if counts is not None:
            row.learners = sum(sum(c.values()) for c in counts.values())
            row.classrooms_needed = classrooms_needed(counts=counts, sizes=sizes)
            row.shortage = max(0, row.classrooms_needed - row.classrooms_in_use)
        eligible.append(row)
    return BudgetList(survey_year=survey_year, eligible=eligible, excluded=excluded)
