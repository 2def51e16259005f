"""Properties of the weight/height upload: whatever bytes arrive, the parser answers with rows
and a message per bad row, or one message for the file; over HTTP, never a server error and
nothing saved from a refused file."""

import csv
import functools
import io
import re
import zipfile
from datetime import timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from hypothesis import example, given, settings
from hypothesis import strategies as st

from schools.models import AuditEntry, Enrollment, Grade, Measurement, MeasurementUpload, Student
from schools.uploads import (
    HEIGHT_RANGE,
    MAX_ROWS,
    WEIGHT_RANGE,
    UploadError,
    parse_measurements,
    read_table,
)

from ..factories import EnrollmentFactory
from ..fuzz.strategies import NASTY, citizen_ids, examples, hostile_text

HEADER = ["เลขประจำตัวประชาชน", "น้ำหนัก (กก.)", "ส่วนสูง (ซม.)", "วันที่ชั่งวัด"]
THAI = re.compile(r"[\u0e00-\u0e7f]")
WATCHED = (Measurement, AuditEntry, Student, Enrollment)


def assert_clear(message: str) -> None:
    """A message in the user's language (Thai here), not Thai and English joined."""
    assert THAI.search(str(message)) and not re.search(r" / [A-Za-z]{3}", str(message)), message


def parse_or_refuse(data: bytes, name: str):
    """Return the parse, or None when the whole file is refused with a clear message."""
    try:
        parsed = parse_measurements(data, name)
    except UploadError as exc:
        assert_clear(exc)
        return None
    for error in parsed.errors:
        assert isinstance(error["line"], int) and error["line"] >= 2
        assert_clear(error["message"])
    return parsed


def csv_of(rows, encoding="utf-8", header=HEADER) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding, errors="replace")


def xlsx_of(rows, header=HEADER) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- the parser, with many random inputs -----------------------------------------------------------


@given(st.binary(max_size=4096), st.sampled_from(["wh.csv", "wh.xlsx", "wh.txt", "WH.XLSM", ""]))
@example(b"", "wh.csv")
@example(b"\xef\xbb\xbf", "wh.csv")
@example(b"PK\x03\x04not a zip", "wh.xlsx")
@example(b"PK\x03\x04not a zip", "wh.csv")
@example(bytes(range(128, 256)), "wh.csv")
@example(b"\x00" * 100, "wh.csv")
def test_random_bytes_give_rows_or_a_clear_refusal(data, name):
    parse_or_refuse(data, name)


@given(st.binary(max_size=4096))
def test_random_bytes_after_a_real_header_give_rows_or_a_clear_refusal(tail):
    parse_or_refuse(",".join(HEADER).encode() + b"\n" + tail, "wh.csv")


cell = st.one_of(hostile_text, st.sampled_from(["25", "25,5", "๒๕", "1/6/2569", "=1+1"]))


@given(
    st.lists(st.lists(cell, min_size=0, max_size=6), max_size=15),
    st.sampled_from(["utf-8", "utf-8-sig", "cp874", "utf-16", "latin-1"]),
)
def test_hostile_cells_give_one_answer_per_row(rows, encoding):
    parsed = parse_or_refuse(csv_of(rows, encoding), "wh.csv")
    if parsed is None:
        return
    lines = {r.line for r in parsed.rows} | {e["line"] for e in parsed.errors}
    for row in parsed.rows:
        assert WEIGHT_RANGE[0] <= row.weight_kg <= WEIGHT_RANGE[1]
        assert HEIGHT_RANGE[0] <= row.height_cm <= HEIGHT_RANGE[1]
    # No row is silently dropped: every row with something in the four columns is answered,
    # unless it repeats an earlier accepted row exactly (kept once).
    if (
        encoding not in ("utf-8", "utf-8-sig")
        or len(read_table(csv_of(rows), "wh.csv")) != len(rows) + 1
    ):
        return  # the sniffer read the hostile text with another delimiter: checked above only
    seen = set()
    for offset, row in enumerate(rows):
        key = tuple(str(c).strip() for c in (row + [""] * 4)[:4])
        if any(key) and offset + 2 not in lines:
            assert key in seen, (offset, row)
        seen.add(key)


@st.composite
def good_rows(draw):
    today = timezone.localdate()
    cid = draw(citizen_ids())
    weight = Decimal(draw(st.integers(10, 2000))) / 10
    height = Decimal(draw(st.integers(300, 2500))) / 10
    day = today - timedelta(days=draw(st.integers(0, 365)))
    written = draw(
        st.sampled_from(
            [
                day.isoformat(),
                f"{day.day}/{day.month}/{day.year + 543}",
                f"{day.day:02d}/{day.month:02d}/{day.year}",
                f"{day.day}-{day.month}-{day.year + 543}",
            ]
        )
    )
    typed_id = draw(
        st.sampled_from([cid, f"{cid[0]}-{cid[1:5]}-{cid[5:10]}-{cid[10:12]}-{cid[12]}"])
    )
    return (cid, weight, height, day), (typed_id, str(weight), str(height), written)


@given(st.lists(good_rows(), min_size=1, max_size=20, unique_by=lambda r: r[0][0]))
def test_valid_rows_round_trip_through_csv(rows):
    parsed = parse_or_refuse(csv_of([typed for _, typed in rows]), "wh.csv")
    assert parsed is not None and not parsed.errors
    got = [(r.identifier, r.weight_kg, r.height_cm, r.measured_on) for r in parsed.rows]
    assert got == [expected for expected, _ in rows]


@given(st.lists(good_rows(), min_size=1, max_size=10, unique_by=lambda r: r[0][0]))
@settings(max_examples=examples(20))
def test_valid_rows_round_trip_through_xlsx(rows):
    data = xlsx_of([[cid, float(w), float(h), d] for (cid, w, h, d), _ in rows])
    parsed = parse_or_refuse(data, "wh.xlsx")
    assert parsed is not None and not parsed.errors, parsed and parsed.errors
    assert [r.identifier for r in parsed.rows] == [cid for (cid, *_), _ in rows]


@functools.cache
def three_row_xlsx() -> bytes:
    # Made once: a workbook written a second later differs (its timestamps), and Hypothesis needs
    # every example to draw from the same bytes.
    return xlsx_of([["1101700203450", 25, 120, "1/6/2569"]] * 3)


@given(st.data())
@settings(max_examples=examples(40))
def test_damaged_xlsx_gives_rows_or_a_clear_refusal(data):
    original = bytearray(three_row_xlsx())
    for _ in range(data.draw(st.integers(1, 20))):
        position = data.draw(st.integers(0, len(original) - 1))
        original[position] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(4, len(original)))
    parse_or_refuse(bytes(original[:cut]), "wh.xlsx")


def _zip_replacing(data: bytes, name: str, content: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            body = content if info.filename == name else source.read(info.filename)
            target.writestr(info.filename, body)
    return out.getvalue()


@pytest.mark.parametrize(
    "sheet_xml",
    [
        b"<worksheet",  # truncated XML
        b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<sheetData><row r="1"><c r="A1" t="n"><v>abc</v></c></row></sheetData></worksheet>',
        b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<sheetData><row r="1"><c r="ZZZZZZ1" t="d"><v>x</v></c></row></sheetData></worksheet>',
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        b'<row r="1"><c r="A1" t="inlineStr"><is><t>&b;</t></is></c></row></sheetData></worksheet>',
    ],
)
def test_xlsx_with_a_damaged_sheet_is_refused_clearly(sheet_xml):
    data = _zip_replacing(
        xlsx_of([["1101700203450", 25, 120, "1/6/2569"]]), "xl/worksheets/sheet1.xml", sheet_xml
    )
    assert parse_or_refuse(data, "wh.xlsx") is None


def test_xlsx_zip_bomb_is_refused_before_unpacking():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        with target.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(210):
                member.write(chunk)
    data = out.getvalue()
    assert len(data) < 1024 * 1024  # a small upload that would unpack to 210 MB
    with pytest.raises(UploadError) as exc:
        parse_measurements(data, "bomb.xlsx")
    assert_clear(exc.value)
    assert "MB" in str(exc.value)


def test_a_cell_over_the_csv_field_limit_is_refused_clearly():
    data = csv_of([["1101700203450", "9" * 200_000, "120", "1/6/2569"]])
    assert parse_or_refuse(data, "wh.csv") is None


def test_formulas_are_data_not_commands():
    rows = [
        ["=cmd|' /C calc'!A0", "=1+24", "@SUM(1)", "+1/6/2569"],
        ["-2+3", "25", "120", "=TODAY()"],
    ]
    parsed = parse_or_refuse(csv_of(rows), "wh.csv")
    assert parsed is not None and not parsed.rows
    assert {e["line"] for e in parsed.errors} == {2, 3}


def test_a_header_without_rows_is_refused_clearly():
    assert parse_or_refuse(csv_of([]), "wh.csv") is None
    assert parse_or_refuse(xlsx_of([]), "wh.xlsx") is None


def test_one_hundred_thousand_rows_are_refused_as_a_whole():
    row = "1101700203450,25,120,1/6/2569\n"
    data = (",".join(HEADER) + "\n" + row * 100_000).encode()
    with pytest.raises(UploadError) as exc:
        parse_measurements(data, "big.csv")
    assert str(MAX_ROWS) in str(exc.value)
    assert_clear(exc.value)


# --- over HTTP, as the school's staff --------------------------------------------------------------


def counts():
    return {m.__name__: m.objects.count() for m in WATCHED}


def post_file(client, school, data, name):
    return client.post(
        reverse("schools:upload", args=[school.code]), {"file": SimpleUploadedFile(name, data)}
    )


def assert_answered_without_saving(client, school, response, before):
    assert response.status_code in (200, 302), response.status_code
    if response.status_code == 200:
        assert response.context["form"].errors
    else:
        upload = MeasurementUpload.objects.order_by("-pk").first()
        assert upload.status in (MeasurementUpload.Status.REJECTED, MeasurementUpload.Status.QUEUED)
        if upload.status == MeasurementUpload.Status.REJECTED:
            assert upload.errors
            for error in upload.errors:
                assert_clear(error["message"])
        page = client.get(response["Location"])
        assert page.status_code == 200
    assert counts() == before


@pytest.fixture
def enrolled(school):
    return [EnrollmentFactory(school=school, grade=Grade.P3, room=1) for _ in range(2)]


@given(
    st.one_of(
        st.binary(max_size=2048),
        st.lists(st.lists(st.sampled_from(NASTY[:20]), min_size=4, max_size=4), max_size=5).map(
            csv_of
        ),
    ),
    st.sampled_from(["wh.csv", "wh.xlsx", "ข้อมูล น้ำหนัก.csv", "a" * 300 + ".csv", "..\\..\\x.csv"]),
)
@settings(max_examples=examples(25))
def test_http_upload_of_hostile_files(client_as, staff, school, enrolled, data, name):
    client = client_as(staff)
    with transaction.atomic():
        before = counts()
        response = post_file(client, school, data, name)
        assert_answered_without_saving(client, school, response, before)
        transaction.set_rollback(True)


def test_http_upload_with_one_bad_row_saves_none(client_as, staff, school, enrolled):
    client = client_as(staff)
    today = timezone.localdate().isoformat()
    rows = [[e.student.citizen_id, "25", "120", today] for e in enrolled]
    rows.append(["=cmd|' /C calc'!A0", "25", "120", today])
    before = counts()
    response = post_file(client, school, csv_of(rows), "wh.csv")
    assert_answered_without_saving(client, school, response, before)
    assert MeasurementUpload.objects.get().errors == [
        {"line": 4, "message": MeasurementUpload.objects.get().errors[0]["message"]}
    ]


def test_http_upload_of_one_hundred_thousand_rows(
    client_as, staff, school, enrolled, django_capture_on_commit_callbacks
):
    client = client_as(staff)
    row = f"{enrolled[0].student.citizen_id},25,120,{timezone.localdate().isoformat()}\n"
    data = (",".join(HEADER) + "\n" + row * 100_000).encode()
    before = counts()
    with django_capture_on_commit_callbacks(execute=True):
        response = post_file(client, school, data, "big.csv")
    assert response.status_code == 302
    upload = MeasurementUpload.objects.get()
    assert upload.status == MeasurementUpload.Status.REJECTED
    assert "20000" in upload.errors[0]["message"]
    assert counts() == before


@pytest.mark.parametrize(
    "data,name",
    [
        (b"", "empty.csv"),
        (b"PK\x03\x04" + b"\x00" * 64, "fake.xlsx"),
        (csv_of([["1101700203450", "9" * 200_000, "120", "1/6/2569"]]), "huge-cell.csv"),
        (csv_of([]), "header-only.csv"),
        ("เลขประจำตัว,น้ำหนัก,ส่วนสูง,วันที่\n".encode("utf-16"), "utf16.csv"),
    ],
)
def test_http_upload_of_bad_files_is_answered(client_as, staff, school, enrolled, data, name):
    client = client_as(staff)
    before = counts()
    assert_answered_without_saving(client, school, post_file(client, school, data, name), before)
