"""A form sent twice (a double click, a reload after POST, a retried request) acts once."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from census.models import RosterSnapshot
from documents.models import Kind, SignedDocument
from schools.models import AuditEntry, Enrollment, Grade, Student
from workflows.models import DropoutProcess, GCodeProcess, IdCorrectionProcess, TransferProcess

from ..factories import EnrollmentFactory, make_citizen_id
from ..workflows.helpers import at, open_task, step

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf():
    return SimpleUploadedFile("evidence.pdf", PDF, content_type="application/pdf")


@pytest.fixture
def learner(school):
    return EnrollmentFactory(school=school, grade=Grade.P3, started_on=date(2026, 5, 16))


def twice(client, url, data_factory):
    """POST the same form twice (fresh file objects each time, as a browser resends them)."""
    return [client.post(url, data_factory()) for _ in range(2)]


def test_certify_twice_acts_once(client, opened, staff, director, clean_roster, time_machine):
    time_machine.move_to(at(9, 0), tick=False)
    step(client, staff, "prepare")
    step(client, staff, "confirm")
    client.force_login(director)
    url = open_task(client, director, "certify")
    assert client.post(url, {"decision": "certify"}).status_code == 302
    again = client.post(url, {"decision": "certify"}, follow=True)
    assert again.status_code == 200 and "ขั้นตอนนี้ดำเนินการไปแล้ว" in again.content.decode()
    assert RosterSnapshot.objects.count() == 1
    assert SignedDocument.objects.filter(kind=Kind.CERTIFICATION).count() == 1


def test_the_same_dropout_request_twice_starts_one_request(client_as, staff, learner):
    url = reverse(
        "workflows:dropout_request", args=[learner.school.code, learner.student.public_id]
    )
    first, second = twice(
        client_as(staff),
        url,
        lambda: {
            "kind": "dropped_out",
            "reason": "family_moved",
            "reason_note": "",
            "effective_on": timezone.localdate().isoformat(),
            "evidence": [pdf()],
        },
    )
    assert first.status_code == 302
    assert second.status_code in (200, 302)
    assert DropoutProcess.objects.count() == 1


def test_the_same_id_correction_request_twice_starts_one_request(
    client_as, staff, id_approver, learner, mailoutbox, django_capture_on_commit_callbacks
):
    url = reverse(
        "workflows:id_correction_request", args=[learner.school.code, learner.student.public_id]
    )
    new_id = make_citizen_id()
    with django_capture_on_commit_callbacks(execute=True):
        first, second = twice(
            client_as(staff), url, lambda: {"new_citizen_id": new_id, "evidence": [pdf()]}
        )
    assert first.status_code == 302 and second.status_code in (200, 302)
    assert IdCorrectionProcess.objects.count() == 1
    assert len(mailoutbox) == 1


def test_the_email_link_posted_twice_decides_once(
    client, staff, id_approver, learner, mailoutbox, django_capture_on_commit_callbacks
):
    import re

    url = reverse(
        "workflows:id_correction_request", args=[learner.school.code, learner.student.public_id]
    )
    new_id = make_citizen_id()
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"new_citizen_id": new_id, "evidence": [pdf()]})
    link = re.search(r"http://\S+/workflows/id-link/\S+/", mailoutbox[-1].body).group(0)
    client.force_login(id_approver)
    first = client.post(link, {"decision": "approved", "comment": ""})
    second = client.post(link, {"decision": "approved", "comment": ""})
    assert first.status_code == 302 and second.status_code == 403
    assert "ลิงก์ใช้ไม่ได้อีก" in second.content.decode()
    assert first["Location"] in second.content.decode()  # the way to the request and its decision
    assert AuditEntry.objects.filter(action=AuditEntry.Action.ID_CHANGE).count() == 1
    assert SignedDocument.objects.filter(kind=Kind.ID_CORRECTION_DECISION).count() == 1
    learner.student.refresh_from_db()
    assert learner.student.citizen_id == new_id


def test_the_same_transfer_in_twice_starts_one_request(client_as, staff, school, other_school):
    held = EnrollmentFactory(school=other_school)
    url = reverse("workflows:transfer_in", args=[school.code])
    first, second = twice(
        client_as(staff),
        url,
        lambda: {
            "identifier": held.student.citizen_id,
            "grade": Grade.P3,
            "room": "1",
            "evidence": [pdf()],
        },
    )
    assert first.status_code == 302 and second.status_code in (200, 302)
    assert TransferProcess.objects.count() == 1


def test_the_same_gcode_request_twice_starts_one_request(client_as, staff, school):
    url = reverse("workflows:gcode_request", args=[school.code])
    data = {
        "title": "ด.ช.",
        "first_name_th": "อาทิตย์",
        "last_name_th": "ไม่มีนามสกุล",
        "sex": "M",
        "birth_date": "2017-07-01",
        "nationality": "เมียนมา",
        "guardian_name": "นางมาลี",
        "guardian_relation": "มารดา",
        "guardian_phone": "0812345678",
        "address": "เชียงใหม่",
        "grade": Grade.P3,
        "room": "1",
    }
    first, second = twice(client_as(staff), url, lambda: {**data, "evidence": [pdf()]})
    assert first.status_code == 302 and second.status_code in (200, 302)
    assert GCodeProcess.objects.count() == 1


def test_the_same_new_learner_twice_is_added_once(client_as, staff, school):
    url = reverse("schools:add", args=[school.code])
    cid = make_citizen_id()
    first, second = twice(
        client_as(staff),
        url,
        lambda: {
            "identifier": cid,
            "title": "ด.ช.",
            "first_name_th": "ธนกฤต",
            "last_name_th": "ศรีสุข",
            "sex": "M",
            "birth_date": "2017-07-01",
            "nationality": "ไทย",
            "grade": Grade.P3,
            "room": "1",
            "started_on": timezone.localdate().isoformat(),
        },
    )
    assert first.status_code == 302 and second.status_code == 200
    assert second.context["form"].errors
    assert Student.objects.filter(citizen_id=cid).count() == 1
    assert Enrollment.objects.filter(student__citizen_id=cid).count() == 1


def test_the_same_transfer_out_twice_ends_the_enrollment_once(client_as, staff, learner):
    url = reverse("schools:transfer_out", args=[learner.school.code, learner.student.public_id])
    first, second = twice(
        client_as(staff),
        url,
        lambda: {"on": timezone.localdate().isoformat(), "destination_note": "ต่างประเทศ"},
    )
    assert first.status_code == 302 and second.status_code == 404  # no longer enrolled here
    assert AuditEntry.objects.filter(student=learner.student).count() == 1
