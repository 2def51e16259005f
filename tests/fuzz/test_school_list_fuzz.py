"""Hostile school-list files (import_schools and the ministry's page): a row is refused with its
line and reason or the file is refused whole, never a server error; whatever is applied plans
nothing the second time. Every example runs in a savepoint that is rolled back."""

import csv
import io

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from openpyxl.utils.exceptions import IllegalCharacterError

from schools.models import AreaOffice, RegisterChange, School
from schools.register import HEADER, register_apply, register_plan

from .strategies import examples, hostile_text

COLUMNS = list(HEADER)
GOOD = {
    "area_code": st.sampled_from(["90000001", "90000002", "9000001", "900000011", "๙๐๐๐๐๐๐๑"]),
    "school_code": st.sampled_from(["", "1000000001", "1000000002", "100000000", "10000000011"]),
    "name_th": st.sampled_from(["โรงเรียนทดสอบ", "", "ก" * 201]),
    "area_kind": st.sampled_from(["สพป.", "secondary", "", "primary"]),
    "province": st.sampled_from(["เชียงใหม่", ""]),
    "lowest_grade": st.sampled_from(["อ.1", "ป.1", "M1", "04P1", ""]),
    "highest_grade": st.sampled_from(["ป.6", "ม.6", "K1", ""]),
    "size": st.sampled_from(["เล็ก", "extra large", "", "huge"]),
    "status": st.sampled_from(["เปิด", "ปิด", "ควบรวม", "merged", ""]),
    "closed_on": st.sampled_from(["", "1/5/2569", "2026-02-30", "31/12/9999"]),
    "merged_into": st.sampled_from(["", "1000000001", "1000000002", "1234"]),
}


@st.composite
def table(draw) -> list[list]:
    rows = [[HEADER[c] for c in COLUMNS]]
    for _ in range(draw(st.integers(0, 8))):
        rows.append(
            [
                draw(st.one_of(GOOD[c], hostile_text) if c in GOOD else hostile_text)
                if draw(st.integers(0, 3))
                else draw(hostile_text)
                for c in COLUMNS
            ]
        )
    return rows


def as_csv(rows, encoding) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode(encoding, errors="replace")


def as_xlsx(rows) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    try:
        for row in rows:
            sheet.append([v[:32767] for v in row])
    except IllegalCharacterError:
        assume(False)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


files = st.one_of(
    st.builds(as_csv, table(), st.sampled_from(["utf-8", "utf-8-sig", "cp874"])).map(
        lambda data: (data, "list.csv")
    ),
    table().map(lambda rows: (as_xlsx(rows), "list.xlsx")),
    st.binary(max_size=2048).map(lambda data: (data, "list.csv")),
    st.binary(max_size=2048).map(lambda data: (b"PK\x03\x04" + data, "list.xlsx")),
)


@pytest.mark.django_db
@given(file=files)
@settings(max_examples=examples(60))
def test_a_hostile_school_list_is_refused_or_applied_then_has_nothing_to_do(file):
    data, name = file
    with transaction.atomic():
        try:
            plan = register_apply(data=data, filename=name, actor=None)
        except ValidationError as refused:
            assert refused.messages and all(refused.messages)
            assert not School.objects.exists() and not AreaOffice.objects.exists()
        else:
            assert all(r.line >= 2 and r.message for r in plan.refused)
            written = RegisterChange.objects.count()
            assert written == len(plan.changes)
            assert all(
                len(c) == 10 and c.isdigit() for c in School.objects.values_list("code", flat=True)
            )
            assert register_plan(data=data, filename=name).nothing_to_do
        transaction.set_rollback(True)


@pytest.mark.django_db
@given(file=files)
@settings(max_examples=examples(20))
def test_a_hostile_school_list_never_breaks_the_ministrys_page(client, ministry_admin, file):
    data, name = file
    client.force_login(ministry_admin)
    with transaction.atomic():
        response = client.post(
            reverse("schools:school_list"), {"file": SimpleUploadedFile(name, data)}
        )
        assert response.status_code in (200, 302)
        if response.status_code == 200:
            assert response.context["form"].errors
        else:
            preview = client.get(response["Location"])
            assert preview.status_code == 200
            apply = client.post(response["Location"] + "apply/")
            assert apply.status_code == 302
        transaction.set_rollback(True)
