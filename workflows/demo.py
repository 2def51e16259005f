"""Demo data for the certification flow, driven through the real flow and services.

A past round that most demo schools certified (with their signed records) and one school missed,
and a demo round on the day of seeding whose windows cover the whole day.
"""

from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS
from viewflow.workflow.timers import fire_due_timers

from accounts.models import Role
from accounts.selectors import users_with_role
from census import services as census
from census.calendar import academic_year_of
from census.models import AcademicYear, Round, SchoolRound
from schools.models import School
from schools.validation import school_findings

from .models import CertificationProcess
from .services import round_open


def _open_task(process: CertificationProcess, node_name: str) -> Task | None:
    return (
        (
            Task.objects.filter(
                process=process, flow_task_type="HUMAN", status__in=[STATUS.NEW, STATUS.ASSIGNED]
            )
            .order_by("pk")
            .last()
        )
        if process
        else None
    )


def _drive(task: Task, user, act) -> None:
    """Do one human step as that user, like the step's page does: assign, start, act, execute."""
    with task.activation() as activation:
        if activation.task.owner_id is None:
            activation.assign(user)
        activation.start(None)
        act(activation)
        activation.execute()


def past_round(today: date) -> Round | None:
    """Return the latest ordinary round whose windows have closed."""
    return (
        Round.objects.filter(is_demo=False, certify_closes__lt=timezone.now())
        .order_by("-certify_closes")
        .first()
    )


@transaction.atomic
def certification_demo(*, today: date, acknowledge: int = 1) -> dict:
    """Certify the past round for every clean demo school, leave the others missed, and open a
    demo round today; return what was done. Idempotent."""
    year_be = academic_year_of(today)
    for year in (year_be - 1, year_be):
        if not AcademicYear.objects.filter(year=year).exists():
            census.academic_year_create(year_be=year, actor=None)
    done = {"certified": 0, "missed": 0, "demo_round": None}
    round = past_round(today)
    if round is not None and round.opened_at is None:
        round_open(round=round)
        moment = round.certify_opens + timedelta(hours=1)
        acknowledged = 0
        for process in (
            CertificationProcess.objects.filter(round=round)
            .select_related("school")
            .order_by("school__code")
        ):
            school = process.school
            if school_findings(school=school, today=round.as_of).errors:
                continue  # left to miss the round
            staff = users_with_role(role=Role.STAFF, school=school).first()
            director = users_with_role(role=Role.DIRECTOR, school=school).first()
            officer = users_with_role(
                role=Role.AREA_OFFICER, area_office=school.area_office
            ).first()
            if not (staff and director):
                continue
            sr = process.school_round
            _drive(
                _open_task(process, "prepare"),
                staff,
                lambda a, sr=sr, staff=staff: census.school_round_prepare(
                    school_round=sr, actor=staff
                ),
            )
            _drive(
                _open_task(process, "confirm"),
                staff,
                lambda a, sr=sr, staff=staff: census.school_round_confirm(
                    school_round=sr, actor=staff, at=moment
                ),
            )

            def certify(activation, sr=sr, director=director):
                census.school_round_certify(school_round=sr, actor=director, at=moment)
                activation.process.certified = True
                activation.process.save(update_fields=["certified"])

            _drive(_open_task(process, "certify"), director, certify)
            if officer and acknowledged < acknowledge:
                _drive(
                    _open_task(process, "acknowledge"),
                    officer,
                    lambda a, sr=sr, officer=officer: census.school_round_acknowledge(
                        school_round=sr, actor=officer
                    ),
                )
                acknowledged += 1
        fire_due_timers()  # the window has closed: the rest are missed now
    if round is not None:
        states = SchoolRound.objects.filter(round=round)
        done["missed"] = states.filter(state=SchoolRound.State.MISSED).count()
        done["certified"] = states.filter(
            state__in=(SchoolRound.State.CERTIFIED, SchoolRound.State.ACKNOWLEDGED)
        ).count()
    demo = census.demo_round_create(day=today)
    if demo.opened_at is None:
        round_open(round=demo, schools=School.objects.all())
    done["demo_round"] = demo
    return done
