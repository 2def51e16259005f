"""Demo data for B-OBEC, driven through the real flow and services.

Buildings and land for every demo school, and the latest October survey that has closed: every
school certified it except one (Wat Pa Daet), which missed it and is left off the budget list. The
survey is dated inside its window, not on the day of seeding.
"""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS
from viewflow.workflow.timers import fire_due_timers

from accounts.models import Role
from accounts.selectors import users_with_role
from buildings import services
from buildings.models import Building, SchoolLand, SchoolSurvey, SurveyYear
from census.models import Round
from schools.models import Grade, School
from workflows.building_survey import survey_year_open
from workflows.models import BuildingSurveyProcess

from .flows import past_round_run
from .history import flow_history_date, step_drive

MISSES = "1050130002"  # the demo school that misses the survey

# (kind, name, design, year built, rooms by design, in use, area m², condition)
BUILDINGS = (
    (Building.Kind.CLASSROOM, "อาคารเรียน 1", "สปช.105/29", 2530, 4, 4, "432", Building.Condition.FAIR),
    (Building.Kind.CLASSROOM, "อาคารเรียน 2", "ป.1ฉ", 2515, 3, 2, "216", Building.Condition.POOR),
    (Building.Kind.HALL, "หอประชุม", "สปช.202/26", 2538, 0, 0, "468", Building.Condition.GOOD),
    (Building.Kind.TOILET, "ส้วมนักเรียน", "สปช.601/26", 2545, 0, 0, "36", Building.Condition.GOOD),
    (Building.Kind.HOUSING, "บ้านพักครู 1", "องค์การฯ 203/27", 2527, 0, 0, "72", Building.Condition.VERY_POOR),
    (Building.Kind.WATER_TANK, "ถังเก็บน้ำฝน", "ฝ.33", 2540, 0, 0, "0", Building.Condition.FAIR),
)  # fmt: skip


def latest_closed_october(today: date) -> int:
    """Return the academic year (BE) of the latest October survey window closed before today."""
    closes = timezone.make_aware(datetime.combine(date(today.year, 10, 30), time(16, 30)))
    year_ce = today.year if timezone.now() >= closes else today.year - 1
    return year_ce + 543


def _open_task(school_survey: SchoolSurvey) -> Task:
    return Task.objects.get(
        process__buildingsurveyprocess__school_survey=school_survey,
        flow_task_type="HUMAN",
        status__in=[STATUS.NEW, STATUS.ASSIGNED],
    )


# Classrooms in use against the grades a school teaches (one room a grade at the demo's sizes):
# schools differ, some short of rooms, one with a room to spare, so the budget list has a story.
ROOMS_AGAINST_GRADES = (-3, 0, -1, 1, -2, 0, -4)


def _register(school: School, staff, *, n: int = 0) -> None:
    if Building.objects.filter(school=school).exists():
        return
    grades = sum(1 for grade in Grade.values if school.teaches(grade))
    for kind, name, design, year, rooms, in_use, area, condition in BUILDINGS:
        if name == "อาคารเรียน 1":  # the main building holds the rooms that differ
            in_use = max(1, grades - 2 + ROOMS_AGAINST_GRADES[n % len(ROOMS_AGAINST_GRADES)])
            rooms = max(rooms, in_use)
        services.building_create(
            school=school, actor=staff, kind=kind, name=name, design_code=design,
            year_built=year, rooms_design=rooms, rooms_in_use=in_use,
            floor_area_m2=Decimal(area), cost_baht=None, funding=Building.Funding.BUDGET,
            condition=condition, in_use=True,
        )  # fmt: skip
    if not SchoolLand.objects.filter(school=school).exists():
        services.land_update(
            school=school, actor=staff, rai=8, ngan=2, square_wa=Decimal("45"),
            document=SchoolLand.Document.STATE_LAND, document_number="ชม.1234",
        )  # fmt: skip


def _date_history(survey_year: SurveyYear) -> None:
    """Date the year's processes and each school's last change at the moments of the story."""
    for process in BuildingSurveyProcess.objects.filter(survey_year=survey_year).select_related(
        "school_survey"
    ):
        survey = process.school_survey
        flow_history_date(
            process=process,
            started=survey_year.opens,
            done={"enter": survey.submitted_at, "certify": survey.certified_at},
            ended=survey_year.closes,
        )
        last = survey.certified_at or survey.missed_at or survey.submitted_at or survey_year.opens
        SchoolSurvey.objects.filter(pk=survey.pk).update(updated_at=last)


@transaction.atomic
def buildings_demo(*, today: date) -> dict:
    """Give the demo schools their buildings and run the latest closed October survey: all
    certified but one, which missed it. Idempotent."""
    year_be = latest_closed_october(today)
    survey_year = SurveyYear.objects.filter(year=year_be).first()
    if survey_year is None:
        survey_year = services.survey_year_create(year_be=year_be)
    # The budget list weighs classrooms against the certified 10 June count of the survey's year.
    first_round = Round.objects.filter(
        academic_year__year=year_be, number=1, is_demo=False, certify_closes__lt=timezone.now()
    ).first()
    if first_round is not None:
        past_round_run(first_round)
    schools = list(School.objects.order_by("code"))
    people = {
        s.pk: (
            users_with_role(role=Role.STAFF, school=s).first(),
            users_with_role(role=Role.DIRECTOR, school=s).first(),
        )
        for s in schools
    }
    for n, school in enumerate(schools):
        staff = people[school.pk][0]
        if staff is not None:
            _register(school, staff, n=n)
    if survey_year.opened_at is None:
        survey_year_open(survey_year=survey_year, at=survey_year.opens)
        for n, school in enumerate(schools):
            staff, director = people[school.pk]
            if school.code == MISSES or not (staff and director):
                continue
            survey = SchoolSurvey.objects.get(survey_year=survey_year, school=school)
            # Entered on the tenth day of the window, certified the same afternoon.
            submitted = survey_year.opens + timedelta(days=9, hours=10, minutes=7 * n)
            certified = submitted + timedelta(hours=4)
            step_drive(
                _open_task(survey),
                staff,
                lambda a, s=survey, u=staff, t=submitted: services.school_survey_submit(
                    school_survey=s, actor=u, at=t
                ),
            )

            def certify(activation, s=survey, u=director, t=certified):
                services.school_survey_certify(school_survey=s, actor=u, at=t)
                activation.process.certified = True
                activation.process.save(update_fields=["certified"])

            step_drive(_open_task(survey), director, certify)
        fire_due_timers()  # the window has closed: the rest are missed now
        _date_history(survey_year)
    states = SchoolSurvey.objects.filter(survey_year=survey_year)
    return {
        "survey_year": survey_year,
        "certified": states.filter(state=SchoolSurvey.State.CERTIFIED).count(),
        "missed": states.filter(state=SchoolSurvey.State.MISSED).count(),
    }
