"""The roster menus over HTTP as each persona: add, G-code add, transfer out, class, name, weight."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from schools.models import AuditEntry, Enrollment, EnrollmentStatus, Grade, Measurement, Student

from ..factories import (
    EnrollmentFactory,
    IssuedGCodeFactory,
    SchoolFactory,
    StudentFactory,
    make_citizen_id,
)


@pytest.fixture
def learner(school):
    return EnrollmentFactory(school=school, grade=Grade.P3, room=1)


def url(name, school, learner=None):
    args = [school.code] + ([learner.student.public_id] if learner else [])
    return reverse(f"schools:{name}", args=args)


def add_data(**overrides):
    data = {
        "identifier": make_citizen_id(),
        "title": "ด.ญ.",
        "first_name_th": "พิมพ์ชนก",
        "last_name_th": "แก้วมณี",
        "first_name_en": "",
        "last_name_en": "",
        "sex": "F",
        "birth_date": "2018-02-01",
        "nationality": "ไทย",
        "grade": Grade.P2,
        "room": "1",
        "started_on": "2026-05-16",
    }
    data.update(overrides)
    return data


# --- add (2.7.3 / 2.7.4) ----------------------------------------------------------------------


def test_staff_adds_a_learner(client_as, staff, school):
    data = add_data()
    response = client_as(staff).post(url("add", school), data)
    assert response.status_code == 302
    student = Student.objects.get(citizen_id=data["identifier"])
    assert Enrollment.objects.get(student=student).school == school
    assert AuditEntry.objects.filter(student=student, actor=staff).count() == 2


def test_a_primary_school_offers_and_accepts_only_its_grades(client_as, staff, school):
    school.lowest_grade, school.highest_grade = Grade.K1, Grade.P6
    school.save(update_fields=["lowest_grade", "highest_grade"])
    client = client_as(staff)
    offered = dict(client.get(url("add", school)).context["form"].fields["grade"].choices)
    assert Grade.P6 in offered and Grade.M1 not in offered
    data = add_data(grade=Grade.M4)
    response = client.post(url("add", school), data)
    assert response.status_code == 200
    assert response.context["form"].errors["grade"]
    assert not Student.objects.filter(citizen_id=data["identifier"]).exists()


def test_the_service_refuses_a_grade_the_school_does_not_teach(staff, school):
    from django.core.exceptions import ValidationError

    from schools.services import enrollment_start

    school.highest_grade = Grade.P6
    with pytest.raises(ValidationError) as refused:
        enrollment_start(
            student=StudentFactory(), school=school, grade=Grade.M4, room=1,
            started_on=date(2026, 5, 16), actor=staff,
        )  # fmt: skip
    assert "ไม่มีชั้น" in str(refused.value) and "ไม่มีชั้น" in str(refused.value)


def test_a_learner_cannot_be_moved_into_a_grade_the_school_does_not_teach(client_as, staff, school):
    school.lowest_grade, school.highest_grade = Grade.M1, Grade.M6
    school.save(update_fields=["lowest_grade", "highest_grade"])
    learner = EnrollmentFactory(school=school, grade=Grade.M2)
    response = client_as(staff).post(
        url("move", school), {"selected": str(learner.pk), "to_grade": Grade.P6}
    )
    assert response.status_code == 200
    learner.refresh_from_db()
    assert learner.grade == Grade.M2


def test_add_refuses_an_id_active_elsewhere_and_points_to_transfer(
    client_as, staff, school, other_school
):
    held = EnrollmentFactory(school=other_school)
    response = client_as(staff).post(
        url("add", school), add_data(identifier=held.student.citizen_id)
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert other_school.name_th in body and "ให้ยื่นคำขอย้ายเข้า" in body
    assert Enrollment.objects.filter(student=held.student).count() == 1


def test_add_shows_a_check_digit_error(client_as, staff, school):
    response = client_as(staff).post(url("add", school), add_data(identifier="1101700203451"))
    assert response.status_code == 200
    assert "หลักตรวจสอบไม่ตรง" in response.content.decode()
    assert not Student.objects.exists()


def test_staff_adds_a_g_code_learner(client_as, staff, school):
    issued = IssuedGCodeFactory(gcode="G500001000077", school=school)
    response = client_as(staff).post(url("add_gcode", school), add_data(identifier="G500001000077"))
    assert response.status_code == 302
    assert Student.objects.get(gcode="G500001000077").citizen_id is None
    issued.refresh_from_db()
    assert issued.student == Student.objects.get(gcode="G500001000077")


def test_g_code_form_refuses_a_citizen_id(client_as, staff, school):
    response = client_as(staff).post(
        url("add_gcode", school), add_data(identifier=make_citizen_id())
    )
    assert response.status_code == 200
    assert not Student.objects.exists()


@pytest.mark.parametrize("persona", ["director", "area_officer"])
def test_readers_may_not_add(client_as, request, school, persona):
    user = request.getfixturevalue(persona)
    assert client_as(user).get(url("add", school)).status_code == 403
    assert client_as(user).post(url("add", school), add_data()).status_code == 403
    assert not Student.objects.exists()


@pytest.mark.parametrize("persona", ["other_school_staff", "other_area_officer"])
def test_outsiders_get_404_on_add(client_as, request, school, persona):
    user = request.getfixturevalue(persona)
    assert client_as(user).post(url("add", school), add_data()).status_code == 404
    assert not Student.objects.exists()


# --- transfer out (2.7.5) ---------------------------------------------------------------------


def test_transfer_out_to_a_school_in_the_system(client_as, staff, school, learner, other_school):
    today = timezone.localdate()
    response = client_as(staff).post(
        url("transfer_out", school, learner),
        {"on": today.isoformat(), "destination_code": other_school.code, "destination_note": ""},
    )
    assert response.status_code == 302
    learner.refresh_from_db()
    assert learner.status == EnrollmentStatus.TRANSFERRED_OUT
    assert learner.ended_on == today and learner.exit_school == other_school
    assert Student.objects.filter(pk=learner.student_id).exists()  # nothing deleted
    entry = AuditEntry.objects.get(student=learner.student, action=AuditEntry.Action.TRANSFER_OUT)
    assert entry.actor == staff and entry.changes["destination"] == [None, other_school.code]


def test_transfer_out_outside_the_system(client_as, staff, school, learner):
    response = client_as(staff).post(
        url("transfer_out", school, learner),
        {
            "on": timezone.localdate().isoformat(),
            "destination_code": "",
            "destination_note": "ย้ายไปต่างประเทศ",
        },
    )
    assert response.status_code == 302
    learner.refresh_from_db()
    assert learner.exit_note == "ย้ายไปต่างประเทศ" and learner.exit_school is None


def test_transfer_out_needs_a_destination_and_a_sane_date(client_as, staff, school, learner):
    client = client_as(staff)
    response = client.post(
        url("transfer_out", school, learner), {"on": timezone.localdate().isoformat()}
    )
    assert response.status_code == 200 and "โรงเรียนปลายทาง" in response.content.decode()
    future = (timezone.localdate() + timedelta(days=3)).isoformat()
    response = client.post(
        url("transfer_out", school, learner), {"on": future, "destination_note": "x"}
    )
    assert response.status_code == 200
    response = client.post(
        url("transfer_out", school, learner), {"on": "2026-06-01", "destination_code": "9999999999"}
    )
    assert response.status_code == 200 and "ไม่พบโรงเรียนรหัสนี้" in response.content.decode()
    learner.refresh_from_db()
    assert learner.status == EnrollmentStatus.ACTIVE


def test_director_may_not_transfer_out(client_as, director, school, learner):
    response = client_as(director).post(
        url("transfer_out", school, learner), {"on": "2026-06-01", "destination_note": "x"}
    )
    assert response.status_code == 403
    learner.refresh_from_db()
    assert learner.status == EnrollmentStatus.ACTIVE


def test_other_school_staff_cannot_transfer_out(client_as, other_school_staff, school, learner):
    response = client_as(other_school_staff).post(
        url("transfer_out", school, learner), {"on": "2026-06-01", "destination_note": "x"}
    )
    assert response.status_code == 404


# --- class and room (2.7.7) -------------------------------------------------------------------


def test_change_one_learners_class(client_as, staff, school, learner):
    response = client_as(staff).post(
        url("class", school, learner), {"grade": Grade.P4, "room": "2", "reason": "กรอกผิด"}
    )
    assert response.status_code == 302
    learner.refresh_from_db()
    assert (learner.grade, learner.room) == (Grade.P4, 2)
    entry = AuditEntry.objects.get(student=learner.student, action=AuditEntry.Action.CLASS_EDIT)
    assert (
        entry.changes == {"grade": [Grade.P3, Grade.P4], "room": [1, 2]}
        and entry.reason == "กรอกผิด"
    )


def test_move_a_whole_room(client_as, staff, school):
    room1 = [EnrollmentFactory(school=school, grade=Grade.P3, room=1) for _ in range(4)]
    stays = EnrollmentFactory(school=school, grade=Grade.P3, room=2)
    response = client_as(staff).post(
        url("move", school), {"from_grade": Grade.P3, "from_room": "1", "to_room": "3"}
    )
    assert response.status_code == 302
    assert {e.room for e in Enrollment.objects.filter(pk__in=[e.pk for e in room1])} == {3}
    stays.refresh_from_db()
    assert stays.room == 2
    assert AuditEntry.objects.filter(action=AuditEntry.Action.CLASS_EDIT).count() == 4


@pytest.mark.parametrize("room", ["", "1"])
def test_a_whole_grade_or_room_is_never_promoted_by_hand(client_as, staff, school, room):
    p3 = [EnrollmentFactory(school=school, grade=Grade.P3, room=r) for r in (1, 2)]
    response = client_as(staff).post(
        url("move", school), {"from_grade": Grade.P3, "from_room": room, "to_grade": Grade.P4}
    )
    assert response.status_code == 200
    assert "ระบบเลื่อนชั้นนักเรียนทั้งชั้นให้เอง" in response.content.decode()
    assert set(
        Enrollment.objects.filter(pk__in=[e.pk for e in p3]).values_list("grade", flat=True)
    ) == {Grade.P3}
    assert not AuditEntry.objects.exists()


def test_move_ticked_learners(client_as, staff, school):
    ticked = [EnrollmentFactory(school=school) for _ in range(2)]
    other = EnrollmentFactory(school=school)
    selected = ",".join(str(e.pk) for e in ticked)
    response = client_as(staff).post(url("move", school), {"selected": selected, "to_room": "5"})
    assert response.status_code == 302
    assert Enrollment.objects.get(pk=other.pk).room == 1
    assert {Enrollment.objects.get(pk=e.pk).room for e in ticked} == {5}


def test_moving_another_schools_enrollment_is_refused(client_as, staff, school, other_school):
    theirs = EnrollmentFactory(school=other_school)
    mine = EnrollmentFactory(school=school)
    response = client_as(staff).post(
        url("move", school), {"selected": f"{mine.pk},{theirs.pk}", "to_room": "9"}
    )
    assert response.status_code == 200
    assert Enrollment.objects.get(pk=theirs.pk).room == 1
    assert Enrollment.objects.get(pk=mine.pk).room == 1  # all or nothing


# --- name (2.7.8) -----------------------------------------------------------------------------


def test_change_the_name(client_as, staff, school, learner):
    response = client_as(staff).post(
        url("name", school, learner),
        {
            "title": "ด.ช.",
            "first_name_th": "ชื่อใหม่",
            "last_name_th": learner.student.last_name_th,
            "first_name_en": "Phurinat",
            "last_name_en": "",
            "reason": "",
        },
    )
    assert response.status_code == 302
    learner.student.refresh_from_db()
    assert learner.student.first_name_th == "ชื่อใหม่" and learner.student.first_name_en == "Phurinat"
    entry = AuditEntry.objects.get(student=learner.student, action=AuditEntry.Action.NAME_EDIT)
    assert set(entry.changes) == {"first_name_th", "first_name_en"}


def test_name_needs_thai_names(client_as, staff, school, learner):
    response = client_as(staff).post(
        url("name", school, learner), {"title": "ด.ช.", "first_name_th": "", "last_name_th": ""}
    )
    assert response.status_code == 200
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.NAME_EDIT).exists()


def test_name_edit_of_a_transferred_learner_is_refused(client_as, staff, school):
    gone = EnrollmentFactory(
        school=school, status=EnrollmentStatus.TRANSFERRED_OUT, ended_on=date(2026, 6, 1)
    )
    response = client_as(staff).get(url("name", school, gone))
    assert response.status_code == 404


# --- weight and height on the learner page ----------------------------------------------------


def test_record_weight_and_height(client_as, staff, school, learner):
    client = client_as(staff)
    data = {"measured_on": "2026-06-01", "weight_kg": "27.5", "height_cm": "131.2"}
    assert client.post(url("measure", school, learner), data).status_code == 302
    assert client.post(url("measure", school, learner), data).status_code == 302  # same again
    m = Measurement.objects.get(student=learner.student)
    assert (str(m.weight_kg), str(m.height_cm)) == ("27.5", "131.2")
    assert m.recorded_by == staff and m.source == Measurement.Source.FORM  # the row records who
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.MEASURE).exists()
    data["weight_kg"] = "28.0"
    client.post(url("measure", school, learner), data)
    assert Measurement.objects.get(student=learner.student).weight_kg == 28
    change = AuditEntry.objects.get(action=AuditEntry.Action.MEASURE)
    assert change.actor == staff and change.changes["weight_kg"] == ["27.5", "28.0"]


def test_impossible_weight_is_refused(client_as, staff, school, learner):
    response = client_as(staff).post(
        url("measure", school, learner),
        {"measured_on": "2026-06-01", "weight_kg": "700", "height_cm": "131"},
    )
    assert response.status_code == 200
    assert "1–200 กก." in response.content.decode()
    assert not Measurement.objects.exists()


def test_room_grid_saves_a_whole_room(client_as, staff, school):
    room = [EnrollmentFactory(school=school, grade=Grade.P3, room=1) for _ in range(3)]
    client = client_as(staff)
    page = client.get(url("grid", school), {"grade": Grade.P3, "room": "1"})
    assert len(page.context["rows"]) == 3
    data = {"grade": Grade.P3, "room": "1", "measured_on": "2026-06-01"}
    for i, e in enumerate(room):
        data[f"w_{e.pk}"] = f"2{i}.5"
        data[f"h_{e.pk}"] = f"12{i}"
    response = client.post(url("grid", school), data)
    assert response.status_code == 302
    assert Measurement.objects.filter(student__in=[e.student for e in room]).count() == 3


def test_room_grid_with_a_bad_number_saves_nothing(client_as, staff, school):
    room = [EnrollmentFactory(school=school, grade=Grade.P3, room=1) for _ in range(2)]
    data = {"grade": Grade.P3, "room": "1", "measured_on": "2026-06-01"}
    data[f"w_{room[0].pk}"], data[f"h_{room[0].pk}"] = "25", "120"
    data[f"w_{room[1].pk}"], data[f"h_{room[1].pk}"] = "abc", "120"
    response = client_as(staff).post(url("grid", school), data)
    assert response.status_code == 200
    assert "ตัวเลขไม่ถูกต้อง" in response.content.decode()
    assert not Measurement.objects.exists()


@pytest.mark.parametrize("size", [3, 30])
def test_room_grid_query_count_is_fixed(client_as, staff, school, django_assert_num_queries, size):
    for _ in range(size):
        EnrollmentFactory(school=school, grade=Grade.P3, room=1)
    client = client_as(staff)
    client.get(
        url("grid", school), {"grade": Grade.P3, "room": "1"}
    )  # content types, as on any page
    with django_assert_num_queries(12):  # none per learner
        response = client.get(url("grid", school), {"grade": Grade.P3, "room": "1"})
    assert response.content.decode().count('name="w_') == size


def test_director_cannot_use_the_grid(client_as, director, school):
    assert client_as(director).get(url("grid", school)).status_code == 403


def test_learner_page_shows_the_audit(client_as, staff, school, learner):
    client = client_as(staff)
    client.post(url("class", school, learner), {"grade": Grade.P4, "room": "1", "reason": "ย้ายห้อง"})
    body = client.get(url("student", school, learner)).content.decode()
    assert "ย้ายห้อง" in body and staff.display_name in body


def test_another_school_may_hold_a_learner_after_transfer_out(client_as, staff, school, learner):
    other = SchoolFactory()
    client_as(staff).post(
        url("transfer_out", school, learner),
        {"on": timezone.localdate().isoformat(), "destination_code": other.code},
    )
    from schools.services import enrollment_start

    enrollment_start(
        student=learner.student, school=other, grade=Grade.P3, room=1,
        started_on=timezone.localdate(), actor=None,
    )  # fmt: skip
    assert Enrollment.objects.filter(student=learner.student, status="active").get().school == other
