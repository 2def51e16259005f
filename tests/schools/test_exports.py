import io

import openpyxl
from django.urls import reverse

from schools.exports import safe_cell

from ..factories import EnrollmentFactory, StudentFactory


def test_roster_export_has_thai_headers_and_counts(client_as, staff, school):
    EnrollmentFactory(school=school, student=StudentFactory(first_name_th='=HYPERLINK("x")'))
    EnrollmentFactory(school=school)
    response = client_as(staff).get(reverse("schools:export", args=[school.code]))
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    roster, counts = workbook.worksheets
    assert roster["B1"].value == "เลขประจำตัวประชาชน"
    names = [row[4] for row in roster.iter_rows(min_row=2, values_only=True)]
    assert '\'=HYPERLINK("x")' in names  # never a live formula
    assert counts["A1"].value == "ชั้น"
    assert list(counts.iter_rows(min_row=2, values_only=True))[-1] == ("รวม", 1, 2, 0, 2)


def test_safe_cell():
    assert safe_cell("=1+1") == "'=1+1"
    assert safe_cell("+66") == "'+66"
    assert safe_cell("@SUM") == "'@SUM"
    assert safe_cell("สมชาย") == "สมชาย"
    assert safe_cell(5) == 5


def test_export_404_for_outsiders(client_as, other_school_staff, school):
    assert (
        client_as(other_school_staff).get(reverse("schools:export", args=[school.code])).status_code
        == 404
    )
