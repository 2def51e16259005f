"""A school's whole roster from a file: 3,000 new learners previewed (read, checked, planned) and
applied (learners, enrollments, audit entries) against a raw bulk INSERT of the same learners and
enrollments, interleaved (ABAB…, median of the runs); then an area office's file of 100,000 rows
over 40 schools, planned and applied once, for its peak memory.

    .venv/bin/python bench/bench_import_roster.py                      # SQLite, the embedded default
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/opendmc_bench .venv/bin/python bench/bench_import_roster.py

Targets: plan + apply ≤ 3× the raw INSERT of the rows it writes (learners, enrollments and their
two audit entries each); the area file's peak resident memory ≤ 1,500 MB.
Results: bench/results/import_roster.<database>.txt. --check: 1,000 rows and a 20,000-row area
file; --smoke: 40 and 400.
"""

import resource
import sys
import time
import uuid
from datetime import date

import setup_django  # noqa: F401 — first: Django set up (bench/setup_django.py)

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import User
from bench.common import (
    Targets,
    interleaved,
    machine,
    machine_speed,
    report,
    size,
    throwaway_database,
)
from schools.identifiers import citizen_id_check_digit
from schools.models import AreaOffice, AuditEntry, Enrollment, School, Student
from schools.roster_import import Kind, roster_plan
from schools.roster_services import roster_import_apply

ROWS = size(3000, check=1000, smoke=40)
AREA_ROWS = size(100_000, check=20_000, smoke=400)
AREA_SCHOOLS = 40
RUNS = 3 if "--smoke" in sys.argv else 5
TARGET = 3.0
MEMORY_TARGET_MB = 1500
HEADER = (
    "รหัสโรงเรียน,เลขประจำตัวประชาชนหรือรหัส G,คำนำหน้าชื่อ,ชื่อ (ภาษาไทย),นามสกุล (ภาษาไทย),"
    "ชื่อ (ภาษาอังกฤษ),นามสกุล (ภาษาอังกฤษ),เพศ,วันเกิด,ชั้น,ห้อง,วันที่เข้าเรียน\n"
)
GRADES = ("ป.1", "ป.2", "ป.3", "ป.4", "ป.5", "ป.6")
GRADE_CODES = ("04P1", "05P2", "06P3", "07P4", "08P5", "09P6")
# The raw side writes the rows the file asks for: learner n of the file is in grade n % 6 and room
# 1 + n % 9 (roster_csv), n being the ID's digits 2–12; its SQL computes both from the ID.
_N = "CAST(SUBSTR(citizen_id, 2, 11) AS BIGINT)"
RAW_GRADE = (
    f"CASE {_N} %% 6 "
    + " ".join(f"WHEN {i} THEN '{g}'" for i, g in enumerate(GRADE_CODES))
    + " END"
)
RAW_ROOM = f"1 + {_N} %% 9"  # %%: the statements have parameters
STUDENT_TYPES = ("uuid", "varchar", "varchar", "varchar", "varchar", "varchar", "varchar",
                 "varchar", "date", "varchar", "timestamptz", "timestamptz")  # fmt: skip


def citizen_id(n: int) -> str:
    twelve = f"1{n:011d}"
    return twelve + str(citizen_id_check_digit(twelve))


def roster_csv(first: int, count: int, codes: list[str]) -> bytes:
    """Return a roster file of count new learners from ID number first, spread over the codes."""
    lines = [HEADER]
    for n in range(first, first + count):
        lines.append(
            f"{codes[n % len(codes)]},{citizen_id(n)},ด.ช.,ธนกฤต{n},ศรีสุข,,,ชาย,1/7/2559,"
            f"{GRADES[n % 6]},{1 + n % 9},16/5/2569\n"
        )
    return "".join(lines).encode("utf-8")


def peak_mb() -> float:
    # ru_maxrss is in kilobytes on Linux: the process's high-water mark so far.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    targets = Targets()
    lines: list[str] = []
    with throwaway_database():
        vendor = connection.vendor
        area = AreaOffice.objects.create(code="B001", name_th="เขตทดสอบ", kind="primary")
        schools = [
            School.objects.create(
                code=f"10000{i:05d}",
                name_th=f"โรงเรียนทดสอบ {i}",
                area_office=area,
                province="x",
                lowest_grade="01K1",
                highest_grade="09P6",
            )  # fmt: skip
            for i in range(AREA_SCHOOLS)
        ]
        school = schools[0]
        user = User.objects.create(username="bench")
        # Files are built outside the timed part: each run adds learners of its own.
        files = [roster_csv(10_000 + 2 * i * ROWS, ROWS, [school.code]) for i in range(RUNS)]
        raw_first = [10_000 + (2 * i + 1) * ROWS for i in range(RUNS)]
        reason = gettext("Roster file: %(name)s") % {"name": "roster.csv"}  # the service's words
        # An enrolment's changes, as the service writes them: grade, room and school, from nothing.
        if vendor == "postgresql":
            enroll_changes = (
                f"jsonb_build_object('grade', jsonb_build_array(NULL, {RAW_GRADE}), 'room', "
                f"jsonb_build_array(NULL, {RAW_ROOM}), 'school', jsonb_build_array(NULL, %s::text))"
            )
        else:
            enroll_changes = (
                f"json_object('grade', json_array(NULL, {RAW_GRADE}), 'room', "
                f"json_array(NULL, {RAW_ROOM}), 'school', json_array(NULL, %s))"
            )

        def ours(i):
            plan = roster_plan(data=files[i], filename="roster.csv", schools=[school])
            assert plan.counts()[Kind.NEW] == ROWS, plan.counts()
            result = roster_import_apply(
                data=files[i], filename="roster.csv", schools=[school], actor=user, plan=plan
            )
            assert result.enrolled == ROWS

        def raw(i):
            first = raw_first[i]
            now = timezone.now()
            ids = [citizen_id(n) for n in range(first, first + ROWS)]
            students = [
                (uuid.uuid4().hex if vendor == "sqlite" else str(uuid.uuid4()), cid, "ด.ช.",
                 f"ธนกฤต{n}", "ศรีสุข", "", "", "M", date(2016, 7, 1), "ไทย", now, now)
                for n, cid in zip(range(first, first + ROWS), ids, strict=True)
            ]  # fmt: skip
            columns = (
                "public_id, citizen_id, title, first_name_th, last_name_th, first_name_en, "
                "last_name_en, sex, birth_date, nationality, created_at, updated_at"
            )
            with transaction.atomic(), connection.cursor() as cursor:
                if vendor == "postgresql":
                    # One array a column: psycopg took 1.0–1.5 s of a loaded machine to bind
                    # 2,000-row VALUES of 24,000 placeholders (the service's rows go by COPY).
                    cursor.execute(
                        f"INSERT INTO schools_student ({columns}) SELECT * FROM unnest("  # noqa: S608
                        + ", ".join(f"%s::{t}[]" for t in STUDENT_TYPES)
                        + ")",
                        [list(column) for column in zip(*students, strict=True)],
                    )
                else:
                    for start in range(0, ROWS, 2000):
                        chunk = students[start : start + 2000]
                        cursor.execute(
                            f"INSERT INTO schools_student ({columns}) VALUES "  # noqa: S608
                            + ", ".join(["(" + ", ".join(["%s"] * 12) + ")"] * len(chunk)),
                            [v for row in chunk for v in row],
                        )
                cursor.execute(
                    "INSERT INTO schools_enrollment (student_id, school_id, grade, room, status, "  # noqa: S608
                    "started_on, exit_note, created_at, updated_at) "
                    f"SELECT id, %s, {RAW_GRADE}, {RAW_ROOM}, 'active', %s, '', %s, %s "
                    "FROM schools_student WHERE citizen_id >= %s AND citizen_id <= %s",
                    [school.pk, date(2026, 5, 16), now, now, ids[0], ids[-1]],
                )
                assert cursor.rowcount == ROWS, cursor.rowcount
                # The same audit rows as the service writes: one "added", one "enrolled" each.
                jsonb = "::jsonb" if vendor == "postgresql" else ""
                for action, changes, extra in (
                    ("add", f"%s{jsonb}", ["{}"]),
                    ("enroll", enroll_changes, [school.code]),
                ):
                    cursor.execute(
                        "INSERT INTO schools_auditentry (student_id, school_id, actor_id, action, "  # noqa: S608
                        f"changes, reason, created_at) SELECT id, %s, %s, %s, {changes}, %s, %s "
                        "FROM schools_student WHERE citizen_id >= %s AND citizen_id <= %s",
                        [school.pk, user.pk, action, *extra, reason, now, ids[0], ids[-1]],
                    )

        ours_runs, raw_runs = interleaved(ours, raw, repeat=RUNS)
        lines.append(
            targets.ratio(
                f"{ROWS:,} new learners: preview + apply / raw INSERT of the same learners, "
                f"enrollments and {2 * ROWS:,} audit entries",
                ours_runs,
                raw_runs,
                at_most=TARGET,
            )
        )
        assert AuditEntry.objects.count() == 2 * 2 * ROWS * RUNS
        # Both sides wrote the same rows: a learner of each in the class the file gives, with
        # the same audit entries.
        for n in (10_000 + 7, raw_first[0] + 7):
            student = Student.objects.get(citizen_id=citizen_id(n))
            enrollment = Enrollment.objects.get(student=student)
            assert (enrollment.grade, enrollment.room) == (GRADE_CODES[n % 6], 1 + n % 9)
            audit = dict(
                AuditEntry.objects.filter(student=student).values_list("action", "changes")
            )
            assert audit == {
                "add": {},
                "enroll": {"grade": [None, enrollment.grade], "room": [None, enrollment.room],
                           "school": [None, school.code]},
            }, audit  # fmt: skip

        # --- an area office's file: peak memory ------------------------------------------------
        data = roster_csv(5_000_000, AREA_ROWS, [s.code for s in schools])
        before = peak_mb()
        start = time.perf_counter()
        plan = roster_plan(data=data, filename="area.csv", schools=schools, by_code=True)
        planned = time.perf_counter() - start
        result = roster_import_apply(
            data=data, filename="area.csv", schools=schools, actor=user, by_code=True, plan=plan
        )
        applied = time.perf_counter() - start - planned
        assert result.enrolled == AREA_ROWS, result.by_kind
        assert Enrollment.objects.filter(school=schools[-1]).count() >= AREA_ROWS // AREA_SCHOOLS
        after = peak_mb()
        lines.append(
            f"area file: {AREA_ROWS:,} rows over {AREA_SCHOOLS} schools, {len(data) / 2**20:.1f} MB: "
            f"planned in {planned:.1f} s, applied in {applied:.1f} s; peak resident memory "
            f"{before:,.0f} MB before, {after:,.0f} MB after"
        )
        lines.append(
            targets.at_most("area file: peak resident memory", after, MEMORY_TARGET_MB, " MB")
        )
        assert Student.objects.count() == ROWS * 2 * RUNS + AREA_ROWS
        on = machine()
    report(f"import_roster.{vendor}", lines, on=on, speed=machine_speed())
    targets.exit()


if __name__ == "__main__":
    main()
