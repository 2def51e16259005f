"""Steps of the certification flow that write: each calls the census and documents services."""

import logging
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS, STATUS

from accounts.mail import mail_compose
from accounts.models import User
from accounts.selectors import area_officer_emails
from accounts.tasks import mail_queue
from census import area_windows
from census import services as census
from census.models import AreaWindow, RosterSnapshot, Round, SchoolRound
from documents import roles
from documents.models import Kind, SignedDocument
from documents.services import document_issue, document_issue_annex
from schools.models import School
from schools.templatetags.thai import be_date, in_thai

from . import records
from .models import CertificationProcess

log = logging.getLogger(__name__)


def _flow():
    from .certification import CertificationFlow  # the flow imports this module

    return CertificationFlow


def certification_start(*, school_round: SchoolRound) -> tuple[CertificationProcess, bool]:
    """Start the school's certification process for its round once; say whether it started now."""
    existing = CertificationProcess.objects.filter(
        school_round=school_round, is_current=True
    ).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            return _flow().start.run(school_round=school_round), True
    except IntegrityError:
        return CertificationProcess.objects.get(school_round=school_round, is_current=True), False


def round_open(*, round: Round, schools=None, at: datetime | None = None) -> int:
    """Start a certification process for every school (or those given) in a round; return how many."""
    schools = School.objects.open() if schools is None else schools
    started = 0
    for school in schools.order_by("pk").iterator(chunk_size=1000):
        school_round, _created = census.school_round_open(round=round, school=school)
        _process, new = certification_start(school_round=school_round)
        started += new
    Round.objects.filter(pk=round.pk, opened_at__isnull=True).update(opened_at=at or timezone.now())
    return started


@transaction.atomic
def round_change(*, round: Round, actor: User, **fields) -> tuple[Round, int]:
    """Change a round's as-of date or windows and move its open certification processes with it:
    their deadline and the timers of their waiting steps, in one transaction; return the round
    and how many processes moved."""
    open_processes = CertificationProcess.objects.filter(round=round).exclude(
        status__in=[PROCESS.DONE, PROCESS.CANCELED]
    )
    # The flow lock of every open process (viewflow's select_for_update lock is this row lock):
    # no step of these schools runs against the old deadline while it moves.
    list(open_processes.select_for_update().order_by("pk").values_list("pk", flat=True))
    round = census.round_update(round=round, actor=actor, **fields)
    return round, _deadlines_follow(round=round, processes=open_processes)


@transaction.atomic
def round_area_windows_change(
    *, round: Round, actor: User, groups: int, at: datetime | None = None
) -> tuple[list[int], int]:
    """Stagger a round: spread its area offices over ``groups`` parts of the count day (1: every
    area office back on the round's windows), and move the open processes' deadlines and timers
    with their area office's new certify close, in one transaction; return the area offices whose
    windows changed and how many processes moved."""
    plan = area_windows.spread_plan(round=round, groups=groups)
    open_processes = CertificationProcess.objects.filter(round=round).exclude(
        status__in=[PROCESS.DONE, PROCESS.CANCELED]
    )
    list(open_processes.select_for_update().order_by("pk").values_list("pk", flat=True))
    changed = area_windows.area_windows_replace(round=round, actor=actor, plan=plan, at=at)
    return changed, _deadlines_follow(round=round, processes=open_processes)


def _deadlines_follow(*, round: Round, processes) -> int:
    """Move open processes' deadline, and the timers of their waiting steps, to the certify close of
    their school's area office (its own when the round is staggered, otherwise the round's);
    return how many processes moved. One pair of updates per distinct close."""
    own = dict(
        AreaWindow.objects.filter(round=round).values_list("area_office_id", "certify_closes")
    )
    areas_by_close: dict = {}
    for area_id, closes in own.items():
        areas_by_close.setdefault(closes, []).append(area_id)
    groups = [
        (processes.filter(school__area_office__in=areas), closes)
        for closes, areas in areas_by_close.items()
    ]
    groups.append((processes.exclude(school__area_office__in=list(own)), round.certify_closes))
    moved = 0
    for group, closes in groups:
        moved += group.exclude(deadline=closes).update(deadline=closes)
        # A waiting step's timeout is a viewflow Task row (TIMER, SCHEDULED) that the timer
        # dispatcher fires once its `scheduled` moment has come: moving that moment moves it.
        Task.objects.filter(
            process__in=group.values("pk"),
            flow_task_type="TIMER",
            status=STATUS.SCHEDULED,
        ).exclude(scheduled=closes).update(scheduled=closes)
    return moved


def confirmation_record(*, process: CertificationProcess, confirm_task_id: int) -> SignedDocument:
    """Issue the record of the staff's confirmation (once per confirmation), signed by the worker."""
    school_round = SchoolRound.objects.select_related(
        "school__area_office", "round__academic_year", "confirmed_by"
    ).get(pk=process.school_round_id)
    return document_issue(
        step_key=f"certification:{process.pk}:confirmation:{confirm_task_id}",
        kind=Kind.CONFIRMATION,
        template="documents/summary_record.html",
        context=records.confirmation_context(school_round),
        school=school_round.school,
        actor=school_round.confirmed_by,
        actor_role=roles.ROLE_STAFF,
        title="บันทึกการยืนยันข้อมูลนักเรียนรายบุคคล",
        subject=process,
        stated_at=school_round.confirmed_at,
        later=True,
    )


def send_back_record(*, process: CertificationProcess, certify_task_id: int) -> SignedDocument:
    """Issue the record of the director's send-back, with its reason (once per send-back), signed
    by the worker."""
    school_round = SchoolRound.objects.select_related(
        "school__area_office", "round__academic_year", "confirmed_by", "rejected_by"
    ).get(pk=process.school_round_id)
    return document_issue(
        step_key=f"certification:{process.pk}:send_back:{certify_task_id}",
        kind=Kind.SEND_BACK,
        template="documents/summary_record.html",
        context=records.send_back_context(school_round),
        school=school_round.school,
        actor=school_round.rejected_by,
        actor_role=roles.ROLE_DIRECTOR,
        title="บันทึกการส่งกลับข้อมูลเพื่อแก้ไข",
        subject=process,
        stated_at=school_round.rejected_at,
        later=True,
    )


def _certified_snapshot(process: CertificationProcess) -> RosterSnapshot:
    return (
        RosterSnapshot.objects.select_related(
            "school__area_office",
            "round__academic_year",
            "certified_by",
            "school_round__school__area_office",
            "school_round__round__academic_year",
            "school_round__acknowledged_by",
        )
        .filter(school_round_id=process.school_round_id, status=RosterSnapshot.Status.CERTIFIED)
        .get()
    )


def certification_record(*, process: CertificationProcess) -> SignedDocument:
    """Issue the certification record (signed by the worker after commit) and its roster annex
    (rendered on the annex queue)."""
    snapshot = _certified_snapshot(process)
    record = document_issue(
        step_key=f"snapshot:{snapshot.public_id}:certification",
        kind=Kind.CERTIFICATION,
        template="documents/summary_record.html",
        context=records.certification_context(snapshot),
        school=snapshot.school,
        actor=snapshot.certified_by,
        actor_role=roles.ROLE_DIRECTOR,
        title="หนังสือรับรองข้อมูลนักเรียนรายบุคคล",
        subject=snapshot,
        stated_at=snapshot.certified_at,
        later=True,
    )
    document_issue_annex(
        parent=record,
        step_key=f"snapshot:{snapshot.public_id}:annex",
        template="documents/roster_annex.html",
        title="บัญชีรายชื่อนักเรียนแนบท้ายการรับรอง",
        context_builder="workflows.records.snapshot_annex_context",
        context_kwargs={"snapshot_id": snapshot.pk},
    )
    return record


def acknowledgement_record(*, process: CertificationProcess) -> SignedDocument:
    """Issue the record of the area office's acknowledgement of the certification (once each),
    signed by the worker."""
    snapshot = _certified_snapshot(process)
    return document_issue(
        step_key=f"snapshot:{snapshot.public_id}:acknowledgement",
        kind=Kind.ACKNOWLEDGEMENT,
        template="documents/summary_record.html",
        context=records.acknowledgement_context(snapshot),
        school=snapshot.school,
        actor=snapshot.school_round.acknowledged_by,
        actor_role=roles.ROLE_AREA_OFFICER,
        title="บันทึกการรับทราบการรับรองข้อมูล",
        subject=snapshot,
        stated_at=snapshot.school_round.acknowledged_at,
        later=True,
    )


@in_thai
def certification_missed(*, process: CertificationProcess) -> SchoolRound:
    """Mark the school as missed at the close of the window and tell its area office by e-mail."""
    school_round = census.school_round_miss(school_round=process.school_round)
    school = school_round.school
    recipients = area_officer_emails(area_office=school.area_office)
    if recipients:
        round = school_round.round
        subject, body = mail_compose("workflows/mail/missed", {
            "school": school.name_th, "code": school.code, "round": round,
            "closes": be_date(round.certify_closes),
        })  # fmt: skip
        mail_queue(subject=subject, body=body, recipients=recipients)
    return school_round


def certification_revoke(
    *, school_round: SchoolRound, actor: User, reason: str, at: datetime | None = None
) -> SignedDocument:
    """Revoke a school's certification (ministry), sign the revocation, and reopen the flow if the
    window is still open."""
    with transaction.atomic():
        # The process's row first, waiting for a step in progress (the area office acknowledging)
        # to finish: the steps take it before the school's round, so taking them in the same order
        # here cannot deadlock, and the flow's own non-waiting lock in cancel() then finds it ours.
        old = (
            CertificationProcess.objects.select_for_update(of=("self",))
            .filter(school_round=school_round, is_current=True)
            .first()
        )
        snapshot = census.school_round_revoke(
            school_round=school_round, actor=actor, reason=reason, at=at
        )
        if old is not None:
            if old.status != "DONE":
                _flow().instance.cancel(old)
            CertificationProcess.objects.filter(pk=old.pk).update(is_current=False)
        snapshot.refresh_from_db()
        record = document_issue(
            step_key=f"snapshot:{snapshot.public_id}:revocation",
            kind=Kind.REVOCATION,
            template="documents/summary_record.html",
            context=records.revocation_context(snapshot),
            school=snapshot.school,
            actor=actor,
            actor_role=roles.ROLE_MINISTRY,
            title="บันทึกการเพิกถอนการรับรองข้อมูล",
            subject=snapshot,
            stated_at=snapshot.revoked_at,
        )
        school_round.refresh_from_db()
        if school_round.state == SchoolRound.State.PREPARED:
            certification_start(school_round=school_round)
    return record
