"""Writes to the learner register. Each function is one transaction and leaves an audit entry."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import User

from .identifiers import parse_citizen_id, parse_gcode
from .models import AuditEntry, Enrollment, EnrollmentStatus, School, Student


def audit_record(
    *,
    student: Student,
    action: str,
    actor: User | None,
    school: School | None = None,
    changes: dict | None = None,
    reason: str = "",
) -> AuditEntry:
    """Write one audit entry for a change to a learner or an enrollment."""
    return AuditEntry.objects.create(
        student=student,
        school=school,
        actor=actor,
        action=action,
        changes=changes or {},
        reason=reason,
    )


def _active_elsewhere_error(enrollment: Enrollment) -> ValidationError:
    school = enrollment.school
    return ValidationError(
        _(
            "นักเรียนคนนี้ยังมีสถานะกำลังศึกษาอยู่ที่ %(school)s (%(code)s): ให้ยื่นคำขอย้ายเข้า / "
            "This learner is still enrolled at %(school)s (%(code)s): request a transfer in."
        )
        % {"school": school.name_th, "code": school.code},
        code="active_elsewhere",
    )


@transaction.atomic
def enrollment_start(
    *,
    student: Student,
    school: School,
    grade: str,
    room: int,
    started_on: date,
    actor: User | None,
) -> Enrollment:
    """Enroll a learner at a school; refuse while the learner is active at any school."""
    current = (
        Enrollment.objects.select_related("school")
        .filter(student=student, status=EnrollmentStatus.ACTIVE)
        .first()
    )
    if current is not None:
        raise _active_elsewhere_error(current)
    try:
        # The savepoint keeps the outer transaction usable when the database refuses the row.
        with transaction.atomic():
            enrollment = Enrollment.objects.create(
                student=student, school=school, grade=grade, room=room, started_on=started_on
            )
    except IntegrityError as exc:
        # Another request enrolled the learner between our check and our insert.
        current = (
            Enrollment.objects.select_related("school")
            .filter(student=student, status=EnrollmentStatus.ACTIVE)
            .first()
        )
        if current is None:
            raise
        raise _active_elsewhere_error(current) from exc
    audit_record(
        student=student,
        school=school,
        actor=actor,
        action=AuditEntry.Action.ENROLL,
        changes={"grade": [None, grade], "room": [None, room], "school": [None, school.code]},
    )
    return enrollment


@transaction.atomic
def student_add(
    *,
    school: School,
    actor: User | None,
    citizen_id: str = "",
    gcode: str = "",
    title: str,
    first_name_th: str,
    last_name_th: str,
    first_name_en: str = "",
    last_name_en: str = "",
    sex: str,
    birth_date: date,
    nationality: str = "ไทย",
    grade: str,
    room: int,
    started_on: date,
) -> Enrollment:
    """Add a learner to a school (menu 2.7.3 with a citizen ID, 2.7.4 with a G-code).

    A learner already known nationally is enrolled again only if no school holds them now.
    """
    if bool(citizen_id) == bool(gcode):
        raise ValidationError(
            _(
                "ระบุเลขประจำตัวประชาชนหรือรหัส G อย่างใดอย่างหนึ่ง / Give a citizen ID or a G-code, not both."
            ),
            code="identifier",
        )
    key = (
        {"citizen_id": parse_citizen_id(citizen_id)}
        if citizen_id
        else {"gcode": parse_gcode(gcode)}
    )
    student = Student.objects.select_for_update().filter(**key).first()
    if student is None:
        student = Student.objects.create(
            **key,
            title=title,
            first_name_th=first_name_th.strip(),
            last_name_th=last_name_th.strip(),
            first_name_en=first_name_en.strip(),
            last_name_en=last_name_en.strip(),
            sex=sex,
            birth_date=birth_date,
            nationality=nationality,
        )
        audit_record(student=student, school=school, actor=actor, action=AuditEntry.Action.ADD)
    return enrollment_start(
        student=student, school=school, grade=grade, room=room, started_on=started_on, actor=actor
    )
