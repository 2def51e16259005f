"""Correcting a learner's sex or birth date over HTTP (the learner page's "Correct the sex or birth
date"): who may, the reason, the dates people type, the roster lock, and the nutrition status that
follows the correction."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from census.models import SchoolRound
from census.services import academic_year_create
from schools.models import AuditEntry, EnrollmentStatus, Grade, Measurement
from schools.nutrition import assess
from schools.services import MeasurementEntry, measurements_record

from ..factories import EnrollmentFactory, StudentFactory

BORN = date(2016, 7, 1)


@pytest.fixture
def learner(school, staff):
    """A girl typed as a boy, measured once: 24 kg, 125 cm."""
    e = EnrollmentFactory(
        school=school, grade=Grade.P3, student=StudentFactory(sex="M", birth_date=BORN)
    )
    measurements_record(
        school=school,
        actor=staff,
        source="form",
        entries=[
            MeasurementEntry(e.student_id, date(2025, 6, 1), Decimal("24.0"), Decimal("125.0"))
        ],
    )
    return e


def url(school, learner, name="details"):
    return reverse(f"schools:{name}", args=[school.code, learner.student.public_id])


def data(**overrides):
    return {"sex": "F", "birth_date": "1/7/2559", "reason": "พิมพ์ผิดตอนรับเข้า", **overrides}


def test_the_learner_page_offers_the_correction_to_its_staff(client_as, staff, school, learner):
    body = client_as(staff).get(url(school, learner, "student")).content.decode()
    assert url(school, learner) in body


def test_staff_corrects_the_sex_and_the_nutrition_status_follows(client_as, staff, school, learner):
    page = client_as(staff).get(url(school, learner))
    assert page.status_code == 200 and 'value="M" selected' in page.content.decode()
    response = client_as(staff).post(url(school, learner), data(birth_date="2/7/2559"))
    assert response.status_code == 302 and response["Location"] == url(school, learner, "student")
    student = learner.student
    student.refresh_from_db()
    assert (student.sex, student.birth_date) == ("F", date(2016, 7, 2))
    entry = AuditEntry.objects.get(student=student, action=AuditEntry.Action.DETAILS_EDIT)
    assert entry.changes == {"sex": ["M", "F"], "birth_date": ["2016-07-01", "2016-07-02"]}
    assert entry.actor == staff
    m = Measurement.objects.get(student=student)
    expected = assess(sex="F", birth_date=date(2016, 7, 2), measured_on=m.measured_on,
                      weight_kg=m.weight_kg, height_cm=m.height_cm)  # fmt: skip
    assert tuple(expected.values()) == (
        m.age_days, m.wfh_z, m.hfa_z, m.wfa_z, m.wfh_band, m.hfa_band, m.wfa_band,
        m.nutrition_issue, m.nutrition_reference,
    )  # fmt: skip
    as_a_boy = assess(sex="M", birth_date=BORN, measured_on=m.measured_on,
                      weight_kg=m.weight_kg, height_cm=m.height_cm)  # fmt: skip
    assert tuple(as_a_boy.values()) != tuple(expected.values())


def test_nothing_changed_writes_nothing(client_as, staff, school, learner):
    response = client_as(staff).post(url(school, learner), data(sex="M"))
    assert response.status_code == 302
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.DETAILS_EDIT).exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"reason": "ผิด"}, "ระบุเหตุผลอย่างน้อย 5 ตัวอักษร"),
        ({"birth_date": "1/7/2600"}, "วันเกิดไม่ถูกต้อง"),
        ({"birth_date": "31/2/2559"}, "ไม่มีวันที่ 31 ในเดือนที่ 2"),
        ({"sex": "X"}, None),
    ],
)
def test_bad_input_is_explained_and_nothing_changes(
    client_as, staff, school, learner, overrides, message
):
    response = client_as(staff).post(url(school, learner), data(**overrides))
    assert response.status_code == 200
    if message:
        assert message in response.content.decode()
    learner.student.refresh_from_db()
    assert (learner.student.sex, learner.student.birth_date) == ("M", BORN)
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.DETAILS_EDIT).exists()


def test_the_messages_read_in_english_too(client_as, staff, school, learner):
    client = client_as(staff)
    client.cookies["django_language"] = "en"
    response = client.post(url(school, learner), data(reason="no"))
    assert "Give a reason of at least 5 characters." in response.content.decode()


def test_refused_while_the_roster_waits_for_the_director(client_as, staff, school, learner):
    round = academic_year_create(year_be=2569, actor=None).rounds.get(number=2)
    SchoolRound.objects.create(round=round, school=school, state=SchoolRound.State.CONFIRMED)
    response = client_as(staff).post(url(school, learner), data())
    assert response.status_code == 200
    assert "ยืนยันแล้วและรอผู้อำนวยการรับรอง" in response.content.decode()
    learner.student.refresh_from_db()
    assert learner.student.sex == "M"


@pytest.mark.parametrize("persona", ["director", "area_officer"])
def test_those_who_do_not_keep_the_roster_may_not(request, client_as, school, learner, persona):
    user = request.getfixturevalue(persona)
    assert client_as(user).get(url(school, learner)).status_code == 403
    assert client_as(user).post(url(school, learner), data()).status_code == 403
    learner.student.refresh_from_db()
    assert learner.student.sex == "M"


def test_another_schools_staff_finds_nothing(client_as, other_school_staff, school, learner):
    assert client_as(other_school_staff).post(url(school, learner), data()).status_code in (
        403,
        404,
    )
    learner.student.refresh_from_db()
    assert learner.student.sex == "M"


def test_a_learner_who_left_cannot_be_corrected_here(client_as, staff, school):
    gone = EnrollmentFactory(
        school=school, status=EnrollmentStatus.TRANSFERRED_OUT, ended_on=date(2026, 6, 1)
    )
    assert client_as(staff).get(url(school, gone)).status_code == 404
    assert client_as(staff).post(url(school, gone), data()).status_code == 404


def test_signed_out_goes_to_the_login_page(client, school, learner):
    response = client.get(url(school, learner))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
