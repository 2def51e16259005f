"""The enrollment services at their edges (issue 24, docs/mutation.md): the roster lock while a
confirmation waits for the director, transfer-out of what may not be transferred, the move between
schools and the end of an enrollment — each refusal by its own message, each success by the state
and the audit entries it leaves."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from census.models import SchoolRound
from census.services import academic_year_create
from schools.models import AuditEntry, Enrollment, EnrollmentStatus, Grade, Student
from schools.services import (
    enrollment_end,
    enrollment_move,
    enrollment_start,
    enrollment_transfer_out,
)

from ..factories import EnrollmentFactory, SchoolFactory, StudentFactory, make_citizen_id

STARTED = date(2026, 5, 16)
LOCKED = "ยืนยันแล้วและรอผู้อำนวยการรับรอง"


@pytest.fixture
def learner(school):
    return EnrollmentFactory(school=school, grade=Grade.P3, room=1, started_on=STARTED)


def lock(school, state=SchoolRound.State.CONFIRMED):
    """Put the school's data in a round at `state` (CONFIRMED: waiting for the director)."""
    round = academic_year_create(year_be=2569, actor=None).rounds.get(number=2)
    return SchoolRound.objects.create(round=round, school=school, state=state)


def refusal(call, **kwargs) -> tuple[str, list[str]]:
    """Return the code and the English messages of the ValidationError a service call raises."""
    with translation.override("en"):
        with pytest.raises(ValidationError) as caught:
            call(**kwargs)
        return caught.value.code, [str(m) for m in caught.value.messages]


def locked_message(school) -> list[str]:
    return [
        f"The data of {school.name_th} is confirmed and waits for its director: changes wait "
        "until the director certifies or sends it back."
    ]


# --- the roster lock ------------------------------------------------------------------------------


def test_adding_a_learner_to_a_confirmed_roster_is_refused_until_the_director_decides(
    client_as, staff, school
):
    school_round = lock(school)
    data = {
        "identifier": make_citizen_id(), "title": "ด.ญ.", "first_name_th": "พิมพ์ชนก",
        "last_name_th": "แก้วมณี", "first_name_en": "", "last_name_en": "", "sex": "F",
        "birth_date": "2018-02-01", "nationality": "ไทย", "grade": Grade.P2, "room": "1",
        "started_on": "2026-05-16",
    }  # fmt: skip
    client = client_as(staff)
    response = client.post(reverse("schools:add", args=[school.code]), data)
    assert response.status_code == 200 and LOCKED in response.content.decode()
    assert not Student.objects.filter(citizen_id=data["identifier"]).exists()
    # Sent back to the staff (PREPARED): the roster is open again.
    SchoolRound.objects.filter(pk=school_round.pk).update(state=SchoolRound.State.PREPARED)
    response = client.post(reverse("schools:add", args=[school.code]), data)
    assert response.status_code == 302
    assert Enrollment.objects.get(student__citizen_id=data["identifier"]).school == school


def test_transferring_out_of_a_confirmed_roster_is_refused_until_the_director_decides(
    client_as, staff, school, learner
):
    school_round = lock(school)
    url = reverse("schools:transfer_out", args=[school.code, learner.student.public_id])
    data = {"on": timezone.localdate().isoformat(), "destination_note": "ย้ายไปต่างจังหวัด"}
    client = client_as(staff)
    response = client.post(url, data)
    assert response.status_code == 200 and LOCKED in response.content.decode()
    learner.refresh_from_db()
    assert learner.status == EnrollmentStatus.ACTIVE and learner.ended_on is None
    # Certified: changes go on for the next round.
    SchoolRound.objects.filter(pk=school_round.pk).update(state=SchoolRound.State.CERTIFIED)
    assert client.post(url, data).status_code == 302
    learner.refresh_from_db()
    assert learner.status == EnrollmentStatus.TRANSFERRED_OUT


@pytest.mark.parametrize(
    "state",
    [SchoolRound.State.NOT_STARTED, SchoolRound.State.PREPARED, SchoolRound.State.CERTIFIED],
)
def test_only_a_confirmed_undecided_roster_is_locked(school, state):
    lock(school, state)
    enrollment = enrollment_start(
        student=StudentFactory(), school=school, grade=Grade.P1, room=1, started_on=STARTED,
        actor=None,
    )  # fmt: skip
    assert enrollment.status == EnrollmentStatus.ACTIVE


def test_another_schools_confirmed_roster_does_not_lock_this_one(school, other_school):
    lock(other_school)
    enrollment = enrollment_start(
        student=StudentFactory(), school=school, grade=Grade.P1, room=1, started_on=STARTED,
        actor=None,
    )  # fmt: skip
    assert enrollment.school == school


def test_every_enrollment_change_is_refused_on_a_locked_roster_naming_the_school(
    school, other_school, learner, staff
):
    lock(school)
    other_school.highest_grade = Grade.P2  # refused for its lock before its grades
    other_school.save()
    assert refusal(
        enrollment_start, student=StudentFactory(), school=school, grade=Grade.P1, room=1,
        started_on=STARTED, actor=staff,
    ) == ("roster_locked", locked_message(school))  # fmt: skip
    assert refusal(
        enrollment_transfer_out, enrollment=learner, actor=staff, on=STARTED,
        destination_school=other_school,
    ) == ("roster_locked", locked_message(school))  # fmt: skip
    assert refusal(
        enrollment_end, enrollment=learner, actor=staff, status=EnrollmentStatus.DROPPED_OUT,
        on=STARTED, reason="x",
    ) == ("roster_locked", locked_message(school))  # fmt: skip
    # A move is refused when either end is locked.
    assert refusal(
        enrollment_move, student=learner.student, from_school=school, to_school=other_school,
        actor=staff, on=STARTED, grade=Grade.P3, room=1,
    ) == ("roster_locked", locked_message(school))  # fmt: skip
    elsewhere = EnrollmentFactory(school=other_school, started_on=STARTED)
    assert refusal(
        enrollment_move, student=elsewhere.student, from_school=other_school, to_school=school,
        actor=staff, on=STARTED, grade=Grade.P3, room=1,
    ) == ("roster_locked", locked_message(school))  # fmt: skip
    learner.refresh_from_db()
    elsewhere.refresh_from_db()
    assert learner.status == elsewhere.status == EnrollmentStatus.ACTIVE
    assert Enrollment.objects.count() == 2


# --- start --------------------------------------------------------------------------------------


def test_a_learner_enrolled_elsewhere_is_refused_naming_that_school(school, other_school, staff):
    elsewhere = EnrollmentFactory(school=other_school)
    code, messages = refusal(
        enrollment_start, student=elsewhere.student, school=school, grade=Grade.P1, room=1,
        started_on=STARTED, actor=staff,
    )  # fmt: skip
    assert code == "active_elsewhere"
    assert messages == [
        f"This learner is still enrolled at {other_school.name_th} ({other_school.code}): "
        "request a transfer in."
    ]


def test_a_grade_the_school_does_not_teach_is_refused(school, staff):
    school.highest_grade = Grade.P6
    school.save()
    with pytest.raises(ValidationError) as caught:
        enrollment_start(
            student=StudentFactory(), school=school, grade=Grade.M4, room=1, started_on=STARTED,
            actor=staff,
        )  # fmt: skip
    assert "grade" in caught.value.message_dict
    assert not Enrollment.objects.exists()


def test_an_enrollment_starts_active_with_its_grade_room_and_date_and_one_audit_entry(
    school, staff
):
    student = StudentFactory()
    enrollment = enrollment_start(
        student=student, school=school, grade=Grade.P2, room=3, started_on=STARTED, actor=staff
    )
    enrollment.refresh_from_db()
    assert (enrollment.school, enrollment.grade, enrollment.room, enrollment.started_on) == (
        school, Grade.P2, 3, STARTED,
    )  # fmt: skip
    assert enrollment.status == EnrollmentStatus.ACTIVE
    entry = AuditEntry.objects.get(student=student)
    assert (entry.action, entry.actor, entry.school) == (AuditEntry.Action.ENROLL, staff, school)
    assert entry.changes == {
        "grade": [None, Grade.P2],
        "room": [None, 3],
        "school": [None, school.code],
    }


# --- transfer out -------------------------------------------------------------------------------


def test_transfer_out_of_an_enrollment_that_already_ended_is_refused(
    school, other_school, learner, staff
):
    enrollment_end(
        enrollment=learner, actor=staff, status=EnrollmentStatus.DROPPED_OUT, on=STARTED, reason="x"
    )
    assert refusal(
        enrollment_transfer_out, enrollment=learner, actor=staff, on=STARTED,
        destination_school=other_school,
    ) == ("not_active_here", ["This learner is not enrolled at this school."])  # fmt: skip
    learner.refresh_from_db()
    assert learner.status == EnrollmentStatus.DROPPED_OUT and learner.exit_school is None


def test_transfer_out_to_the_same_school_is_refused(school, learner, staff):
    assert refusal(
        enrollment_transfer_out, enrollment=learner, actor=staff, on=STARTED,
        destination_school=school,
    ) == ("destination", ["The destination must be another school."])  # fmt: skip
    learner.refresh_from_db()
    assert learner.status == EnrollmentStatus.ACTIVE


@pytest.mark.parametrize("note", ["", "   "])
def test_transfer_out_without_a_destination_is_refused(learner, staff, note):
    assert refusal(
        enrollment_transfer_out, enrollment=learner, actor=staff, on=STARTED, destination_note=note
    ) == ("destination", ["Name the school the learner moves to."])


@pytest.mark.parametrize("days", [-1, "tomorrow"])
def test_transfer_out_dated_before_the_enrollment_or_after_today_is_refused(
    other_school, learner, staff, days
):
    on = STARTED - timedelta(days=1) if days == -1 else timezone.localdate() + timedelta(days=1)
    assert refusal(
        enrollment_transfer_out, enrollment=learner, actor=staff, on=on,
        destination_school=other_school,
    ) == (
        "date", ["The transfer date must fall between the start of the enrollment and today."],
    )  # fmt: skip
    learner.refresh_from_db()
    assert learner.status == EnrollmentStatus.ACTIVE


@pytest.mark.parametrize("on", ["started", "today"])
def test_transfer_out_on_the_first_day_or_today_ends_the_enrollment_that_day(
    school, other_school, learner, staff, on
):
    day = STARTED if on == "started" else timezone.localdate()
    enrollment_transfer_out(
        enrollment=learner, actor=staff, on=day, destination_note="  ย้ายไปต่างประเทศ  "
    )
    learner.refresh_from_db()
    assert (learner.status, learner.ended_on) == (EnrollmentStatus.TRANSFERRED_OUT, day)
    assert learner.exit_school is None and learner.exit_note == "ย้ายไปต่างประเทศ"
    entry = AuditEntry.objects.get(action=AuditEntry.Action.TRANSFER_OUT)
    assert (entry.actor, entry.school, entry.student) == (staff, school, learner.student)
    assert entry.changes == {
        "status": [EnrollmentStatus.ACTIVE, EnrollmentStatus.TRANSFERRED_OUT],
        "destination": [None, "ย้ายไปต่างประเทศ"],
        "ended_on": [None, day.isoformat()],
    }


def test_transfer_out_to_a_school_in_the_system_records_that_school(
    school, other_school, learner, staff
):
    enrollment_transfer_out(
        enrollment=learner, actor=staff, on=STARTED, destination_school=other_school
    )
    learner.refresh_from_db()
    assert learner.exit_school == other_school and learner.exit_note == ""
    entry = AuditEntry.objects.get(action=AuditEntry.Action.TRANSFER_OUT)
    assert entry.changes["destination"] == [None, other_school.code]


# --- move between schools -------------------------------------------------------------------------


def test_a_move_ends_the_releasing_enrollment_and_starts_the_receiving_one_that_day(
    school, other_school, staff
):
    on = date(2026, 8, 1)
    bystander = EnrollmentFactory(school=other_school)  # another learner, enrolled first
    learner = EnrollmentFactory(school=school, started_on=STARTED)
    new = enrollment_move(
        student=learner.student, from_school=school, to_school=other_school, actor=staff, on=on,
        grade=Grade.P4, room=2,
    )  # fmt: skip
    learner.refresh_from_db()
    new.refresh_from_db()
    bystander.refresh_from_db()
    assert bystander.status == EnrollmentStatus.ACTIVE and bystander.ended_on is None
    assert (learner.status, learner.ended_on, learner.exit_school) == (
        EnrollmentStatus.TRANSFERRED_OUT, on, other_school,
    )  # fmt: skip
    assert (new.student, new.school, new.status, new.grade, new.room, new.started_on) == (
        learner.student, other_school, EnrollmentStatus.ACTIVE, Grade.P4, 2, on,
    )  # fmt: skip
    out = AuditEntry.objects.get(action=AuditEntry.Action.TRANSFER_OUT)
    assert (out.school, out.actor) == (school, staff)
    assert out.changes == {
        "status": [EnrollmentStatus.ACTIVE, EnrollmentStatus.TRANSFERRED_OUT],
        "destination": [None, other_school.code],
        "ended_on": [None, on.isoformat()],
    }
    enrolled = AuditEntry.objects.get(action=AuditEntry.Action.ENROLL)
    assert (enrolled.school, enrolled.actor) == (other_school, staff)
    assert enrolled.changes == {
        "school": [school.code, other_school.code], "grade": [None, Grade.P4], "room": [None, 2],
    }  # fmt: skip


def test_a_move_of_a_learner_no_longer_at_the_releasing_school_is_refused(
    school, other_school, staff
):
    third = SchoolFactory(code="1050130555")
    elsewhere = EnrollmentFactory(school=third)
    message = ["The learner is no longer enrolled at the releasing school."]
    assert refusal(
        enrollment_move, student=elsewhere.student, from_school=school, to_school=other_school,
        actor=staff, on=STARTED, grade=Grade.P3, room=1,
    ) == ("moved", message)  # fmt: skip
    assert refusal(
        enrollment_move, student=StudentFactory(), from_school=school, to_school=other_school,
        actor=staff, on=STARTED, grade=Grade.P3, room=1,
    ) == ("moved", message)  # fmt: skip
    elsewhere.refresh_from_db()
    assert elsewhere.status == EnrollmentStatus.ACTIVE and Enrollment.objects.count() == 1


# --- end (dropped out, removed) ---------------------------------------------------------------------


@pytest.mark.parametrize("status", [EnrollmentStatus.DROPPED_OUT, EnrollmentStatus.REMOVED])
def test_an_approved_end_on_the_first_day_ends_the_enrollment_with_its_reason(
    school, learner, staff, status
):
    enrollment_end(
        enrollment=learner, actor=staff, status=status, on=STARTED, reason="ย้ายตามผู้ปกครอง"
    )
    learner.refresh_from_db()
    assert (learner.status, learner.ended_on) == (status, STARTED)
    entry = AuditEntry.objects.get(action=AuditEntry.Action.STATUS)
    assert (entry.actor, entry.school, entry.reason) == (staff, school, "ย้ายตามผู้ปกครอง")
    assert entry.changes == {
        "status": [EnrollmentStatus.ACTIVE, status], "ended_on": [None, STARTED.isoformat()],
    }  # fmt: skip


def test_an_end_dated_before_the_enrollment_is_refused(learner, staff):
    assert refusal(
        enrollment_end, enrollment=learner, actor=staff, status=EnrollmentStatus.DROPPED_OUT,
        on=STARTED - timedelta(days=1), reason="x",
    ) == ("date", ["The effective date cannot precede the enrollment."])  # fmt: skip
    learner.refresh_from_db()
    assert learner.status == EnrollmentStatus.ACTIVE


@pytest.mark.parametrize("status", [EnrollmentStatus.ACTIVE, EnrollmentStatus.TRANSFERRED_OUT])
def test_an_end_is_only_a_drop_out_or_a_removal(learner, staff, status):
    with pytest.raises(ValueError, match=status):
        enrollment_end(enrollment=learner, actor=staff, status=status, on=STARTED, reason="x")
    learner.refresh_from_db()
    assert learner.status == EnrollmentStatus.ACTIVE


def test_an_enrollment_that_already_ended_cannot_end_again(learner, staff):
    enrollment_end(
        enrollment=learner, actor=staff, status=EnrollmentStatus.REMOVED, on=STARTED, reason="x"
    )
    assert refusal(
        enrollment_end, enrollment=learner, actor=staff, status=EnrollmentStatus.DROPPED_OUT,
        on=STARTED, reason="y",
    ) == ("not_active_here", ["This learner is not enrolled at this school."])  # fmt: skip
    learner.refresh_from_db()
    assert learner.status == EnrollmentStatus.REMOVED
