"""The demo's roster files (schools.roster_import): Doi Kham Wittaya's whole roster as a school
would send it, with every kind of row the preview knows, and its area office's file of several
schools (a school-code column).

The rows name demo learners by their citizen IDs (seed_demo's numbering: the school code's last six
digits, then the learner's number) and read the rest from the database; what a row changes is a
constant, so the files stay the same once applied and the demo runs again. The new learners'
synthetic IDs are numbered from 90001, far above any demo school's learners.
"""

import csv
import io
from datetime import date

from django.utils import translation

from schools.identifiers import citizen_id_check_digit
from schools.models import (
    Enrollment,
    EnrollmentStatus,
    Grade,
    IssuedGCode,
    School,
    Sex,
    Student,
    Title,
)
from schools.roster_import import COLUMNS, Kind, roster_template_header
from schools.services import gcode_register

SCHOOL = "1050510001"  # โรงเรียนดอยคำวิทยา (ม.1–ม.6), not in today's demo round's stages
AREA = "50510000"
HOLDER = "1050130001"  # โรงเรียนบ้านแม่ริม: its last ป.6 learner moves on to ม.1 here
HOLDER_SEQ = 126  # Ban Mae Rim's 14 learners a grade: ป.6 are its numbers 113 to 126
NEW_GCODE = "G510001900001"  # recorded as issued by the demo, to no learner yet
NEW_LAST_NAME = "ชัยวงศ์"  # a family name the demo never draws (demo.names.FAMILY)
NAMES = tuple(name for name, _label, _required in COLUMNS)


def new_citizen_id(number: int, *, valid: bool = True) -> str:
    """Return a synthetic citizen ID of a learner new to the demo (numbers from 90001)."""
    twelve = f"1{SCHOOL[-6:]}{number:05d}"
    check = citizen_id_check_digit(twelve)
    return twelve + str(check if valid else (check + 1) % 10)


def _demo_learner(school_code: str, seq: int) -> Student:
    ids = []
    for prefix in "10":  # seed_demo gives a few non-Thai learners a 0 in front
        twelve = f"{prefix}{school_code[-6:]}{seq:05d}"
        ids.append(twelve + str(citizen_id_check_digit(twelve)))
    return Student.objects.get(citizen_id__in=ids)


def _be(day: date) -> str:
    return f"{day.day}/{day.month}/{day.year + 543}"


def _label(choices, value) -> str:
    with translation.override("th"):
        return str(choices(value).label)


def _row_of(student: Student, enrollment: Enrollment | None, **overrides) -> dict:
    row = {
        "school_code": SCHOOL,
        "identifier": student.citizen_id or student.gcode,
        "title": student.title,
        "first_name_th": student.first_name_th,
        "last_name_th": student.last_name_th,
        "first_name_en": student.first_name_en,
        "last_name_en": student.last_name_en,
        "sex": _label(Sex, student.sex),
        "birth_date": _be(student.birth_date),
    }
    if enrollment is not None:
        row |= {
            "grade": _label(Grade, enrollment.grade),
            "room": enrollment.room,
            "started_on": _be(enrollment.started_on),
        }
    return row | overrides


def _here(seq: int, **overrides) -> dict:
    student = _demo_learner(SCHOOL, seq)
    enrollment = Enrollment.objects.get(
        student=student, school__code=SCHOOL, status=EnrollmentStatus.ACTIVE
    )
    return _row_of(student, enrollment, **overrides)


def _new(number: int, *, year: int, **overrides) -> dict:
    return {
        "school_code": SCHOOL,
        "identifier": new_citizen_id(number),
        "title": Title.BOY,
        "first_name_th": "ภูมิใจ",
        "last_name_th": "ดอยคำ",
        "sex": _label(Sex, Sex.MALE),
        "birth_date": _be(date(year - 13, 8, 14)),
        "grade": _label(Grade, Grade.M1),
        "room": 1,
        "started_on": _be(date(year, 5, 16)),
        **overrides,
    }


def roster_sample_rows(*, year: int) -> list[tuple[str, dict]]:
    """Return Doi Kham Wittaya's roster file as (the kind the preview gives, row) pairs, for the
    academic year that began in May of ``year``; record the new G-code learner's issuance."""
    school = School.objects.get(code=SCHOOL)
    if not IssuedGCode.objects.filter(gcode=NEW_GCODE).exists():
        gcode_register(
            gcode=NEW_GCODE, school=school, actor=None, source=IssuedGCode.Source.EARLIER,
            learner_name="ด.ญ.นาคำ ไร้สัญชาติ",
        )  # fmt: skip
    holder = _demo_learner(HOLDER, HOLDER_SEQ)
    started = _be(date(year, 5, 16))
    return [
        (Kind.NEW, _new(90001, year=year, weight_kg="45.5", height_cm="152")),
        (Kind.NEW, _new(0, year=year, identifier=NEW_GCODE, title=Title.GIRL, first_name_th="นาคำ",
                        last_name_th="ไร้สัญชาติ", sex=_label(Sex, Sex.FEMALE),
                        birth_date=_be(date(year - 14, 3, 2)), grade=_label(Grade, Grade.M2))),
        (Kind.UNCHANGED, _here(1)),
        (Kind.CHANGES, _here(2, room=2)),  # seed_demo puts its numbers 1 to 18 in ม.1/1
        (Kind.CHANGES, _here(3, last_name_th=NEW_LAST_NAME)),
        # Still enrolled at Ban Mae Rim: becomes a transfer request to that school.
        (Kind.ELSEWHERE, _row_of(holder, None, grade=_label(Grade, Grade.M1), room=1,
                                 started_on=started)),
        # Refused: a citizen ID whose check digit is wrong.
        (Kind.REFUSED, _new(90002, year=year, identifier=new_citizen_id(90002, valid=False),
                            first_name_th="ธนา")),
        # Refused: a grade the school does not teach.
        (Kind.REFUSED, _new(90003, year=year, first_name_th="ชยพล", grade=_label(Grade, Grade.P5),
                            birth_date=_be(date(year - 11, 1, 9)))),
        # Refused, both: the same learner twice in the file.
        (Kind.REFUSED, _new(90004, year=year, first_name_th="กันต์")),
        (Kind.REFUSED, _new(90004, year=year, first_name_th="กันต์", room=2)),
        # Refused: a date that does not exist.
        (Kind.REFUSED, _new(90005, year=year, first_name_th="ปวริศ", birth_date=f"31/2/{year - 13 + 543}")),
    ]  # fmt: skip


def area_sample_rows(*, year: int) -> list[tuple[str, dict]]:
    """Return the area office's file: rows of its schools by their codes, and two refused."""
    return [
        (Kind.NEW, _new(90006, year=year, first_name_th="อนุชา")),
        (Kind.UNCHANGED, _here(4)),
        # Refused: a school of another area office.
        (Kind.REFUSED, _new(90007, year=year, school_code=HOLDER, first_name_th="วีรภัทร")),
        # Refused: no school code.
        (Kind.REFUSED, _new(90008, year=year, school_code="", first_name_th="ศุภชัย")),
    ]


def to_csv(rows: list[dict]) -> bytes:
    """Return roster rows as CSV under the template's Thai header, UTF-8 with a BOM (as Excel)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    with translation.override("th"):
        writer.writerow(roster_template_header())
    for row in rows:
        writer.writerow([row.get(name, "") for name in NAMES])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
