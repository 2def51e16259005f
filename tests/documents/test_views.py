import hashlib
import uuid

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from documents.models import Kind, SignedDocument
from documents.services import document_issue
from schools.identifiers import format_citizen_id, mask_citizen_id

from ..factories import StudentFactory
from .conftest import summary_context


def stored_document(signed_pdf, *, school=None, area_office=None, parent=None, **fields):
    """Store a signed PDF as a record without rendering it again (fast)."""
    now = timezone.now()
    document = SignedDocument(
        step_key=fields.pop("step_key", str(uuid.uuid4())),
        kind=fields.pop("kind", Kind.CERTIFICATION),
        title="บันทึกการรับรองข้อมูลนักเรียน",
        school=school,
        area_office=area_office,
        parent=parent,
        actor_name="นายสมชาย ใจดี",
        actor_role="ผู้อำนวยการโรงเรียนบ้านทดสอบ",
        created_at=now,
        signed_at=now,
        sha256=hashlib.sha256(signed_pdf).hexdigest(),
        size=len(signed_pdf),
        pages=1,
        **fields,
    )
    document.file.save(f"{document.public_id}.pdf", ContentFile(signed_pdf), save=False)
    document.save()
    return document


def verify_url(document):
    return reverse("documents:verify", args=[document.public_id])


def download_url(document):
    return reverse("documents:download", args=[document.public_id])


# --- the public verification page -------------------------------------------------------------


def test_verify_page_shows_the_record_to_anyone_without_learner_data(client, school, director):
    student = StudentFactory(first_name_th="พิมพ์ชนก", last_name_th="ทองดี")
    context = summary_context(cid=format_citizen_id(student.citizen_id))
    context["facts"].append(("นักเรียน", student.full_name_th))
    document = document_issue(
        step_key="dropout:7:approve",
        kind=Kind.DROPOUT_DECISION,
        template="documents/summary_record.html",
        context=context,
        school=school,
        actor=director,
        actor_role="ผู้อำนวยการโรงเรียนบ้านทดสอบ",
        title="ผลการพิจารณาจำหน่ายนักเรียน",
        subject=student,
    )
    response = client.get(verify_url(document))
    assert response.status_code == 200
    page = response.content.decode()
    assert "ผลการพิจารณาจำหน่ายนักเรียน" in page and "Dropout decision" not in page
    assert "โรงเรียนบ้านทดสอบ" in page
    assert director.display_name in page and "ผู้อำนวยการโรงเรียนบ้านทดสอบ" in page
    assert f"{timezone.localdate().year + 543}" in page
    assert "✔ ถูกต้อง" in page and "Valid" not in page
    assert document.sha256 in page
    for private in (
        student.citizen_id,
        format_citizen_id(student.citizen_id),
        mask_citizen_id(student.citizen_id),
        student.first_name_th,
        student.last_name_th,
    ):
        assert private not in page


def test_verify_page_says_when_the_stored_file_was_altered(client, school, signed_pdf):
    document = stored_document(signed_pdf, school=school)
    storage, name = document.file.storage, document.file.name
    storage.delete(name)
    storage.save(name, ContentFile(signed_pdf.replace(b"/Lang", b"/Lanf", 1)))
    page = client.get(verify_url(document)).content.decode()
    assert "✘ ไม่ถูกต้อง" in page
    assert "ไฟล์ที่จัดเก็บไม่ตรงกับที่ลงนาม" in page


def test_verify_page_of_an_unknown_record_is_404(client, db):
    assert client.get(reverse("documents:verify", args=[uuid.uuid4()])).status_code == 404


# --- download ---------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["staff", "director", "area_officer", "ministry_admin"])
def test_download_for_those_who_may_see_the_school(request, client_as, school, signed_pdf, persona):
    document = stored_document(signed_pdf, school=school)
    response = client_as(request.getfixturevalue(persona)).get(download_url(document))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert b"".join(response.streaming_content) == signed_pdf


@pytest.mark.parametrize("persona", ["other_school_staff", "other_area_officer", "id_approver"])
def test_no_download_for_others(request, client_as, school, signed_pdf, persona):
    document = stored_document(signed_pdf, school=school)
    response = client_as(request.getfixturevalue(persona)).get(download_url(document))
    assert response.status_code == 404


def test_download_needs_a_login(client, school, signed_pdf):
    response = client.get(download_url(stored_document(signed_pdf, school=school)))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_area_record_is_for_its_area_officers(client_as, area, staff, area_officer, other_area_officer, signed_pdf):  # fmt: skip
    document = stored_document(signed_pdf, area_office=area, kind=Kind.ALLOCATION_STATEMENT)
    assert client_as(area_officer).get(download_url(document)).status_code == 200
    assert client_as(other_area_officer).get(download_url(document)).status_code == 404
    assert client_as(staff).get(download_url(document)).status_code == 404


def test_pending_annex_cannot_be_downloaded(client_as, school, staff, signed_pdf):
    parent = stored_document(signed_pdf, school=school)
    annex = SignedDocument.objects.create(
        step_key="annex", kind=Kind.ROSTER_ANNEX, title="x", school=school, parent=parent,
        actor_name="x", actor_role="x", status=SignedDocument.Status.PENDING,
    )  # fmt: skip
    assert client_as(staff).get(download_url(annex)).status_code == 404


# --- the school's documents page --------------------------------------------------------------


def list_url(school):
    return reverse("documents:school_list", args=[school.code])


def test_school_page_lists_its_records_with_annexes(client_as, school, other_school, staff, signed_pdf):  # fmt: skip
    mine = stored_document(signed_pdf, school=school)
    annex = stored_document(signed_pdf, school=school, parent=mine, kind=Kind.ROSTER_ANNEX)
    theirs = stored_document(signed_pdf, school=other_school)
    page = client_as(staff).get(list_url(school)).content.decode()
    assert download_url(mine) in page and download_url(annex) in page
    assert download_url(theirs) not in page
    assert "บันทึกการรับรองข้อมูล" in page
    assert "นายสมชาย ใจดี" in page


def test_school_page_is_404_for_another_school_and_asks_for_a_login(client, client_as, school, other_school_staff):  # fmt: skip
    assert client.get(list_url(school)).status_code == 302
    assert client_as(other_school_staff).get(list_url(school)).status_code == 404


@pytest.mark.parametrize("records", [1, 6])
def test_school_page_query_count_is_fixed(client_as, school, staff, signed_pdf, django_assert_num_queries, records):  # fmt: skip
    client = client_as(staff)
    for _ in range(records):
        parent = stored_document(signed_pdf, school=school)
        stored_document(signed_pdf, school=school, parent=parent, kind=Kind.ROSTER_ANNEX)
    client.get(list_url(school))  # content types, as on any page
    with django_assert_num_queries(10):  # none per record
        response = client.get(list_url(school))
    assert response.content.decode().count(">ดาวน์โหลด<") == 2 * records
