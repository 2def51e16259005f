"""A school's whole roster from a file: the plan row by row, then all accepted rows or nothing."""

import io
from datetime import date

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from census.models import SchoolRound
from census.services import academic_year_create
from schools.models import (
    AuditEntry,
    Enrollment,
    EnrollmentStatus,
    Grade,
    IssuedGCode,
    Measurement,
    Sex,
    Student,
    Title,
)
from schools.roster_import import Kind, roster_plan

from ..factories import EnrollmentFactory, IssuedGCodeFactory, StudentFactory, make_citizen_id

HEADER = (
    "รหัสโรงเรียน,เลขประจำตัวประชาชนหรือรหัส G,คำนำหน้า,ชื่อ (ภาษาไทย),นามสกุล (ภาษาไทย),"
    "ชื่อ (ภาษาอังกฤษ),นามสกุล (ภาษาอังกฤษ),เพศ,วันเกิด,ชั้น,ห้อง,วันที่เข้าเรียน,"
    "น้ำหนัก (กก.),ส่วนสูง (ซม.)"
)


def line(identifier, *, code="", title="ด.ช.", first="สมชาย", last="ใจดี", sex="ชาย",
         born="1/7/2559", grade="ป.3", room="1", entered="16/5/2569", weight="", height=""):  # fmt: skip
    return [code, identifier, title, first, last, "", "", sex, born, grade, room, entered, weight,
            height]  # fmt: skip


def csv_bytes(rows, *, header=HEADER, encoding="utf-8"):
    text = header + "\n" + "\n".join(",".join(map(str, r)) for r in rows) + "\n"
    return text.encode(encoding)


def write(tmp_path, rows, name="roster.csv", **kwargs):
    path = tmp_path / name
    path.write_bytes(csv_bytes(rows, **kwargs))
    return str(path)


def run(*args):
    out = io.StringIO()
    call_command("import_roster", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def here(school):
    """Two learners already at the school: ป.3 room 1."""
    return [
        EnrollmentFactory(
            school=school,
            grade=Grade.P3,
            student=StudentFactory(first_name_th="สมชาย", last_name_th="ใจดี"),
        )
        for _ in range(2)
    ]


@pytest.fixture
def mixed(tmp_path, school, other_school, here):
    """A file with one row of each kind, and the learner enrolled elsewhere."""
    elsewhere = EnrollmentFactory(school=other_school, student=StudentFactory())
    new_id = make_citizen_id()
    rows = [
        line(new_id, first="ใหม่", weight="25.5", height="128"),  # 2: new
        line(here[0].student.citizen_id),  # 3: unchanged
        line(here[1].student.citizen_id, room="2", first="สมหญิง"),  # 4: changes
        line(
            elsewhere.student.citizen_id,
            first=elsewhere.student.first_name_th,
            last=elsewhere.student.last_name_th,
        ),  # 5: active elsewhere  # fmt: skip
        line("1234567890123"),  # 6: wrong check digit
    ]
    return write(tmp_path, rows), new_id, elsewhere


def test_a_dry_run_lists_each_row_and_saves_nothing(staff, school, mixed, here):
    path, new_id, elsewhere = mixed
    before = (Student.objects.count(), Enrollment.objects.count(), AuditEntry.objects.count())
    out = run(school.code, path)
    assert "line 4: first_name_th สมชาย → สมหญิง, room 1 → 2" in out
    assert f"line 5: active at {elsewhere.school.code}" in out
    assert "line 6: เลขประจำตัวประชาชนไม่ถูกต้อง (หลักตรวจสอบไม่ตรง)" in out
    assert "Dry run" in out
    after = (Student.objects.count(), Enrollment.objects.count(), AuditEntry.objects.count())
    assert after == before


def test_the_plan_sorts_each_row_by_kind(school, mixed):
    path, _new_id, _elsewhere = mixed
    with open(path, "rb") as f:
        plan = roster_plan(data=f.read(), filename="roster.csv", schools=[school])
    assert [(r.line, r.kind) for r in plan.rows] == [
        (2, Kind.NEW), (3, Kind.UNCHANGED), (4, Kind.CHANGES), (5, Kind.ELSEWHERE),
        (6, Kind.REFUSED),
    ]  # fmt: skip
    assert plan.counts() == {
        "new": 1, "unchanged": 1, "changes": 1, "elsewhere": 1, "refused": 1
    }  # fmt: skip


def test_apply_saves_the_accepted_rows_with_their_audit(staff, school, mixed, here):
    path, new_id, elsewhere = mixed
    out = run(school.code, path, "--apply", "--actor", staff.username)
    assert "1 learners added, 1 enrolled, 1 changed, 1 unchanged" in out
    new = Student.objects.get(citizen_id=new_id)
    assert (new.title, new.first_name_th, new.sex) == (Title.BOY, "ใหม่", Sex.MALE)
    assert new.birth_date == date(2016, 7, 1)  # 1/7/2559 in the Buddhist era
    enrollment = new.enrollments.get()
    assert (enrollment.school, enrollment.grade, enrollment.room) == (school, Grade.P3, 1)
    assert enrollment.started_on == date(2026, 5, 16)
    assert Measurement.objects.get(student=new).weight_kg == pytest.approx(25.5)
    changed = Enrollment.objects.get(pk=here[1].pk)
    assert changed.room == 2 and changed.student.first_name_th == "สมหญิง"
    actions = sorted(AuditEntry.objects.filter(actor=staff).values_list("action", flat=True))
    assert actions == sorted(
        [AuditEntry.Action.ADD, AuditEntry.Action.ENROLL, AuditEntry.Action.NAME_EDIT,
         AuditEntry.Action.CLASS_EDIT]
    )  # fmt: skip
    move = AuditEntry.objects.get(action=AuditEntry.Action.CLASS_EDIT)
    assert move.changes == {"room": [1, 2]} and move.reason == "แฟ้มรายชื่อ: roster.csv"
    # Never a second active enrollment: the learner at the other school stays there.
    assert list(elsewhere.student.enrollments.values_list("school", "status")) == [
        (elsewhere.school.pk, EnrollmentStatus.ACTIVE)
    ]


def test_the_same_file_twice_changes_nothing_the_second_time(staff, school, mixed):
    path, _new_id, _elsewhere = mixed
    run(school.code, path, "--apply")
    audit = AuditEntry.objects.count()
    out = run(school.code, path, "--apply")
    assert "0 learners added, 0 enrolled, 0 changed, 3 unchanged" in out
    assert AuditEntry.objects.count() == audit


def test_a_roster_waiting_for_its_director_is_refused(school, mixed):
    path, new_id, _elsewhere = mixed
    round2 = academic_year_create(year_be=2569, actor=None).rounds.get(number=2)
    SchoolRound.objects.create(round=round2, school=school, state=SchoolRound.State.CONFIRMED)
    with pytest.raises(CommandError, match="รอผู้อำนวยการ|waits for its director"):
        run(school.code, path, "--apply")
    assert not Student.objects.filter(citizen_id=new_id).exists()


def test_the_plan_makes_the_same_number_of_queries_for_10_and_60_rows(
    school, tmp_path, django_assert_num_queries
):
    for size in (10, 60):
        known = [EnrollmentFactory(school=school) for _ in range(size // 2)]
        rows = [line(e.student.citizen_id) for e in known]
        rows += [line(make_citizen_id()) for _ in range(size - len(rows))]
        data = csv_bytes(rows)
        # Learners, their active enrollments, and G-code issuances (none here: skipped).
        with django_assert_num_queries(2):
            plan = roster_plan(data=data, filename="r.csv", schools=[school])
        assert len(plan.rows) == size


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ({"grade": "ม.4"}, "ไม่มีชั้น ม.4"),
        ({"grade": "ป.9"}, "ชั้น “ป.9”"),
        ({"title": "ท่าน"}, "คำนำหน้าชื่อ “ท่าน”"),
        ({"sex": "x"}, "เพศ “x”"),
        ({"born": "31/2/2559"}, "ไม่มีวันที่ 31"),
        ({"born": "1/1/2580"}, "วันเกิดไม่ถูกต้อง"),
        ({"room": "0"}, "ห้อง"),
        ({"first": ""}, "ชื่อและนามสกุลภาษาไทย"),
        ({"weight": "500", "height": "120"}, "น้ำหนัก"),
        ({"weight": "25"}, "ทั้งน้ำหนักและส่วนสูง"),
        ({"weight": "=1+1", "height": "120"}, "สูตร"),
        ({"code": "1050130999"}, "1050130999"),
    ],
)
def test_a_bad_row_is_refused_with_its_reason_and_line(school, tmp_path, row, reason):
    school.highest_grade = Grade.P6
    school.save()
    path = write(tmp_path, [line(make_citizen_id()), line(make_citizen_id(), **row)])
    out = run(school.code, path, "--apply")
    refused = [o for o in out.splitlines() if o.startswith("line 3:")]
    assert refused and reason in refused[0], out
    assert Student.objects.count() == 1  # the good row is saved, the refused one is not


def test_a_learner_twice_in_the_file_is_refused_on_both_lines(school, tmp_path):
    twice = make_citizen_id()
    path = write(tmp_path, [line(twice), line(make_citizen_id()), line(twice, room="2")])
    out = run(school.code, path)
    assert "line 2: ผู้เรียนคนเดียวกันอีกครั้งที่บรรทัด 4" in out
    assert "line 4: ผู้เรียนคนเดียวกับบรรทัด 2" in out


def test_a_gcode_must_have_been_issued_and_is_linked_to_the_new_learner(school, tmp_path):
    issued = IssuedGCodeFactory(school=school)
    path = write(tmp_path, [line(issued.gcode), line("G690000099999")])
    out = run(school.code, path, "--apply")
    assert "line 3: ไม่พบบันทึกการออกรหัส G G690000099999" in out
    learner = Student.objects.get(gcode=issued.gcode)
    assert IssuedGCode.objects.get(pk=issued.pk).student == learner


def test_an_id_with_another_birth_date_is_refused(school, here, tmp_path):
    path = write(tmp_path, [line(here[0].student.citizen_id, born="2/7/2559")])
    out = run(school.code, path)
    assert "line 2: เลขนี้เป็นของผู้เรียนที่มีวันเกิดอื่น" in out


def test_a_tis620_file_with_buddhist_dates_is_read(school, tmp_path):
    new_id = make_citizen_id()
    path = write(tmp_path, [line(new_id, born="๑/๗/๒๕๕๙")], encoding="cp874")
    run(school.code, path, "--apply")
    assert Student.objects.get(citizen_id=new_id).birth_date == date(2016, 7, 1)


def test_an_xlsx_with_a_formula_cell_refuses_that_row(school, tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADER.split(","))
    good = make_citizen_id()
    sheet.append(line(good, born="2016-07-01"))
    sheet.append(line(make_citizen_id(), room="=1+1"))
    path = tmp_path / "roster.xlsx"
    workbook.save(path)
    out = run(school.code, str(path), "--apply")
    assert "line 3: เซลล์มีสูตร" in out
    assert list(Student.objects.values_list("citizen_id", flat=True)) == [good]


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "r.csv", "ไฟล์ว่าง"),
        (b"PK\x03\x04garbage", "r.xlsx", "อ่านไฟล์ Excel ไม่ได้"),
        (b"\x00\x01\x02binary", "r.csv", "ไฟล์นี้ไม่ใช่ CSV"),
        (b"a,b,c\n1,2,3\n", "r.csv", "ไม่พบหัวตาราง"),
        (HEADER.encode() + b"\n", "r.csv", "ไฟล์ไม่มีข้อมูลใต้หัวคอลัมน์"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_whole(school, tmp_path, data, name, message):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(CommandError, match=message):
        run(school.code, str(path), "--apply")
    assert not Student.objects.exists()


def test_a_learner_enrolled_elsewhere_after_the_preview_stops_the_whole_file(
    school, other_school, tmp_path
):
    from django.core.exceptions import ValidationError

    from schools.roster_services import roster_import_apply

    first, second = make_citizen_id(), make_citizen_id()
    data = csv_bytes([line(first), line(second)])
    plan = roster_plan(data=data, filename="r.csv", schools=[school])
    assert plan.counts()[Kind.NEW] == 2
    # Another school enrolls the second learner between the preview and the apply.
    EnrollmentFactory(school=other_school, student=StudentFactory(citizen_id=second))
    with pytest.raises(ValidationError, match="ไม่ได้บันทึกสิ่งใด"):
        roster_import_apply(data=data, filename="r.csv", schools=[school], actor=None, plan=plan)
    assert not Student.objects.filter(citizen_id=first).exists()
    assert not Enrollment.objects.filter(school=school).exists()
