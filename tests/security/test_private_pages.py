"""Pages and downloads with personal data are never kept by a browser or a proxy; the error pages say
what happened in the user's language, without a technical detail."""

import re
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError, connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from viewflow.workflow.models import Task

from documents.models import SignedDocument
from schools.models import Grade, StudentDocument
from workflows.models import DropoutProcess, GCodeProcess, IdCorrectionProcess

from ..factories import EnrollmentFactory, make_citizen_id

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf():
    return SimpleUploadedFile("evidence.pdf", PDF, content_type="application/pdf")


def take(client, user, model):
    """Take the request's waiting task as the user; return its decision page."""
    client.force_login(user)
    task = Task.objects.get(
        process__in=model.objects.values("pk"), flow_task_type="HUMAN", status="NEW"
    )
    return client.post(reverse("workflows:take", args=[task.pk]))["Location"]


@pytest.fixture
def requests_made(
    client, school, staff, area_officer, id_approver, mailoutbox, django_capture_on_commit_callbacks
):
    """A learner with evidence; a dropout approved (its signed record), a G-code request and an
    ID correction waiting. Return the pages that show them, with who opens each."""
    learner = EnrollmentFactory(school=school, grade=Grade.P3)
    other = EnrollmentFactory(school=school, grade=Grade.P3)
    code, public_id = school.code, learner.student.public_id
    client.force_login(staff)
    client.post(
        reverse("schools:evidence_upload", args=[code, public_id]),
        {"kind": "birth_certificate", "description": "สูติบัตร", "file": pdf()},
    )
    client.post(
        reverse("workflows:dropout_request", args=[code, public_id]),
        {
            "kind": "dropped_out",
            "reason": "family_moved",
            "reason_note": "",
            "effective_on": timezone.localdate().isoformat(),
            "evidence": [pdf()],
        },
    )
    client.post(
        reverse("workflows:gcode_request", args=[code]),
        {
            "title": "ด.ช.", "first_name_th": "อาทิตย์", "last_name_th": "ไม่มีนามสกุล", "sex": "M",
            "birth_date": "2018-03-01", "nationality": "ไม่ปรากฏสัญชาติ", "guardian_name": "นางคำ แสงดี",
            "guardian_relation": "มารดา", "address": "บ้านห้วยน้ำ อ.แม่ริม", "grade": Grade.P2, "room": "1",
            "evidence": [pdf()],
        },
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("workflows:id_correction_request", args=[code, other.student.public_id]),
            {"new_citizen_id": make_citizen_id(), "evidence": [pdf()]},
        )
    dropout = DropoutProcess.objects.get()
    client.post(take(client, area_officer, DropoutProcess), {"decision": "approved", "comment": ""})
    record = SignedDocument.objects.get()
    evidence = StudentDocument.objects.filter(request_key="").get()
    request_evidence = StudentDocument.objects.get(request_key=dropout.request_key)
    id_link = re.search(r"http://\S+(/workflows/id-link/\S+/)", mailoutbox[-1].body).group(1)
    assert IdCorrectionProcess.objects.exists()
    return [
        (staff, reverse("schools:roster", args=[code])),
        (staff, reverse("schools:export", args=[code])),
        (staff, reverse("schools:student", args=[code, public_id])),
        (staff, reverse("schools:evidence", args=[code, evidence.public_id])),
        (staff, reverse("documents:school_list", args=[code])),
        (staff, reverse("documents:download", args=[record.public_id])),
        (staff, reverse("workflows:school_requests", args=[code])),
        (staff, reverse("workflows:request", args=["dropout", dropout.pk])),
        (
            staff,
            reverse(
                "workflows:request_evidence",
                args=["dropout", dropout.pk, request_evidence.public_id],
            ),
        ),
        (area_officer, reverse("workflows:inbox")),
        (area_officer, take(client, area_officer, GCodeProcess)),
        (area_officer, reverse("dropout:process_detail", args=[dropout.pk])),
        (id_approver, id_link),
    ]


def test_pages_and_downloads_with_personal_data_are_never_stored(requests_made):
    kept = []
    for user, url in requests_made:
        client = Client()
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200, url
        directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
        if not {"private", "no-store"} <= directives:
            kept.append(f"{url}: {response.get('Cache-Control')!r}")
    assert not kept, "\n".join(kept)


# --- error pages --------------------------------------------------------------------------------


def test_the_verify_page_of_an_unknown_record_is_a_plain_404_in_the_users_language(client, db):
    url = reverse("documents:verify", args=[uuid.uuid4()])
    response = client.get(url)
    assert response.status_code == 404
    page = response.content.decode()
    assert "ไม่พบหน้าที่ต้องการ" in page and "หน้านี้อาจถูกลบไปแล้ว" in page
    assert "Page not found" not in page and "SignedDocument" not in page

    client.cookies["django_language"] = "en"
    page = client.get(url).content.decode()
    assert "Page not found" in page and "It may have been removed" in page
    assert "ไม่พบหน้าที่ต้องการ" not in page


def test_a_server_error_shows_a_plain_page_in_thai_and_english(db):
    def database_gone(execute, sql, params, many, context):
        raise OperationalError("could not connect to server db-7.internal: secret detail")

    client = Client(raise_request_exception=False)
    with connection.execute_wrapper(database_gone):
        response = client.get(reverse("documents:verify", args=[uuid.uuid4()]))
    assert response.status_code == 500
    page = response.content.decode()
    assert "ขออภัย ระบบขัดข้อง" in page and "Sorry, something went wrong." in page
    for detail in ("db-7.internal", "secret detail", "OperationalError", "Traceback"):
        assert detail not in page
