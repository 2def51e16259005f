"""Approval requests: start each flow, apply each decision, sign each record.

Every decision leaves exactly one signed record (its step key is the process); the learner's data
changes only through schools.services, inside the same transaction as the decision.
"""

import functools
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from viewflow.fsm import TransitionNotAllowed
from viewflow.workflow.exceptions import FlowLockFailed
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from accounts.mail import mail_compose
from accounts.models import Role, User
from accounts.selectors import school_emails, users_with_role
from accounts.tasks import mail_queue
from census.services import id_correction_freeze_ends, id_corrections_frozen_by
from documents.models import Kind, SignedDocument
from documents.services import document_issue
from schools import services as roster
from schools.checks import check_grade_taught, check_reason
from schools.identifiers import format_citizen_id, mask_citizen_id, parse_citizen_id, parse_gcode
from schools.models import (
    Enrollment,
    EnrollmentStatus,
    Grade,
    IssuedGCode,
    School,
    Student,
    StudentDocument,
)
from schools.selectors import gcode_taken
from schools.templatetags.thai import be_date, in_thai, thai_date

from .models import (
    Decision,
    DropoutProcess,
    GCodeCounter,
    GCodeProcess,
    IdCorrectionLink,
    IdCorrectionProcess,
    TransferProcess,
)

LINK_SALT = "opendmc.id-correction"


def _flows():
    from . import approvals  # the flows import this module

    return approvals


def _decided(process, *, actor: User, decision: str, comment: str) -> None:
    if process.decision:
        raise ValidationError(_("This request has already been decided."), code="decided")
    if decision == Decision.REJECTED:
        comment = check_reason(comment, field="comment")
    process.decision, process.decision_comment = decision, (comment or "").strip()[:500]
    process.decided_by, process.decided_at = actor, timezone.now()


def _attach_evidence(*, process, school: School, actor: User, files, kind: str) -> None:
    for f in files or []:
        roster.student_document_upload(
            school=school, actor=actor, uploaded_file=f, kind=kind,
            student=getattr(process, "student", None), request_key=process.request_key,
        )  # fmt: skip


def _in_thai(build):
    """Build a signed record in Thai, whatever the language of the request that decides it."""

    @functools.wraps(build)
    def in_thai(*args, **kwargs):
        with translation.override("th"):
            return build(*args, **kwargs)

    return in_thai


def _record(
    process, *, kind: str, title: str, facts: list, actor: User | None, role: str
) -> SignedDocument:
    outcome = {
        Decision.APPROVED: "อนุมัติ",
        Decision.REJECTED: "ไม่อนุมัติ",
    }.get(process.decision, process.decision)
    return document_issue(
        step_key=f"{process.request_key}:decision",
        kind=kind,
        template="documents/summary_record.html",
        context={
            "intro": title,
            "facts": facts
            + [("ผลการพิจารณา", outcome), ("ความเห็น", process.decision_comment or "—")],
        },
        school=process.school,
        actor=actor,
        actor_role=role,
        title=title,
        subject=process,
    )


# --- dropout / removal (2.7.6) ---------------------------------------------------------------


@transaction.atomic
def dropout_request(
    *, enrollment: Enrollment, actor: User, kind: str, reason: str, reason_note: str,
    effective_on: date, evidence=(),
) -> DropoutProcess:  # fmt: skip
    """Ask the area office to approve a dropout or a removal of an active learner."""
    if enrollment.status != EnrollmentStatus.ACTIVE:
        raise ValidationError(_("This learner is not enrolled."))
    if DropoutProcess.objects.filter(enrollment=enrollment, decision="").exists():
        raise ValidationError(
            _("A request for this learner is already waiting."),
            code="pending",
        )
    if effective_on < enrollment.started_on or effective_on > timezone.localdate():
        raise ValidationError(
            {"effective_on": _("The effective date must fall between the enrollment's start and today.")}
        )  # fmt: skip
    if reason == DropoutProcess.Reason.OTHER and not reason_note.strip():
        raise ValidationError({"reason_note": _("Describe the reason.")})
    process = _flows().DropoutFlow.start.run(
        enrollment=enrollment, actor=actor, kind=kind, reason=reason,
        reason_note=reason_note.strip(), effective_on=effective_on,
    )  # fmt: skip
    _attach_evidence(
        process=process, school=enrollment.school, actor=actor, files=evidence, kind="other"
    )
    return process


@transaction.atomic
def dropout_decide(
    *, process: DropoutProcess, actor: User, decision: str, comment: str
) -> DropoutProcess:
    """Apply the area office's decision: approve ends the enrollment; reject changes nothing."""
    _decided(process, actor=actor, decision=decision, comment=comment)
    if decision == Decision.APPROVED:
        roster.enrollment_end(
            enrollment=process.enrollment, actor=actor, status=process.kind,
            on=process.effective_on, reason=f"{process.get_reason_display()} {process.reason_note}".strip(),
        )  # fmt: skip
    process.save(update_fields=["decision", "decision_comment", "decided_by", "decided_at"])
    return process


@_in_thai
def dropout_record(*, process: DropoutProcess) -> SignedDocument:
    student = process.student
    return _record(
        process,
        kind=Kind.DROPOUT_DECISION,
        title=f"ผลการพิจารณา{process.get_kind_display()}",
        facts=[
            ("นักเรียน", f"{student.full_name_th} ({student.identifier_masked})"),
            ("โรงเรียน", f"{process.school.name_th} ({process.school.code})"),
            ("เหตุผล", f"{process.get_reason_display()} {process.reason_note}".strip()),
            ("วันที่มีผล", be_date(process.effective_on, "long")),
            ("ผู้ยื่นคำขอ", process.requested_by.display_name),
        ],
        actor=process.decided_by,
        role="เจ้าหน้าที่สำนักงานเขตพื้นที่การศึกษา",
    )


# --- citizen-ID correction by e-mail ---------------------------------------------------------


def id_corrections_freeze_notice(*, deciding: bool, at: datetime | None = None) -> str:
    """Return why a citizen-ID correction cannot be sent or decided now, or "" while it can."""
    round = id_corrections_frozen_by(at=at)
    if round is None:
        return ""
    values = {
        "round": round,
        "cutoff": thai_date(round.id_correction_cutoff),
        "until": thai_date(id_correction_freeze_ends(round)),
    }
    if deciding:
        return (
            _(
                "Citizen-ID corrections are frozen for the count day of %(round)s, from "
                "%(cutoff)s until %(until)s. The request stays waiting: decide it from %(until)s."
            )
            % values
        )
    return (
        _(
            "Citizen-ID corrections are frozen for the count day of %(round)s, from "
            "%(cutoff)s until %(until)s: send the request from %(until)s."
        )
        % values
    )


def _check_id_corrections_open(*, deciding: bool) -> None:
    notice = id_corrections_freeze_notice(deciding=deciding)
    if notice:
        raise ValidationError(notice, code="frozen")


def id_approvers_for(school: School) -> list[User]:
    """Return the approvers of the school's area office, or the national ones if it has none."""
    area = list(users_with_role(role=Role.ID_APPROVER, area_office=school.area_office))
    return area or list(users_with_role(role=Role.ID_APPROVER))


@transaction.atomic
def id_correction_request(
    *, student: Student, school: School, actor: User, new_citizen_id: str, evidence=()
) -> IdCorrectionProcess:
    """Ask for a citizen-ID correction; the approvers get a signed single-use link by e-mail."""
    if not Enrollment.objects.filter(
        student=student, school=school, status=EnrollmentStatus.ACTIVE
    ).exists():
        raise ValidationError(_("This learner is not enrolled here."))
    _check_id_corrections_open(deciding=False)
    new_id = parse_citizen_id(new_citizen_id)
    if new_id == student.citizen_id:
        raise ValidationError({"new_citizen_id": _("The new ID is the current one.")})
    if Student.objects.filter(citizen_id=new_id).exclude(pk=student.pk).exists():
        raise ValidationError({"new_citizen_id": _("This ID belongs to another learner.")})
    if IdCorrectionProcess.objects.filter(student=student, decision="").exists():
        raise ValidationError(_("A request is already waiting."), code="pending")
    approvers = id_approvers_for(school)
    if not approvers:
        raise ValidationError(_("No approver is set up yet."), code="no_approver")
    if not evidence:
        raise ValidationError({"evidence": _("Attach the evidence.")})
    process = _flows().IdCorrectionFlow.start.run(
        student=student, school=school, actor=actor, new_citizen_id=new_id,
        deadline=timezone.now() + timedelta(days=settings.ID_CORRECTION_LINK_DAYS),
    )  # fmt: skip
    _attach_evidence(process=process, school=school, actor=actor, files=evidence, kind="id_card")
    return process


@in_thai
def id_correction_send_links(*, process: IdCorrectionProcess) -> int:
    """E-mail each approver a link bound to them and to this request (after commit)."""
    messages = []
    for approver in id_approvers_for(process.school):
        link, _created = IdCorrectionLink.objects.get_or_create(
            process=process, approver=approver,
            defaults={"nonce": secrets.token_hex(16), "expires_at": process.deadline},
        )  # fmt: skip
        token = signing.dumps({"l": link.pk, "n": link.nonce}, salt=LINK_SALT)
        url = settings.VERIFY_BASE_URL.rstrip("/") + reverse("workflows:id_link", args=[token])
        subject, body = mail_compose("workflows/mail/id_correction_link", {
            "school": process.school.name_th, "name": process.student.full_name_th,
            "expires": be_date(link.expires_at), "url": url,
        })  # fmt: skip
        if approver.email:
            messages.append((subject, body, approver.email))
    for subject, body, to in messages:
        mail_queue(subject=subject, body=body, recipients=[to])
    return len(messages)


class LinkRefused(Exception):
    """The e-mailed link cannot decide: forged, altered, expired, used, or someone else's."""


def id_link_open(*, token: str, user: User) -> IdCorrectionLink:
    """Return the link a token names if it may still decide for this user; raise LinkRefused why."""
    try:
        data = signing.loads(token, salt=LINK_SALT)
    except signing.BadSignature as exc:
        raise LinkRefused(_("The link is not valid or was altered.")) from exc
    link = (
        IdCorrectionLink.objects.select_related("process__student", "process__school", "approver")
        .filter(pk=data.get("l"), nonce=data.get("n"))
        .first()
    )
    if link is None:
        raise LinkRefused(_("The link is not valid or was altered."))
    if link.approver_id != user.pk:
        raise LinkRefused(_("This link was sent to another approver."))
    if link.used_at is not None or link.process.decision:
        raise _link_used()
    if timezone.now() >= link.expires_at:
        raise LinkRefused(_("The link has expired."))
    return link


def _link_used() -> LinkRefused:
    return LinkRefused(_("The request was decided; the link cannot be used again."))


def id_link_decide(
    *, link: IdCorrectionLink, actor: User, decision: str, comment: str
) -> IdCorrectionProcess:
    """Decide the link's request once; raise LinkRefused when another click or approver came first.

    Its transaction is the flow's (no atomic of its own): the flow's row lock must be the outermost
    transaction, as a refused attempt to take it aborts any transaction around it."""
    flow = _flows().IdCorrectionFlow
    task = Task.objects.filter(
        process_id=link.process_id, flow_task=flow.decide, status=STATUS.NEW
    ).first()
    try:
        if task is None:
            raise _link_used()
        # Handle.run takes the flow's lock, runs the decision and moves on, in one transaction.
        return flow.decide.run(task, actor=actor, decision=decision, comment=comment)
    except TransitionNotAllowed as exc:
        # Decided by the click that held the lock before this one: a double click, or two tabs.
        raise _link_used() from exc
    except FlowLockFailed as exc:
        raise LinkRefused(
            _(
                "Someone else is deciding this request right now; open the request in a moment "
                "to see the decision."
            )
        ) from exc


def id_link_process(*, token: str) -> IdCorrectionProcess | None:
    """Return the request a genuine token names, whatever its state (to point the user to it)."""
    try:
        data = signing.loads(token, salt=LINK_SALT)
    except signing.BadSignature:
        return None
    link = (
        IdCorrectionLink.objects.select_related("process")
        .filter(pk=data.get("l"), nonce=data.get("n"))
        .first()
    )
    return link.process if link else None


@transaction.atomic
def id_correction_decide(
    *, process: IdCorrectionProcess, actor: User, decision: str, comment: str
) -> IdCorrectionProcess:
    """Apply the approver's decision; on approval the new ID is checked again, then changed."""
    # Refused before anything is written: the request keeps waiting and the link stays usable.
    _check_id_corrections_open(deciding=True)
    _decided(process, actor=actor, decision=decision, comment=comment)
    if decision == Decision.APPROVED:
        roster.student_citizen_id_change(
            student=process.student, school=process.school, actor=actor,
            new_citizen_id=process.new_citizen_id, reason=_("Corrected on request"),
        )  # fmt: skip
    process.save(update_fields=["decision", "decision_comment", "decided_by", "decided_at"])
    IdCorrectionLink.objects.filter(process=process, used_at__isnull=True).update(
        used_at=timezone.now()
    )
    return process


def id_correction_expire(*, process: IdCorrectionProcess) -> None:
    process.decision = Decision.EXPIRED
    process.save(update_fields=["decision"])


@_in_thai
def id_correction_record(*, process: IdCorrectionProcess) -> SignedDocument:
    old = format_citizen_id(process.old_citizen_id) if process.old_citizen_id else process.old_gcode
    return _record(
        process,
        kind=Kind.ID_CORRECTION_DECISION,
        title="ผลการพิจารณาแก้ไขเลขประจำตัวประชาชน",
        facts=[
            ("โรงเรียน", f"{process.school.name_th} ({process.school.code})"),
            ("เลขเดิม", mask_citizen_id(process.old_citizen_id) if process.old_citizen_id else old),
            ("เลขที่ขอแก้ไข", mask_citizen_id(process.new_citizen_id)),
            ("ผู้ยื่นคำขอ", process.requested_by.display_name),
        ],
        actor=process.decided_by,
        role="ผู้อนุมัติแก้ไขเลขประจำตัว",
    )


# --- transfer in (2.7.1) -----------------------------------------------------------------------


def find_learner(identifier: str) -> Student | None:
    """Return the learner with this citizen ID or G-code, anywhere in the country."""
    value = identifier.strip()
    key = (
        {"gcode": parse_gcode(value)}
        if value[:1].upper() == "G"
        else {"citizen_id": parse_citizen_id(value)}
    )
    return Student.objects.filter(**key).first()


@dataclass(frozen=True)
class TransferRequested:
    """What a transfer request did: asked the school holding the learner, or enrolled them at once."""

    process: TransferProcess | None = None
    enrollment: Enrollment | None = None

    @property
    def enrolled_at_once(self) -> bool:
        """Return whether nobody held the learner, so they were enrolled without a request."""
        return self.enrollment is not None


@transaction.atomic
def transfer_request(
    *, school: School, actor: User, student: Student, grade: str, room: int, evidence=()
) -> TransferRequested:
    """Ask the school that holds the learner to release them; enroll at once if nobody holds them."""
    check_grade_taught(school=school, grade=grade)
    current = (
        Enrollment.objects.select_related("school")
        .filter(student=student, status=EnrollmentStatus.ACTIVE)
        .first()
    )
    if current is not None and current.school_id == school.pk:
        raise ValidationError(_("This learner is already enrolled here."))
    if current is None:
        enrollment = roster.enrollment_start(
            student=student,
            school=school,
            grade=grade,
            room=room,
            started_on=timezone.localdate(),
            actor=actor,
        )
        for f in evidence or []:
            roster.student_document_upload(
                school=school, actor=actor, uploaded_file=f, kind="transfer_letter", student=student
            )
        return TransferRequested(enrollment=enrollment)
    if TransferProcess.objects.filter(student=student, school=school, decision="").exists():
        raise ValidationError(_("A transfer request for this learner is already waiting."))
    process = _flows().TransferFlow.start.run(
        school=school,
        actor=actor,
        student=student,
        releasing_school=current.school,
        grade=grade,
        room=room,
    )
    _attach_evidence(
        process=process, school=school, actor=actor, files=evidence, kind="transfer_letter"
    )
    return TransferRequested(process=process)


@transaction.atomic
def transfer_decide(
    *, process: TransferProcess, actor: User, decision: str, comment: str, on: date | None
) -> TransferProcess:
    """Release the learner (move the enrollment in one transaction) or refuse with a reason."""
    _decided(process, actor=actor, decision=decision, comment=comment)
    if decision == Decision.APPROVED:
        on = on or timezone.localdate()
        if on > timezone.localdate():
            raise ValidationError({"on": _("The date cannot be in the future.")})
        roster.enrollment_move(
            student=process.student, from_school=process.releasing_school, to_school=process.school,
            actor=actor, on=on, grade=process.grade, room=process.room,
        )  # fmt: skip
        process.released_on = on
    process.save(
        update_fields=["decision", "decision_comment", "decided_by", "decided_at", "released_on"]
    )
    return process


@_in_thai
def transfer_record(*, process: TransferProcess) -> SignedDocument:
    return _record(
        process,
        kind=Kind.TRANSFER_RECORD,
        title="บันทึกการย้ายนักเรียน",
        facts=[
            ("นักเรียน", f"{process.student.full_name_th} ({process.student.identifier_masked})"),
            (
                "โรงเรียนต้นทาง",
                f"{process.releasing_school.name_th} ({process.releasing_school.code})",
            ),
            ("โรงเรียนปลายทาง", f"{process.school.name_th} ({process.school.code})"),
            ("ชั้น/ห้อง", f"{Grade(process.grade).label}/{process.room}"),
            ("วันที่ย้าย", be_date(process.released_on, "long") or "—"),
        ],
        actor=process.decided_by,
        role="เจ้าหน้าที่โรงเรียนต้นทาง",
    )


@in_thai
@transaction.atomic
def transfers_remind(*, now=None) -> int:
    """E-mail the releasing schools of transfers waiting longer than TRANSFER_REMIND_DAYS (once a
    day); the e-mails leave once the marks that they were sent are committed."""
    now = now or timezone.now()
    waiting = list(
        TransferProcess.objects.filter(
            decision="",
            status="NEW",
            created__lte=now - timedelta(days=settings.TRANSFER_REMIND_DAYS),
        )
        .exclude(reminded_at__gt=now - timedelta(days=1))
        .select_related("releasing_school", "school", "student")
        # Two runs at once (a retried beat task): each request is reminded by one of them.
        .select_for_update(skip_locked=True, of=("self",))
    )
    TransferProcess.objects.filter(pk__in=[p.pk for p in waiting]).update(reminded_at=now)
    sent = 0
    for process in waiting:
        to = school_emails(school=process.releasing_school, roles=(Role.STAFF,))
        if to:
            subject, body = mail_compose("workflows/mail/transfer_reminder", {
                "to": process.school.name_th, "name": process.student.full_name_th,
            })  # fmt: skip
            mail_queue(subject=subject, body=body, recipients=to)
            sent += 1
    return sent


# --- G-code issuance (2.7.4) -------------------------------------------------------------------


@transaction.atomic
def gcode_request(
    *, school: School, actor: User, title: str, first_name_th: str, last_name_th: str,
    first_name_en: str = "", last_name_en: str = "", sex: str, birth_date: date,
    nationality: str, guardian_name: str, guardian_relation: str, guardian_phone: str = "",
    address: str, grade: str, room: int, evidence=(),
) -> GCodeProcess:  # fmt: skip
    """Ask the area office to verify a learner without civil registration and issue a G-code."""
    if birth_date > timezone.localdate():
        raise ValidationError({"birth_date": _("The birth date is not valid.")})
    check_grade_taught(school=school, grade=grade)
    # A double click or a resent form must not ask twice for the same learner: the school's row
    # lock serialises two such requests, and the second finds the first one waiting.
    School.objects.select_for_update().filter(pk=school.pk).first()
    if GCodeProcess.objects.filter(
        school=school,
        decision="",
        first_name_th=first_name_th,
        last_name_th=last_name_th,
        birth_date=birth_date,
    ).exists():
        raise ValidationError(
            _("A G-code request for this learner is already waiting."),
            code="pending",
        )
    process = _flows().GCodeFlow.start.run(
        school=school, actor=actor, title=title, first_name_th=first_name_th,
        last_name_th=last_name_th, first_name_en=first_name_en, last_name_en=last_name_en,
        sex=sex, birth_date=birth_date, nationality=nationality, guardian_name=guardian_name,
        guardian_relation=guardian_relation, guardian_phone=guardian_phone, address=address,
        grade=grade, room=room,
    )  # fmt: skip
    _attach_evidence(process=process, school=school, actor=actor, files=evidence, kind="other")
    return process


def gcode_next(*, year_be: int) -> str:
    """Issue the next unique G-code: G, the Buddhist year's last two digits, then 10 digits."""
    counter, _created = GCodeCounter.objects.select_for_update().get_or_create(year_be=year_be)
    while True:
        counter.last += 1
        code = f"G{year_be % 100:02d}{counter.last:010d}"
        # The national system issues codes of the same shape: skip any already recorded.
        if not gcode_taken(code):
            counter.save(update_fields=["last"])
            return code


@transaction.atomic
def gcode_decide(
    *, process: GCodeProcess, actor: User, decision: str, comment: str
) -> GCodeProcess:
    """Approve: issue a unique G-code and add the learner to the school; reject: nothing changes."""
    _decided(process, actor=actor, decision=decision, comment=comment)
    if decision == Decision.APPROVED:
        code = gcode_next(year_be=timezone.localdate().year + 543)
        roster.gcode_register(
            gcode=code, school=process.school, actor=actor, source=IssuedGCode.Source.OPENDMC,
            learner_name=str(process), request_key=process.request_key,
        )  # fmt: skip
        enrollment = roster.student_add(
            school=process.school, actor=actor, gcode=code, title=process.title,
            first_name_th=process.first_name_th, last_name_th=process.last_name_th,
            first_name_en=process.first_name_en, last_name_en=process.last_name_en,
            sex=process.sex, birth_date=process.birth_date, nationality=process.nationality,
            grade=process.grade, room=process.room, started_on=timezone.localdate(),
        )  # fmt: skip
        process.issued_gcode, process.student = code, enrollment.student
        StudentDocument.objects.filter(request_key=process.request_key).update(
            student=enrollment.student
        )
    process.save(
        update_fields=[
            "decision",
            "decision_comment",
            "decided_by",
            "decided_at",
            "issued_gcode",
            "student",
        ]
    )
    return process


@_in_thai
def gcode_record(*, process: GCodeProcess) -> SignedDocument:
    return _record(
        process,
        kind=Kind.GCODE_RECORD,
        title="ผลการพิจารณาออกรหัสประจำตัวผู้เรียน (G-code)",
        facts=[
            ("โรงเรียน", f"{process.school.name_th} ({process.school.code})"),
            ("ผู้เรียน", f"{process.title}{process.first_name_th} {process.last_name_th}"),
            ("รหัสที่ออก", process.issued_gcode or "—"),
            ("ผู้ยื่นคำขอ", process.requested_by.display_name),
        ],
        actor=process.decided_by,
        role="เจ้าหน้าที่สำนักงานเขตพื้นที่การศึกษา",
    )
