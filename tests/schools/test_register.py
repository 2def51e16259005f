from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from schools.models import AuditEntry, Enrollment, EnrollmentStatus, Grade, Student
from schools.services import enrollment_start, student_add

from ..factories import (
    EnrollmentFactory,
    IssuedGCodeFactory,
    SchoolFactory,
    StudentFactory,
    make_citizen_id,
)


def _add(school, **overrides):
    data = dict(
        school=school,
        actor=None,
        citizen_id=make_citizen_id(),
        title="ด.ช.",
        first_name_th="ธนกฤต",
        last_name_th="ศรีสุข",
        sex="M",
        birth_date=date(2017, 3, 1),
        grade=Grade.P3,
        room=1,
        started_on=date(2026, 5, 16),
    )
    data.update(overrides)
    return student_add(**data)


def test_add_learner_enrolls_and_audits(school, staff):
    enrollment = _add(school, actor=staff)
    assert enrollment.status == EnrollmentStatus.ACTIVE
    actions = set(
        AuditEntry.objects.filter(student=enrollment.student).values_list("action", flat=True)
    )
    assert actions == {AuditEntry.Action.ADD, AuditEntry.Action.ENROLL}


def test_second_active_enrollment_refused_by_service_naming_the_school(school, other_school):
    enrollment = _add(school)
    with pytest.raises(ValidationError) as exc:
        enrollment_start(
            student=enrollment.student,
            school=other_school,
            grade=Grade.P3,
            room=1,
            started_on=date(2026, 6, 1),
            actor=None,
        )
    message = exc.value.messages[0]
    assert school.name_th in message and school.code in message
    assert "ให้ยื่นคำขอย้ายเข้า" in message
    assert Enrollment.objects.filter(student=enrollment.student).count() == 1


def test_add_with_an_id_active_elsewhere_points_to_transfer(school, other_school):
    cid = make_citizen_id()
    _add(school, citizen_id=cid)
    with pytest.raises(ValidationError) as exc:
        _add(other_school, citizen_id=cid)
    assert exc.value.code == "active_elsewhere"


def test_second_active_enrollment_refused_by_the_database(db):
    student = StudentFactory()
    EnrollmentFactory(student=student)
    with pytest.raises(IntegrityError), transaction.atomic():
        EnrollmentFactory(student=student, school=SchoolFactory())


def test_ended_enrollment_allows_a_new_one(db):
    student = StudentFactory()
    EnrollmentFactory(
        student=student, status=EnrollmentStatus.TRANSFERRED_OUT, ended_on=date(2026, 5, 1)
    )
    EnrollmentFactory(student=student, school=SchoolFactory())
    assert Enrollment.objects.filter(student=student, status="active").count() == 1


def test_student_needs_citizen_id_or_gcode_in_the_database(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        StudentFactory(citizen_id=None, gcode=None)


def test_citizen_id_and_gcode_are_unique_in_the_database(db):
    StudentFactory(citizen_id="1101700203450")
    with pytest.raises(IntegrityError), transaction.atomic():
        StudentFactory(citizen_id="1101700203450")
    StudentFactory(citizen_id=None, gcode="G123456789012")
    with pytest.raises(IntegrityError), transaction.atomic():
        StudentFactory(citizen_id=None, gcode="G123456789012")


def test_malformed_gcode_refused_by_the_database(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        StudentFactory(citizen_id=None, gcode="X12")


def test_add_g_code_learner(school):
    IssuedGCodeFactory(gcode="G500001000001", school=school)
    enrollment = _add(school, citizen_id="", gcode="g500001000001")
    assert enrollment.student.gcode == "G500001000001"
    assert enrollment.student.citizen_id is None


def test_add_needs_exactly_one_identifier(school):
    with pytest.raises(ValidationError):
        _add(school, citizen_id="", gcode="")
    with pytest.raises(ValidationError):
        _add(school, gcode="G500001000001")
    assert not Student.objects.exists()


def test_add_refuses_a_bad_check_digit(school):
    with pytest.raises(ValidationError) as exc:
        _add(school, citizen_id="1101700203451")
    assert exc.value.code == "check_digit"
    assert not Student.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_enrollments_leave_one_active(db):
    """Two schools enrolling the same learner at once: the database keeps exactly one."""
    import threading

    from django.db import connection

    student = StudentFactory()
    schools = [SchoolFactory(), SchoolFactory()]
    barrier = threading.Barrier(2)
    outcomes = []

    def enroll(school):
        try:
            barrier.wait(timeout=5)
            enrollment_start(
                student=student, school=school, grade=Grade.P3, room=1,
                started_on=date(2026, 6, 1), actor=None,
            )  # fmt: skip
            outcomes.append("ok")
        except ValidationError as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=enroll, args=(s,)) for s in schools]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["active_elsewhere", "ok"]
    assert Enrollment.objects.filter(student=student, status="active").count() == 1


@pytest.mark.postgres
def test_the_database_refuses_to_change_or_delete_the_audit(school):
    _add(school)
    entry = AuditEntry.objects.first()
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(reason="rewritten")
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).delete()
    assert AuditEntry.objects.filter(pk=entry.pk, reason="").exists()
