"""An area office's roster file: a school-code column, each row checked against its own school."""

import pytest
from django.urls import reverse

from census.models import SchoolRound
from census.services import academic_year_create
from schools.models import Enrollment, Grade, RosterImport, Student

from ..factories import SchoolFactory, make_citizen_id
from .test_roster_import import csv_bytes, line
from .test_roster_pages import upload as school_upload


def upload(client, area, data):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        reverse("schools:area_roster_import", args=[area.code]),
        {"file": SimpleUploadedFile("area.csv", data)},
    )


@pytest.fixture
def primary(area):
    return SchoolFactory(area_office=area, lowest_grade=Grade.K1, highest_grade=Grade.P6)


def test_each_row_goes_to_its_school_and_its_grades(
    client_as, area_officer, area, school, primary, other_school, django_capture_on_commit_callbacks
):
    ids = [make_citizen_id() for _ in range(5)]
    rows = [
        line(ids[0], code=school.code, grade="ม.1"),
        line(ids[1], code=primary.code, grade="ป.2"),
        line(ids[2], code=primary.code, grade="ม.1"),  # a primary school has no ม.1
        line(ids[3], code=other_school.code),  # another area's school
        line(ids[4]),  # no school code
    ]
    client = client_as(area_officer)
    detail = upload(client, area, csv_bytes(rows))["Location"]
    roster_import = RosterImport.objects.get()
    assert roster_import.counts["new"] == 2 and roster_import.counts["refused"] == 3
    refused = client.get(detail + "?kind=refused").content.decode()
    assert "ไม่มีชั้น ม.1" in refused
    assert f"โรงเรียนรหัส {other_school.code} ไม่อยู่ในความดูแลของท่าน" in refused
    assert "ไม่มีรหัสโรงเรียน" in refused
    with django_capture_on_commit_callbacks(execute=True):
        client.post(detail)
    assert RosterImport.objects.get().status == RosterImport.Status.DONE
    placed = dict(Enrollment.objects.values_list("student__citizen_id", "school"))
    assert placed == {ids[0]: school.pk, ids[1]: primary.pk}


def test_a_locked_schools_rows_are_refused_and_the_rest_saved(
    client_as, area_officer, area, school, primary, django_capture_on_commit_callbacks
):
    ids = [make_citizen_id() for _ in range(2)]
    client = client_as(area_officer)
    detail = upload(
        client,
        area,
        csv_bytes([line(ids[0], code=school.code), line(ids[1], code=primary.code)]),
    )["Location"]
    round2 = academic_year_create(year_be=2569, actor=None).rounds.get(number=2)
    SchoolRound.objects.create(round=round2, school=school, state=SchoolRound.State.CONFIRMED)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(detail)
    roster_import = RosterImport.objects.get()
    assert roster_import.outcome["enrolled"] == 1 and roster_import.outcome["refused"] == 1
    assert list(Student.objects.values_list("citizen_id", flat=True)) == [ids[1]]


def test_the_area_template_lists_its_schools(client_as, area_officer, area, school, primary):
    import io

    import openpyxl

    response = client_as(area_officer).get(
        reverse("schools:area_roster_import_template_xlsx", args=[area.code])
    )
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    codes = [row[0].value for row in book.worksheets[1].iter_rows(min_row=2)]
    assert codes == sorted([school.code, primary.code])


@pytest.mark.parametrize("persona", ["staff", "other_area_officer", "director"])
def test_only_the_areas_officers_reach_its_roster_file(
    request, client_as, area_officer, area, school, persona
):
    mine = upload(client_as(area_officer), area, csv_bytes([line(make_citizen_id())]))["Location"]
    client = client_as(request.getfixturevalue(persona))
    for url in (
        reverse("schools:area_roster_import", args=[area.code]),
        reverse("schools:area_roster_import_template_csv", args=[area.code]),
        mine,
    ):
        assert client.get(url).status_code == 404
        assert client.post(url).status_code == 404
    # A school's file is not reached through the area's address, nor the area's through a school's.
    school_file = school_upload(
        client_as(area_officer), school, csv_bytes([line(make_citizen_id())])
    )
    public_id = school_file["Location"].rstrip("/").rsplit("/", 1)[1]
    area_url = reverse("schools:area_roster_import_detail", args=[area.code, public_id])
    assert client_as(area_officer).get(area_url).status_code == 404


def test_the_home_page_links_an_area_officers_file_only(client_as, area_officer, staff, area):
    link = reverse("schools:area_roster_import", args=[area.code])
    assert f'href="{link}"' in client_as(area_officer).get("/").content.decode()
    assert "/roster-file/" not in client_as(staff).get("/").content.decode()
