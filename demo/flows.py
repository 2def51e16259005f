"""Demo data for the certification flow, driven through the real flow and services.

A past round that most demo schools certified (with their signed records) and one school missed,
dated on its count day, and a demo round on the day of seeding whose windows cover the whole day.
"""

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS
from viewflow.workflow.timers import fire_due_timers

from accounts.models import Role
from accounts.selectors import users_with_role
from census import services as census
from census.models import AcademicYear, RosterSnapshot, Round, SchoolRound
from census.selectors import round_processes_start_at
from schools.calendar import academic_year_of
from schools.identifiers import citizen_id_check_digit
from schools.models import Enrollment, EnrollmentStatus, Grade, School
from schools.validation import school_findings
from workflows import requests
from workflows.approvals import DropoutFlow, GCodeFlow
from workflows.models import CertificationProcess, Decision, DropoutProcess
from workflows.services import certification_revoke, round_open

from .history import flow_history_date, step_drive


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


def past_round(today: date) -> Round | None:
    """Return the latest ordinary round whose windows have closed."""
    return (
        Round.objects.filter(is_demo=False, certify_closes__lt=timezone.now())
        .order_by("-certify_closes")
        .first()
    )


STAGES = ("prepared", "confirmed", "certified", "acknowledged")


def _advance(
    process: CertificationProcess, *, to: str, times: Mapping[str, datetime] | None = None
) -> str:
    """Drive a school's process through the real steps, as its people would, up to a stage, each
    at its time in ``times`` (now if none); return the stage reached (its people must exist)."""
    times = times or {}
    school = process.school
    staff = users_with_role(role=Role.STAFF, school=school).first()
    director = users_with_role(role=Role.DIRECTOR, school=school).first()
    officer = users_with_role(role=Role.AREA_OFFICER, area_office=school.area_office).first()
    if not (staff and director):
        return ""
    sr = process.school_round
    wanted = STAGES[: STAGES.index(to) + 1]
    step_drive(
        _open_task(process, "prepare"),
        staff,
        lambda a: census.school_round_prepare(
            school_round=sr, actor=staff, at=times.get("prepared")
        ),
    )
    reached = "prepared"
    if "confirmed" in wanted:
        step_drive(
            _open_task(process, "confirm"),
            staff,
            lambda a: census.school_round_confirm(
                school_round=sr, actor=staff, at=times.get("confirmed")
            ),
        )
        reached = "confirmed"
    if "certified" in wanted:

        def certify(activation):
            census.school_round_certify(school_round=sr, actor=director, at=times.get("certified"))
            activation.process.certified = True
            activation.process.save(update_fields=["certified"])

        step_drive(_open_task(process, "certify"), director, certify)
        reached = "certified"
    if "acknowledged" in wanted and officer:
        step_drive(
            _open_task(process, "acknowledge"),
            officer,
            lambda a: census.school_round_acknowledge(
                school_round=sr, actor=officer, at=times.get("acknowledged")
            ),
        )
        reached = "acknowledged"
    return reached


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
    if round is not None:
        past_round_run(round, acknowledge=acknowledge)
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


def past_round_run(round: Round, *, acknowledge: int = 0) -> None:
    """Open a closed round as on its count day, drive every clean school through its steps at their
    times (the first ``acknowledge`` of them up to the area office's acknowledgement) and leave the
    others to miss it. Does nothing if the round was opened already."""
    if round.opened_at is not None:
        return
    round_open(round=round, at=round_processes_start_at(round))
    acknowledged = 0
    for n, process in enumerate(
        CertificationProcess.objects.filter(round=round)
        .select_related("school")
        .order_by("school__code")
    ):
        if school_findings(school=process.school, today=round.as_of).errors:
            continue  # left to miss the round
        to = "acknowledged" if acknowledged < acknowledge else "certified"
        if _advance(process, to=to, times=count_day_times(round, n)) == "acknowledged":
            acknowledged += 1
    fire_due_timers()  # the window has closed: the rest are missed now
    for process in CertificationProcess.objects.filter(round=round):
        _date_history(process, ended=round.certify_closes)


def count_day_times(round: Round, n: int) -> dict[str, datetime]:
    """Return when the n-th school of the past round did each step, inside its count day's windows."""
    confirmed = max(round.confirm_opens, round.certify_opens) + timedelta(minutes=30 + 7 * n)
    return {
        "prepared": round.confirm_opens + timedelta(minutes=7 * n),
        "confirmed": confirmed,
        "certified": confirmed + timedelta(minutes=40),
        "acknowledged": confirmed + timedelta(minutes=100),
    }


def revocation_time(round: Round) -> datetime:
    """Return when the ministry revoked a past certification: the next morning, or now if sooner."""
    # After the windows, so that the school stays revoked rather than reopened.
    morning = datetime.combine(round.as_of + timedelta(days=1), time(10, 0))
    return min(timezone.make_aware(morning), timezone.now())


def _date_history(process: CertificationProcess, *, ended: datetime) -> None:
    sr = process.school_round
    flow_history_date(
        process=process,
        started=round_processes_start_at(sr.round),
        done={
            "prepare": sr.prepared_at,
            "confirm": sr.confirmed_at,
            "certify": sr.certified_at,
            "acknowledge": sr.acknowledged_at,
        },
        ended=ended,
    )


# Small schools of Chiang Mai area 1 that show every state on the dashboards: how far each goes in
# today's demo round, and the one whose certification of the past round the ministry revoked.
DASHBOARD_STAGES = {
    "1050130004": "prepared",
    "1050130005": "confirmed",
    "1050130006": "certified",
    "1050130007": "acknowledged",
}
REVOKED_IN_PAST_ROUND = "1050130008"


@transaction.atomic
def dashboard_demo(*, today: date) -> dict:
    """Move the dashboard schools through today's demo round and revoke one past certification,
    with the real steps and records; idempotent (a school already moved is left as it is)."""
    demo = census.demo_round_create(day=today)
    moved = 0
    for process in CertificationProcess.objects.filter(
        round=demo, is_current=True, school__code__in=DASHBOARD_STAGES
    ).select_related("school", "school_round"):
        if process.school_round.state == SchoolRound.State.NOT_STARTED:
            moved += bool(_advance(process, to=DASHBOARD_STAGES[process.school.code]))
    revoked = 0
    past = past_round(today)
    admin = users_with_role(role=Role.MINISTRY_ADMIN).first()
    sr = SchoolRound.objects.filter(
        round=past, school__code=REVOKED_IN_PAST_ROUND, state=SchoolRound.State.CERTIFIED
    ).first()
    if sr is not None and admin is not None:
        certification_revoke(
            school_round=sr,
            actor=admin,
            reason="ตรวจพบรายชื่อนักเรียนซ้ำกับโรงเรียนอื่น 2 คน",
            at=revocation_time(past),
        )
        revoked_at = RosterSnapshot.objects.get(school_round=sr).revoked_at
        for process in CertificationProcess.objects.filter(school_round=sr):
            _date_history(process, ended=revoked_at)
        revoked = 1
    return {"moved": moved, "revoked": revoked}


DEMO_EVIDENCE = b"%PDF-1.4\n% OpenDMC demo evidence\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _evidence(name: str):
    return [SimpleUploadedFile(name, DEMO_EVIDENCE, content_type="application/pdf")]


def _decide_view_task(process, node, user, decide) -> None:
    task = Task.objects.get(
        process=process, flow_task=node, status__in=[STATUS.NEW, STATUS.ASSIGNED]
    )
    step_drive(task, user, lambda activation: decide())


@transaction.atomic
def requests_demo(*, today: date) -> dict:
    """Leave pending requests of every flow in the demo inboxes, and decided ones with their
    signed records (idempotent: it does nothing once the demo has requests)."""
    if DropoutProcess.objects.exists():
        return {"created": False}
    schools = {s.code: s for s in School.objects.all()}
    maerim, padaet, doipui, doikham = (
        schools.get(c) for c in ("1050130001", "1050130002", "1050130003", "1050510001")
    )
    if not all((maerim, padaet, doipui, doikham)):
        return {"created": False}

    def staff_of(school):
        return users_with_role(role=Role.STAFF, school=school).first()

    def officer_of(school):
        return users_with_role(role=Role.AREA_OFFICER, area_office=school.area_office).first()

    def learners(school, grade):
        return list(
            Enrollment.objects.filter(school=school, grade=grade, status=EnrollmentStatus.ACTIVE)
            .select_related("student").order_by("pk")
        )  # fmt: skip

    start = today - timedelta(days=1) if today.day > 1 else today
    # Pending: a dropout at Ban Mae Rim for the area office to approve.
    p6 = learners(maerim, Grade.P6)
    requests.dropout_request(
        enrollment=p6[0], actor=staff_of(maerim), kind=DropoutProcess.Kind.DROPOUT,
        reason=DropoutProcess.Reason.FAMILY_MOVED, reason_note="ครอบครัวย้ายไปทำงานต่างจังหวัด",
        effective_on=start, evidence=_evidence("บันทึกการติดตามนักเรียน.pdf"),
    )  # fmt: skip
    # Decided: a removal at Doi Kham Wittaya, approved by its area office, with its record.
    m6 = learners(doikham, Grade.M6)
    decided = requests.dropout_request(
        enrollment=m6[-1], actor=staff_of(doikham), kind=DropoutProcess.Kind.REMOVAL,
        reason=DropoutProcess.Reason.WORK, reason_note="ออกไปทำงาน", effective_on=start,
        evidence=_evidence("หนังสือแจ้งของผู้ปกครอง.pdf"),
    )  # fmt: skip
    officer = officer_of(doikham)
    _decide_view_task(
        decided, DropoutFlow.approve, officer,
        lambda: requests.dropout_decide(process=decided, actor=officer, decision=Decision.APPROVED, comment=""),
    )  # fmt: skip
    # Pending: Wat Pa Daet asks Ban Mae Rim to release a learner (in staff.maerim's inbox).
    requests.transfer_request(
        school=padaet, actor=staff_of(padaet), student=learners(maerim, Grade.P4)[0].student,
        grade=Grade.P4, room=1, evidence=_evidence("หนังสือขอย้าย.pdf"),
    )  # fmt: skip
    # G-codes at Ban Doi Pui: one waiting for the area office, one issued.
    base = {
        "title": "ด.ญ.", "last_name_th": "-", "first_name_en": "", "last_name_en": "", "sex": "F",
        "nationality": "ไม่ปรากฏสัญชาติ", "guardian_name": "นางหล้า", "guardian_relation": "มารดา",
        "guardian_phone": "", "address": "บ้านดอยปุย ต.สุเทพ อ.เมือง จ.เชียงใหม่", "room": 1,
    }  # fmt: skip
    requests.gcode_request(
        school=doipui, actor=staff_of(doipui),
        **base, first_name_th="นาหล้า", birth_date=date(today.year - 8, 2, 1), grade=Grade.P2,
        evidence=_evidence("หนังสือรับรองผู้ปกครอง.pdf"),
    )  # fmt: skip
    issued = requests.gcode_request(
        school=doipui, actor=staff_of(doipui),
        **base, first_name_th="มะลิ", birth_date=date(today.year - 10, 6, 5), grade=Grade.P4,
        evidence=_evidence("หนังสือรับรองผู้นำชุมชน.pdf"),
    )  # fmt: skip
    officer = officer_of(doipui)
    _decide_view_task(
        issued, GCodeFlow.verify, officer,
        lambda: requests.gcode_decide(process=issued, actor=officer, decision=Decision.APPROVED, comment=""),
    )  # fmt: skip
    # Pending: a citizen-ID correction at Ban Mae Rim; the approval e-mail goes to var/mail/.
    twelve = "110170020345"
    requests.id_correction_request(
        student=learners(maerim, Grade.P5)[0].student, school=maerim, actor=staff_of(maerim),
        new_citizen_id=twelve + str(citizen_id_check_digit(twelve)),
        evidence=_evidence("สำเนาสูติบัตร.pdf"),
    )  # fmt: skip
    return {"created": True}
