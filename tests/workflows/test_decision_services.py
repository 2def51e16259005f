"""The decision services on their own (issue 23): each decision is one transaction in its service,
whichever page, e-mailed link or flow node calls it, and returns the request it decided."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from schools.models import EnrollmentStatus, Grade, IssuedGCode
from workflows.models import Decision, GCodeCounter, GCodeProcess
from workflows.requests import (
    dropout_decide,
    dropout_request,
    gcode_decide,
    transfer_decide,
    transfer_request,
)

from ..factories import EnrollmentFactory, StudentFactory
from ..schools.test_enrollment_rules import lock
from .test_approvals import gcode_data


def test_a_g_code_approval_the_roster_refuses_issues_no_code(
    client_as, staff, area_officer, school
):
    client_as(staff).post(reverse("workflows:gcode_request", args=[school.code]), gcode_data())
    process = GCodeProcess.objects.get()
    lock(school)  # the learner cannot be added: the code counted and recorded before must go too
    with pytest.raises(ValidationError):
        gcode_decide(process=process, actor=area_officer, decision=Decision.APPROVED, comment="")
    process.refresh_from_db()
    assert process.decision == "" and process.issued_gcode == "" and process.student is None
    assert not IssuedGCode.objects.exists()
    assert not GCodeCounter.objects.filter(last__gt=0).exists()


def test_a_g_code_approval_returns_the_request_with_its_code(
    client_as, staff, area_officer, school
):
    client_as(staff).post(reverse("workflows:gcode_request", args=[school.code]), gcode_data())
    process = GCodeProcess.objects.get()
    decided = gcode_decide(
        process=process, actor=area_officer, decision=Decision.APPROVED, comment=""
    )
    stored = GCodeProcess.objects.get()
    assert decided.pk == stored.pk and decided.issued_gcode == stored.issued_gcode != ""
    assert decided.student.gcode == stored.issued_gcode


def test_a_dropout_decision_returns_the_request_with_the_ended_enrollment(
    staff, area_officer, school
):
    learner = EnrollmentFactory(school=school, grade=Grade.P3)
    process = dropout_request(
        enrollment=learner, actor=staff, kind="dropped_out", reason="family_moved",
        reason_note="", effective_on=timezone.localdate(),
    )  # fmt: skip
    decided = dropout_decide(
        process=process, actor=area_officer, decision=Decision.APPROVED, comment=""
    )
    assert decided.pk == process.pk and decided.decision == Decision.APPROVED
    learner.refresh_from_db()
    assert decided.enrollment == learner and learner.status == EnrollmentStatus.DROPPED_OUT


def test_a_release_returns_the_request_with_its_date(
    staff, other_school_staff, school, other_school
):
    held = EnrollmentFactory(school=other_school)
    requested = transfer_request(
        school=school, actor=staff, student=held.student, grade=Grade.P4, room=2
    )
    assert not requested.enrolled_at_once and requested.enrollment is None
    decided = transfer_decide(
        process=requested.process, actor=other_school_staff, decision=Decision.APPROVED,
        comment="", on=None,
    )  # fmt: skip
    assert decided.pk == requested.process.pk
    assert decided.released_on == timezone.localdate()
    held.refresh_from_db()
    assert held.status == EnrollmentStatus.TRANSFERRED_OUT


def test_a_transfer_of_a_learner_nobody_holds_enrolls_at_once(staff, school):
    student = StudentFactory()
    requested = transfer_request(
        school=school, actor=staff, student=student, grade=Grade.P4, room=2
    )
    assert requested.enrolled_at_once and requested.process is None
    assert requested.enrollment.student == student and requested.enrollment.school == school
    assert requested.enrollment.status == EnrollmentStatus.ACTIVE
