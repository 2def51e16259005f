"""Evidence documents (menu 2.7.9): the type comes from the bytes, the size is limited, access is scoped."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from schools.models import AuditEntry, StudentDocument

from ..factories import EnrollmentFactory

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, "PNG")
    return buffer.getvalue()


def jpeg_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture
def learner(school):
    return EnrollmentFactory(school=school)


def post(client, learner, data, name):
    url = reverse("schools:evidence_upload", args=[learner.school.code, learner.student.public_id])
    return client.post(
        url,
        {
            "kind": "birth_certificate",
            "description": "สูติบัตร",
            "file": SimpleUploadedFile(name, data),
        },
    )


@pytest.mark.parametrize(
    "data,name,content_type",
    [
        (PDF, "a.pdf", "application/pdf"),
        (None, "b.png", "image/png"),
        (None, "c.jpg", "image/jpeg"),
    ],
)
def test_pdf_png_jpeg_are_accepted(client_as, staff, learner, data, name, content_type):
    data = data or (png_bytes() if name.endswith("png") else jpeg_bytes())
    assert post(client_as(staff), learner, data, name).status_code == 302
    document = StudentDocument.objects.get()
    assert document.content_type == content_type and document.size == len(data)
    assert AuditEntry.objects.filter(
        action=AuditEntry.Action.DOCUMENT, student=learner.student
    ).exists()


def test_renamed_exe_is_refused(client_as, staff, learner):
    exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(200)
    response = post(client_as(staff), learner, exe, "evidence.pdf")
    assert response.status_code == 200
    assert "PDF, JPEG หรือ PNG" in response.content.decode()
    assert not StudentDocument.objects.exists()


def test_image_header_on_garbage_is_refused(client_as, staff, learner):
    response = post(client_as(staff), learner, b"\x89PNG\r\n\x1a\n" + b"garbage" * 10, "x.png")
    assert response.status_code == 200
    assert not StudentDocument.objects.exists()


def test_too_large_is_refused(client_as, staff, learner, settings):
    settings.EVIDENCE_MAX_BYTES = 1024
    response = post(client_as(staff), learner, PDF + b"0" * 2048 + b"%%EOF", "big.pdf")
    assert response.status_code == 200
    assert "ไฟล์ใหญ่เกิน" in response.content.decode()
    assert not StudentDocument.objects.exists()


def test_download_is_scoped(
    client_as, staff, director, area_officer, other_school_staff, other_area_officer, learner
):
    post(client_as(staff), learner, PDF, "a.pdf")
    document = StudentDocument.objects.get()
    url = reverse("schools:evidence", args=[learner.school.code, document.public_id])
    for user in (staff, director, area_officer):
        response = client_as(user).get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PDF
    for user in (other_school_staff, other_area_officer):
        assert client_as(user).get(url).status_code == 404


def test_director_may_not_upload(client_as, director, learner):
    assert post(client_as(director), learner, PDF, "a.pdf").status_code == 403
