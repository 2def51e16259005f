"""The ministry's school list (import_schools): plan, apply, idempotency, closing, and bad input.

The whole country's shape at CI's smoke size: 13 area offices and 1,500 schools (the measured
full size, 245 and 29,000, is bench/bench_import_schools.py)."""

import io
import zipfile
from datetime import date
from io import StringIO

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from census.dashboard import area_schools
from census.models import SchoolRound
from demo.register_file import area_code, country_rows, school_code, to_csv, to_xlsx
from schools.models import AreaOffice, EnrollmentStatus, RegisterChange, School
from schools.register import register_apply, register_plan
from tests.factories import EnrollmentFactory

SMOKE = {"areas": 13, "schools": 1500}


@pytest.fixture(autouse=True)
def english():
    """Read the refusals in English (the msgids); their Thai is in the catalogue."""
    with translation.override("en"):
        yield


def plan_of(rows, **kwargs):
    return register_plan(data=to_csv(rows, **kwargs), filename="list.csv")


def apply_rows(rows):
    return register_apply(data=to_csv(rows), filename="list.csv", actor=None)


@pytest.fixture
def country(db):
    """The smoke-size country, imported."""
    rows = country_rows(**SMOKE)
    apply_rows(rows)
    return rows


def school_row(rows, code):
    return next(r for r in rows if r.get("school_code") == code)


@pytest.mark.django_db
def test_a_country_shaped_file_plans_applies_and_then_has_nothing_to_do():
    rows = country_rows(**SMOKE)
    plan = plan_of(rows)
    assert len(plan.added) == 13 + 1500 and not plan.refused and not plan.changed
    assert plan.rows == 1513
    register_apply(data=to_csv(rows), filename="list.csv", actor=None, expected_digest=plan.digest)
    assert School.objects.count() == 1500 and AreaOffice.objects.count() == 13
    assert School.objects.filter(area_office__code=area_code(1)).count() == 116
    first = School.objects.get(code=school_code(1))
    assert first.name_th.startswith("โรงเรียนบ้าน") and first.lowest_grade == "01K1"
    assert first.size in School.Size.values and first.status == School.Status.OPEN
    assert RegisterChange.objects.filter(action="add").count() == 1513
    # The same file again, in each encoding and as .xlsx: nothing to do.
    for data, name in (
        (to_csv(rows), "list.csv"),
        (to_csv(rows, encoding="utf-8-sig"), "list.csv"),
        (to_csv(rows, encoding="cp874"), "list.csv"),
        (to_xlsx(rows), "list.xlsx"),
    ):
        again = register_plan(data=data, filename=name)
        assert again.nothing_to_do and not again.refused and again.unchanged == 1513
    again = apply_rows(rows)
    assert again.nothing_to_do
    assert RegisterChange.objects.count() == 1513


@pytest.mark.django_db
def test_the_plan_reads_the_database_in_the_same_few_queries_at_any_length(country):
    counts = []
    for schools in (100, 1500):
        rows = country_rows(areas=13, schools=schools)
        with CaptureQueriesContext(connection) as queries:
            register_plan(data=to_csv(rows), filename="list.csv")
        counts.append(len(queries))
    assert counts == [2, 2]  # the area offices, then the schools: whatever the file's length


@pytest.mark.django_db
def test_changes_moves_and_closings_are_planned_applied_and_logged(country):
    rows = [dict(r) for r in country]
    renamed = school_row(rows, school_code(1))
    renamed["name_th"] = "โรงเรียนบ้านใหม่"
    moved = school_row(rows, school_code(2))
    moved["area_code"] = area_code(2)
    closed = school_row(rows, school_code(3))
    closed.update(status="ปิด", closed_on="31/3/2569")
    merged = school_row(rows, school_code(4))
    merged.update(status="ควบรวม", merged_into=school_code(5))
    rows.append(
        {"area_code": area_code(1), "school_code": "1234567890", "name_th": "โรงเรียนใหม่",
         "province": "เชียงใหม่", "lowest_grade": "ป.1", "highest_grade": "ป.6"}
    )  # fmt: skip
    plan = plan_of(rows)
    assert [c.code for c in plan.changed] == [school_code(1), school_code(2)]
    assert plan.changed[1].changes == {"area_office": [area_code(1), area_code(2)]}
    assert [c.code for c in plan.closed] == [school_code(3), school_code(4)]
    assert [c.code for c in plan.added] == ["1234567890"] and not plan.refused
    apply_rows(rows)
    assert School.objects.get(code=school_code(1)).name_th == "โรงเรียนบ้านใหม่"
    assert School.objects.get(code=school_code(2)).area_office.code == area_code(2)
    gone = School.objects.get(code=school_code(3))
    assert (gone.status, gone.closed_on) == ("closed", date(2026, 3, 31))
    joined = School.objects.get(code=school_code(4))
    assert joined.status == "merged" and joined.merged_into.code == school_code(5)
    assert joined.closed_on is not None  # no date in the file: closed the day it was applied
    log = RegisterChange.objects.filter(action="close", code=school_code(3)).get()
    assert log.changes["status"] == ["open", "closed"] and log.kind == "school"
    assert School.objects.open().filter(code__in=[school_code(3), school_code(4)]).count() == 0
    assert School.objects.count() == 1501  # nothing deleted
    assert apply_rows(rows).nothing_to_do


@pytest.mark.django_db
def test_a_school_with_active_learners_is_refused_until_they_move_or_leave(country):
    school = School.objects.get(code=school_code(7))
    enrollment = EnrollmentFactory(school=school)
    rows = [dict(r) for r in country]
    school_row(rows, school_code(7)).update(status="ปิด", closed_on="1/4/2569")
    plan = plan_of(rows)
    assert not plan.closed
    [refusal] = plan.refused
    assert refusal.code == school_code(7) and refusal.line == 9
    assert "still has 1 active learners" in refusal.message
    apply_rows(rows)
    assert School.objects.get(code=school_code(7)).status == School.Status.OPEN
    enrollment.status, enrollment.ended_on = EnrollmentStatus.TRANSFERRED_OUT, date(2026, 3, 31)
    enrollment.save()
    assert [c.code for c in plan_of(rows).closed] == [school_code(7)]


@pytest.mark.django_db
def test_closed_schools_drop_out_of_rounds_and_dashboards(country):
    from census.services import academic_year_create
    from workflows.services import round_open

    rows = [dict(r) for r in country]
    school_row(rows, school_code(1)).update(status="ปิด", closed_on="1/4/2569")
    apply_rows(rows)
    year = academic_year_create(year_be=2569, actor=None)
    first = year.rounds.order_by("number").first()
    round_open(round=first)
    opened = set(SchoolRound.objects.filter(round=first).values_list("school__code", flat=True))
    assert school_code(1) not in opened and len(opened) == 1499
    area = AreaOffice.objects.get(code=area_code(1))
    codes = {s.code for s in area_schools(area_office=area, round=first)}
    assert school_code(1) not in codes and school_code(2) in codes


# --- bad input ---------------------------------------------------------------------------------

HEAD = "รหัสเขต,รหัสโรงเรียน,ชื่อภาษาไทย,ประเภทเขต,จังหวัด,ชั้นต่ำสุด,ชั้นสูงสุด,สถานะ,ควบรวมกับ\n"
AREA = "90000001,,เขตทดสอบ,สพป.,เชียงใหม่,,,,\n"


def refusals(text: str) -> dict[int, str]:
    plan = register_plan(data=(HEAD + AREA + text).encode(), filename="list.csv")
    return {r.line: r.message for r in plan.refused}


@pytest.mark.django_db
def test_every_bad_row_is_refused_with_its_line_and_reason():
    found = refusals(
        "90000001,1000000001,โรงเรียนก,,เชียงใหม่,ป.1,ป.6,เปิด,\n"  # 3: duplicated with 4
        "90000001,1000000001,โรงเรียนข,,เชียงใหม่,ป.1,ป.6,เปิด,\n"  # 4
        "90000001,100000000X,โรงเรียนค,,เชียงใหม่,ป.1,ป.6,เปิด,\n"  # 5: wrong shape
        "9000001,1000000005,โรงเรียนง,,เชียงใหม่,ป.1,ป.6,เปิด,\n"  # 6: area code wrong shape
        "90000099,1000000006,โรงเรียนจ,,เชียงใหม่,ป.1,ป.6,เปิด,\n"  # 7: no such area office
        "90000001,1000000007,โรงเรียนฉ,,เชียงใหม่,ม.4,ป.6,เปิด,\n"  # 8: grades upside down
        "90000001,1000000008,โรงเรียนช,,เชียงใหม่,ป.1,ป.9,เปิด,\n"  # 9: no such grade
        '90000001,1000000009,=HYPERLINK("x"),,เชียงใหม่,ป.1,ป.6,เปิด,\n'  # 10: formula
        "90000001,1000000010,โรงเรียนซ,,เชียงใหม่,ป.1,ป.6,ควบรวม,1999999999\n"  # 11: no such target
        "90000001,1000000011,,,เชียงใหม่,ป.1,ป.6,เปิด,\n"  # 12: no name
        "90000001,1000000012,โรงเรียนฌ,,เชียงใหม่,ป.1,ป.6,งง,\n"  # 13: no such status
        "90000001,1000000013,โรงเรียนญ,,เชียงใหม่,ป.1,ป.6,ควบรวม,1000000013\n"  # 14: itself
        "90000001,1000000014,โรงเรียนฎ,,เชียงใหม่,ป.1,ป.6,เปิด,\n"  # 15: fine
    )
    assert sorted(found) == list(range(3, 15))
    assert "appears more than once (also on line 4)" in found[3]
    assert "also on line 3" in found[4]
    assert "10 digits" in found[5] and "8 digits" in found[6]
    assert "90000099 does not exist" in found[7]
    assert "lowest grade" in found[8] and "must be a grade" in found[9]
    assert "formula" in found[10] and "does not exist" in found[11]
    assert "Thai name is missing" in found[12] and "status must be" in found[13]
    assert "merged into itself" in found[14]


@pytest.mark.django_db
def test_a_refused_area_office_refuses_its_schools_and_the_rest_is_applied():
    data = (
        HEAD
        + "90000002,,เขตเสีย,ไม่รู้,เชียงใหม่,,,,\n"
        + AREA
        + "90000002,1000000001,โรงเรียนก,,เชียงใหม่,ป.1,ป.6,เปิด,\n"
        + "90000001,1000000002,โรงเรียนข,,เชียงใหม่,ป.1,ป.6,เปิด,\n"
    ).encode()
    plan = register_apply(data=data, filename="list.csv", actor=None)
    assert {r.line: r.message for r in plan.refused}[4].startswith("Its area office 90000002")
    assert list(School.objects.values_list("code", flat=True)) == ["1000000002"]
    assert list(AreaOffice.objects.values_list("code", flat=True)) == ["90000001"]


def xlsx(rows: list[list]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.mark.django_db
def test_formula_cells_of_a_workbook_are_refused_not_read_as_their_last_value():
    data = xlsx(
        [
            ["รหัสเขต", "รหัสโรงเรียน", "ชื่อภาษาไทย", "ประเภทเขต", "จังหวัด", "ชั้นต่ำสุด", "ชั้นสูงสุด"],
            ["90000001", None, "เขตทดสอบ", "สพป.", "เชียงใหม่"],
            ["90000001", "=1000000000+1", "โรงเรียนก", None, "เชียงใหม่", "ป.1", "ป.6"],
            ["90000001", "1000000002", "โรงเรียนข", None, "เชียงใหม่", "ป.1", "ป.6"],
        ]
    )
    plan = register_plan(data=data, filename="list.xlsx")
    assert [(r.line, "formula" in r.message) for r in plan.refused] == [(3, True)]
    assert [c.code for c in plan.added] == ["90000001", "1000000002"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "name", "says"),
    [
        (b"PK\x03\x04" + b"\x00" * 200, "list.xlsx", "cannot be read"),  # a damaged workbook
        (b"\x00\x01garbage\xff\xfe" * 50, "list.csv", "CSV"),  # not text
        ("รหัสเขต,รหัสโรงเรียน\n".encode("utf-16"), "list.csv", ""),  # a wrong encoding
        (b"a,b,c\n1,2,3\n", "list.csv", "Header not found"),
        (b"", "list.csv", "empty"),
        (b"not a workbook", "list.xlsx", "not an Excel"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_whole_and_nothing_is_written(data, name, says):
    with pytest.raises(ValidationError) as refused:
        register_apply(data=data, filename=name, actor=None)
    assert says in " ".join(refused.value.messages)
    assert not AreaOffice.objects.exists() and not RegisterChange.objects.exists()


@pytest.mark.django_db
def test_a_zip_bomb_workbook_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\x00" * (210 * 1024 * 1024))
    with pytest.raises(ValidationError, match="unpacks to more than"):
        register_plan(data=buffer.getvalue(), filename="list.xlsx")


@pytest.mark.django_db
def test_the_command_refuses_a_100_mb_file_before_reading_it(tmp_path):
    path = tmp_path / "huge.csv"
    with path.open("wb") as handle:
        handle.truncate(100 * 1024 * 1024)  # sparse: 100 MB on paper, nothing on disk
    with pytest.raises(CommandError, match="larger than 12 MB"):
        call_command("import_schools", str(path), "--apply", stdout=StringIO())
    assert not RegisterChange.objects.exists()


@pytest.mark.django_db
def test_the_command_says_why_a_file_is_refused_and_writes_nothing(tmp_path):
    path = tmp_path / "list.xlsx"
    path.write_bytes(b"PK\x03\x04broken")
    with pytest.raises(CommandError, match="cannot be read"):
        call_command("import_schools", str(path), "--apply", stdout=StringIO())
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_schools", str(tmp_path / "missing.csv"), stdout=StringIO())


@pytest.mark.django_db
def test_too_many_rows_are_refused_whole():
    from schools import register

    data = (HEAD + AREA * 5).encode()
    original = register.MAX_ROWS
    register.MAX_ROWS = 3
    try:
        with pytest.raises(ValidationError, match="more than 3 rows"):
            register_plan(data=data, filename="list.csv")
    finally:
        register.MAX_ROWS = original


@pytest.mark.django_db
def test_apply_refuses_a_plan_that_is_not_the_one_previewed_and_writes_nothing(country):
    rows = [dict(r) for r in country]
    school_row(rows, school_code(1))["name_th"] = "โรงเรียนบ้านใหม่"
    previewed = plan_of(rows)
    school_row(rows, school_code(2))["name_th"] = "โรงเรียนเปลี่ยนระหว่างทาง"
    with pytest.raises(ValidationError, match="changed since this file was previewed"):
        register_apply(
            data=to_csv(rows), filename="list.csv", actor=None, expected_digest=previewed.digest
        )
    assert School.objects.get(code=school_code(1)).name_th != "โรงเรียนบ้านใหม่"
    assert not RegisterChange.objects.exclude(action="add").exists()
