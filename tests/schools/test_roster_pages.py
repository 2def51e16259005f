"""The roster file's pages: template, upload, preview, apply in Celery; who may use them."""

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from census.models import SchoolRound
from census.services import academic_year_create
from schools.models import AuditEntry, Enrollment, Grade, RosterImport, Student

from ..factories import EnrollmentFactory, StudentFactory, make_citizen_id
from .test_roster_import import csv_bytes, line


def upload(client, school, data, name="roster.csv"):
    return client.post(
        reverse("schools:roster_import", args=[school.code]),
        {"file": SimpleUploadedFile(name, data)},
    )


@pytest.fixture
def file_rows(school, other_school):
    here = EnrollmentFactory(school=school, student=StudentFactory(first_name_th="สมชาย"))
    elsewhere = EnrollmentFactory(school=other_school)
    return [
        line(make_citizen_id(), first="ใหม่"),
        line(here.student.citizen_id, room="3", last=here.student.last_name_th),
        line(
            elsewhere.student.citizen_id,
            first=elsewhere.student.first_name_th,
            last=elsewhere.student.last_name_th,
        ),  # fmt: skip
        line("123"),
    ]


def test_staff_download_the_templates_with_the_schools_grades(client_as, staff, school):
    school.lowest_grade, school.highest_grade = Grade.K1, Grade.P6
    school.save()
    client = client_as(staff)
    csv = client.get(reverse("schools:roster_import_template_csv", args=[school.code]))
    assert csv.status_code == 200
    assert csv.content.decode("utf-8-sig").startswith("รหัสโรงเรียน,เลขประจำตัวประชาชนหรือรหัส G")
    xlsx = client.get(reverse("schools:roster_import_template_xlsx", args=[school.code]))
    book = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    learners, schools = book.worksheets
    assert learners["B1"].value == "เลขประจำตัวประชาชนหรือรหัส G"
    assert [c.value for c in schools[2]] == [school.code, school.name_th, "อ.1–ป.6"]
    grade_list = learners.data_validations.dataValidation[0].formula1
    assert "ป.6" in grade_list and "ม.1" not in grade_list


def test_upload_shows_the_preview_and_saves_nothing(client_as, staff, school, file_rows):
    students = Student.objects.count()
    response = upload(client_as(staff), school, csv_bytes(file_rows))
    assert response.status_code == 302
    roster_import = RosterImport.objects.get()
    assert roster_import.status == RosterImport.Status.PREVIEWED
    assert roster_import.counts == {
        "new": 1, "unchanged": 0, "changes": 1, "elsewhere": 1, "refused": 1
    }  # fmt: skip
    page = client_as(staff).get(response["Location"]).content.decode()
    assert "นักเรียนใหม่ (1)" in page and "ไม่รับ (1)" in page
    changes = client_as(staff).get(response["Location"] + "?kind=changes").content.decode()
    assert "ห้อง: 1 → 3" in changes
    refused = client_as(staff).get(response["Location"] + "?kind=refused").content.decode()
    assert "ต้องมี 13 หลัก" in refused and ">5<" in refused  # the reason, on the file's line 5
    assert Student.objects.count() == students


def test_apply_runs_in_celery_and_saves_the_accepted_rows(
    client_as, staff, school, file_rows, django_capture_on_commit_callbacks
):
    client = client_as(staff)
    detail = upload(client, school, csv_bytes(file_rows))["Location"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(detail)
    assert response.status_code == 302
    roster_import = RosterImport.objects.get()
    assert roster_import.status == RosterImport.Status.DONE
    assert roster_import.outcome["enrolled"] == 1 and roster_import.outcome["changed"] == 1
    assert Enrollment.objects.filter(school=school, room=3).count() == 1
    assert AuditEntry.objects.filter(actor=staff, action=AuditEntry.Action.ENROLL).count() == 1
    page = client.get(detail).content.decode()
    assert "บันทึกแล้ว" in page and "ลงทะเบียน 1 คน" in page
    # A second request to apply the same file is refused, and nothing more is saved.
    audit = AuditEntry.objects.count()
    page = client.post(detail, follow=True).content.decode()
    assert "ไฟล์นี้บันทึกหรือถูกปฏิเสธไปแล้ว" in page
    assert AuditEntry.objects.count() == audit


def test_apply_is_refused_while_the_roster_waits_for_the_director(
    client_as, staff, school, file_rows, django_capture_on_commit_callbacks
):
    client = client_as(staff)
    detail = upload(client, school, csv_bytes(file_rows))["Location"]
    round2 = academic_year_create(year_be=2569, actor=None).rounds.get(number=2)
    SchoolRound.objects.create(round=round2, school=school, state=SchoolRound.State.CONFIRMED)
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(detail, follow=True).content.decode()
    assert "รอผู้อำนวยการ" in page
    assert RosterImport.objects.get().status == RosterImport.Status.PREVIEWED
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"PK\x03\x04broken zip", "r.xlsx", "อ่านไฟล์ Excel ไม่ได้"),
        ("ชื่อ,นามสกุล\nก,ข\n".encode("cp874"), "r.csv", "ไม่พบหัวตาราง"),
        (b"\xff\xfe\x00\x00garbage\x00", "r.csv", "อ่านไฟล์ไม่ได้"),
    ],
)
def test_a_damaged_file_is_refused_with_its_reason(client_as, staff, school, data, name, message):
    response = upload(client_as(staff), school, data, name)
    assert response.status_code == 302
    assert RosterImport.objects.get().status == RosterImport.Status.REJECTED
    page = client_as(staff).get(response["Location"]).content.decode()
    assert message in page


def test_a_file_over_the_size_limit_is_refused_on_the_form(client_as, staff, school, settings):
    settings.ROSTER_IMPORT_MAX_BYTES = 1024
    response = upload(client_as(staff), school, csv_bytes([line(make_citizen_id())] * 20))
    assert response.status_code == 200
    assert "ไฟล์ใหญ่เกิน" in response.content.decode()
    assert not RosterImport.objects.exists()


def test_the_area_officer_of_the_school_may_load_its_roster(client_as, area_officer, school):
    response = upload(client_as(area_officer), school, csv_bytes([line(make_citizen_id())]))
    assert response.status_code == 302
    assert RosterImport.objects.get().uploaded_by == area_officer


@pytest.mark.parametrize(
    ("persona", "status"),
    [("other_school_staff", 404), ("other_area_officer", 404), ("director", 403)],
)
def test_others_may_not_load_or_see_the_schools_roster_file(
    request, client_as, staff, school, persona, status
):
    mine = upload(client_as(staff), school, csv_bytes([line(make_citizen_id())]))["Location"]
    client = client_as(request.getfixturevalue(persona))
    for url in (
        reverse("schools:roster_import", args=[school.code]),
        reverse("schools:roster_import_template_csv", args=[school.code]),
        mine,
    ):
        assert client.get(url).status_code == status
        assert client.post(url).status_code == status
    assert RosterImport.objects.get().status == RosterImport.Status.PREVIEWED


def test_the_preview_costs_the_same_queries_for_10_and_120_rows(
    client_as, staff, school, django_assert_num_queries
):
    client = client_as(staff)
    for size in (10, 120):
        rows = [line(make_citizen_id()) for _ in range(size)]
        detail = upload(client, school, csv_bytes(rows))["Location"]
        client.get(detail)  # the session and the permissions, as on any page
        # Session, user, the school, the permissions to see it and to load its roster (4), the
        # file (its preview kept with it), the menu's roles and areas (2): none per row.
        with django_assert_num_queries(10):
            page = client.get(detail + "?kind=new&page=2").content.decode()
        assert page.count('<td class="num">') == min(size, 50)
