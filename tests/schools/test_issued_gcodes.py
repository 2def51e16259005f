"""Menu 2.7.4 adds a learner only with a G-code that was issued: by OpenDMC's G-code request, or
by the national G-code system and recorded by the school's area office with its evidence."""

import threading
from datetime import date, datetime, time

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from viewflow.workflow.models import Task

from schools.models import (
    Enrollment,
    EnrollmentStatus,
    Grade,
    IssuedGCode,
    Student,
    StudentDocument,
)
from schools.services import student_add
from workflows.models import GCodeProcess

from ..factories import EnrollmentFactory, IssuedGCodeFactory, SchoolFactory, StudentFactory
from ..workflows.test_approvals import gcode_data, take_and_decide
from .test_menus import add_data

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf(name="gcode-letter.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def add_url(school):
    return reverse("schools:add_gcode", args=[school.code])


def register_url(school):
    return reverse("schools:gcode_register", args=[school.code])


def record(client, school, gcode="G690000000123", **extra):
    data = {"gcode": gcode, "learner_name": "ด.ญ.มะลิ ไม่มีนามสกุล", "evidence": pdf(), **extra}
    return client.post(register_url(school), data)


def test_a_g_code_never_issued_is_refused_and_the_g_code_request_offered(client_as, staff, school):
    response = client_as(staff).post(add_url(school), add_data(identifier="G691234567890"))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="gcode-not-issued"' in body
    assert reverse("workflows:gcode_request", args=[school.code]) in body
    assert not Student.objects.exists()


def test_the_area_office_records_a_national_g_code_and_the_school_adds_the_learner(
    client_as, staff, area_officer, school
):
    response = record(client_as(area_officer), school)
    assert response.status_code == 302
    issued = IssuedGCode.objects.get(gcode="G690000000123")
    assert (issued.source, issued.school, issued.registered_by) == (
        IssuedGCode.Source.NATIONAL, school, area_officer,
    )  # fmt: skip
    assert issued.evidence.content_type == "application/pdf" and issued.student is None
    page = client_as(area_officer).get(register_url(school)).content.decode()
    assert "G690000000123" in page
    assert reverse("schools:evidence", args=[school.code, issued.evidence.public_id]) in page

    response = client_as(staff).post(add_url(school), add_data(identifier="g690000000123"))
    assert response.status_code == 302
    learner = Student.objects.get(gcode="G690000000123")
    issued.refresh_from_db()
    assert issued.student == learner
    # The issuance's evidence now belongs to the learner's documents too.
    assert StudentDocument.objects.get(pk=issued.evidence_id).student == learner


def test_a_recorded_g_code_adds_one_learner_only(client_as, staff, school, other_school):
    IssuedGCodeFactory(gcode="G690000000777", school=school)
    client = client_as(staff)
    assert client.post(add_url(school), add_data(identifier="G690000000777")).status_code == 302
    again = client.post(
        add_url(school), add_data(identifier="G690000000777", first_name_th="สมหญิง")
    )
    assert again.status_code == 200
    assert Student.objects.filter(gcode="G690000000777").count() == 1
    assert Enrollment.objects.filter(student__gcode="G690000000777").count() == 1


@pytest.mark.parametrize(
    "persona, status",
    [
        ("area_officer", 200),
        ("staff", 403),
        ("director", 403),
        ("ministry_admin", 403),
        ("other_area_officer", 404),
        ("other_school_staff", 404),
    ],
)
def test_only_the_schools_area_office_records_a_g_code(client_as, request, school, persona, status):
    client = client_as(request.getfixturevalue(persona))
    assert client.get(register_url(school)).status_code == status
    response = record(client, school)
    assert response.status_code == (302 if status == 200 else status)
    assert IssuedGCode.objects.exists() is (status == 200)


def test_recording_needs_the_evidence_and_a_code_not_recorded_yet(client_as, area_officer, school):
    client = client_as(area_officer)
    response = record(client, school, evidence="")
    assert response.status_code == 200 and response.context["form"].errors["evidence"]
    response = record(client, school, gcode="G12")
    assert response.status_code == 200 and response.context["form"].errors["gcode"]
    assert not IssuedGCode.objects.exists()
    assert record(client, school).status_code == 302
    response = record(client, school, gcode="g690000000123")
    assert response.status_code == 200 and response.context["form"].errors["gcode"]
    assert IssuedGCode.objects.count() == 1


def test_the_g_code_request_records_the_code_it_issues_and_skips_a_national_one(
    client_as, staff, area_officer, school, time_machine
):
    time_machine.move_to(
        timezone.make_aware(datetime.combine(date(2026, 11, 10), time(10, 0))), tick=False
    )
    # The national system issued the first code of the year: the request must not issue it again.
    assert record(client_as(area_officer), school, gcode="G690000000001").status_code == 302
    client = client_as(staff)
    client.post(reverse("workflows:gcode_request", args=[school.code]), gcode_data())
    take_and_decide(client, area_officer, GCodeProcess, {"decision": "approved", "comment": ""})
    process = GCodeProcess.objects.get()
    assert process.issued_gcode == "G690000000002"
    issued = IssuedGCode.objects.get(gcode=process.issued_gcode)
    assert issued.source == IssuedGCode.Source.OPENDMC
    assert issued.student == process.student and issued.request_key == process.request_key
    assert not Task.objects.filter(status="NEW", flow_task_type="HUMAN").exists()


def test_learners_who_held_a_g_code_before_are_recorded_and_can_come_back(client_as, staff, school):
    left = EnrollmentFactory(
        school=SchoolFactory(),
        student=StudentFactory(citizen_id=None, gcode="G560000000042"),
        status=EnrollmentStatus.TRANSFERRED_OUT,
        ended_on=date(2026, 5, 1),
    )
    assert IssuedGCode.objects.get(gcode="G560000000042").student == left.student
    response = client_as(staff).post(add_url(school), add_data(identifier="G560000000042"))
    assert response.status_code == 302
    assert Enrollment.objects.get(student=left.student, status="active").school == school


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_schools_adding_the_same_new_g_code_at_once_add_one_learner():
    """The recorded code is locked: the second school finds the learner the first one added."""
    issued = IssuedGCodeFactory(gcode="G690000000999")
    schools = [SchoolFactory(), SchoolFactory()]
    barrier = threading.Barrier(2)
    outcomes = []

    def add(school):
        try:
            barrier.wait(timeout=5)
            student_add(
                school=school, actor=None, gcode=issued.gcode, title="ด.ช.",
                first_name_th="อาทิตย์", last_name_th="-", sex="M", birth_date=date(2018, 3, 1),
                grade=Grade.P2, room=1, started_on=date(2026, 6, 1),
            )  # fmt: skip
            outcomes.append("ok")
        except ValidationError as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=add, args=(s,)) for s in schools]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["active_elsewhere", "ok"]
    assert Student.objects.filter(gcode=issued.gcode).count() == 1


def test_the_roster_links_the_area_officer_to_the_record_of_g_codes(
    client_as, staff, area_officer, school
):
    roster = reverse("schools:roster", args=[school.code])
    assert register_url(school) in client_as(area_officer).get(roster).content.decode()
    assert register_url(school) not in client_as(staff).get(roster).content.decode()
