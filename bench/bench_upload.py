"""A school's weight/height file: end to end (parse, check, write) for CSV and .xlsx, and the
service's database write against the plain SQL of the same rows, three ways, each side interleaved
with its baseline (ABAB…, median of the runs):

- new rows: the service against one raw INSERT of the same rows;
- corrected rows (a school uploads its file again with every value changed): the service against
  a raw ``UPDATE … FROM (VALUES …)`` of the same rows plus the raw ``INSERT`` of their audit entries;
- the same rows: the raw side writes each row's nutrition status too, computed by the function the
  service uses (bench.common.measurement_statuses_raw; WHO z-scores have no SQL form), after one
  SELECT of the learners' sex and birth dates;
- unchanged rows (the same file again): the service against the raw SELECT of the same rows.

    .venv/bin/python bench/bench_upload.py                      # SQLite, the embedded default
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/opendmc_bench .venv/bin/python bench/bench_upload.py

Targets (a database path with its checks and audit, against its plain SQL): ≤ 3× each.
Results: bench/results/upload.<database>.txt. --check: 1,000 rows; --smoke: 40.
"""

import io
import json
import sys
from datetime import date, timedelta
from decimal import Decimal

import setup_django  # noqa: F401 — first: Django set up (bench/setup_django.py)

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from accounts.models import User
from bench.common import (
    STATUS_TYPES,
    Targets,
    interleaved,
    machine,
    machine_speed,
    measurement_statuses_raw,
    measurements_raw_insert,
    median,
    ms,
    report,
    rows_write,
    size,
    throwaway_database,
)
from schools import nutrition
from schools.identifiers import citizen_id_check_digit
from schools.models import AreaOffice, AuditEntry, Enrollment, Measurement, School, Student
from schools.services import MeasurementEntry, measurement_upload_start, measurements_record

# The check runs the issue's own size: a school's 3,000-row file. At 1,000 rows the fixed cost of a
# request (≈ 6 ms of ORM and form work) weighs against a raw UPDATE of 1,000 unchanged rows and
# the ratio measures that constant, not the path.
ROWS = size(3000, check=3000, smoke=40)
RUNS = 3 if "--smoke" in sys.argv else 7
TARGET = 3.0


def main() -> None:
    targets = Targets()
    with throwaway_database(), override_settings(MEASUREMENT_UPLOAD_ASYNC_ROWS=10**9):
        vendor = connection.vendor
        area = AreaOffice.objects.create(code="B001", name_th="เขตทดสอบ", kind="primary")
        school = School.objects.create(
            code="1000000001", name_th="โรงเรียนทดสอบ", area_office=area, province="x"
        )
        user = User.objects.create(username="bench")
        students = Student.objects.bulk_create(
            Student(citizen_id=(t := f"1{i:011d}") + str(citizen_id_check_digit(t)), title="ด.ช.",
                    first_name_th="ก", last_name_th="ข", sex="M", birth_date=date(2014, 1, 1))
            for i in range(ROWS)
        )  # fmt: skip
        Enrollment.objects.bulk_create(
            Enrollment(student=s, school=school, grade="08P5", room=1 + i % 30,
                       started_on=date(2026, 5, 16))
            for i, s in enumerate(students)
        )  # fmt: skip
        ids = [s.pk for s in students]
        base = date(2025, 1, 1)  # every new-rows run writes on its own past date

        # --- end to end: the figures a school sees (files built outside the timed part) -----------
        def csv_file(day):
            text = "เลขประจำตัวประชาชน,น้ำหนัก,ส่วนสูง,วันที่ชั่งวัด\n" + "".join(
                f"{s.citizen_id},{30 + i % 7}.5,{135 + i % 5},{day.day}/{day.month}/{day.year + 543}\n"
                for i, s in enumerate(students)
            )
            return SimpleUploadedFile("wh.csv", text.encode("utf-8"))

        def xlsx_file(day):
            workbook = openpyxl.Workbook()
            sheet = workbook.active
            sheet.append(["เลขประจำตัว", "น้ำหนัก (กก.)", "ส่วนสูง (ซม.)", "วันที่ชั่งวัด"])
            for s in students:
                sheet.append([s.citizen_id, 30.5, 135, day.isoformat()])
            buffer = io.BytesIO()
            workbook.save(buffer)
            return SimpleUploadedFile("wh.xlsx", buffer.getvalue())

        def upload(files):
            def run(i):
                result = measurement_upload_start(school=school, actor=user, uploaded_file=files[i])
                assert result.status == "done", result.errors[:3]
                assert result.created_count == ROWS

            return run

        csv_files = [csv_file(base + timedelta(days=i)) for i in range(RUNS)]
        xlsx_files = [xlsx_file(base + timedelta(days=100 + i)) for i in range(RUNS)]
        csv_runs, xlsx_runs = interleaved(upload(csv_files), upload(xlsx_files), repeat=RUNS)

        # --- new rows ------------------------------------------------------------------------------
        def service_new(i):
            day = base + timedelta(days=200 + i)
            entries = [MeasurementEntry(pk, day, Decimal("31.5"), Decimal("136.0")) for pk in ids]
            result = measurements_record(
                school=school, actor=user, entries=entries, source="upload"
            )
            assert result.created == ROWS

        def raw_new(i):
            measurements_raw_insert(ids, base + timedelta(days=300 + i), user.pk)

        new_service, new_raw = interleaved(service_new, raw_new, repeat=RUNS)

        # --- corrected rows: each run changes every value of its side's date -----------------------
        service_day, raw_day = base + timedelta(days=400), base + timedelta(days=401)
        for day in (service_day, raw_day):
            Measurement.objects.bulk_create(
                Measurement(student_id=pk, measured_on=day, weight_kg=30, height_cm=130,
                            source="upload", recorded_by=user)
                for pk in ids
            )  # fmt: skip
        raw_rows = dict(
            Measurement.objects.filter(measured_on=raw_day).values_list("student_id", "pk")
        )

        def values(i):
            # Run i writes weight 31 + i: always a change from what the run before left.
            return Decimal(31 + i), Decimal(131 + i)

        def service_corrected(i):
            weight, height = values(i)
            entries = [MeasurementEntry(pk, service_day, weight, height) for pk in ids]
            result = measurements_record(
                school=school, actor=user, entries=entries, source="upload"
            )
            assert result.updated == ROWS, result

        def raw_corrected(i):
            weight, height = values(i)
            before_w, before_h = (Decimal(30), Decimal(130)) if i == 0 else values(i - 1)
            now = timezone.now()
            # The rows' new status, as the service computes it again for changed figures.
            statuses = [
                (raw_rows[sid], *status)
                for sid, *status in measurement_statuses_raw(ids, raw_day, weight, height)
            ]
            changes = json.dumps({
                "measured_on": [raw_day.isoformat()] * 2,
                "weight_kg": [str(before_w), str(weight)],
                "height_cm": [str(before_h), str(height)],
            })  # fmt: skip
            fields = nutrition.Status.FIELDS
            with connection.cursor() as cursor:
                rows_write(
                    cursor,
                    f"WITH v (id, {', '.join(fields)}) AS {{rows}} "  # noqa: S608
                    "UPDATE schools_measurement SET weight_kg = %s, height_cm = %s, "
                    "source = 'upload', recorded_by_id = %s, "
                    + ", ".join(f"{f} = v.{f}" for f in fields)
                    + " FROM v WHERE schools_measurement.id = v.id",
                    statuses, ("bigint", *STATUS_TYPES), after=(weight, height, user.pk),
                )  # fmt: skip
                rows_write(
                    cursor,
                    "INSERT INTO schools_auditentry (student_id, school_id, actor_id, action, "
                    "changes, reason, created_at) SELECT * FROM {rows} AS v",
                    [(sid, school.pk, user.pk, "measure", changes, "", now) for sid in ids],
                    ("bigint", "bigint", "bigint", "text", "jsonb", "text", "timestamptz"),
                )

        audit_before = AuditEntry.objects.count()
        corrected_service, corrected_raw = interleaved(
            service_corrected, raw_corrected, repeat=RUNS
        )
        assert AuditEntry.objects.count() - audit_before == 2 * RUNS * ROWS

        # --- unchanged rows: the same file again writes nothing -------------------------------------
        def service_unchanged(_i):
            weight, height = values(RUNS - 1)
            entries = [MeasurementEntry(pk, service_day, weight, height) for pk in ids]
            result = measurements_record(
                school=school, actor=user, entries=entries, source="upload"
            )
            assert result.unchanged == ROWS, result

        def raw_unchanged(_i):
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT m.id, m.student_id, m.weight_kg, m.height_cm FROM schools_measurement m "
                    "JOIN schools_enrollment e ON e.student_id = m.student_id "
                    "WHERE e.school_id = %s AND e.status = 'active' AND m.measured_on = %s",
                    [school.pk, service_day],
                )
                assert len(cursor.fetchall()) == ROWS

        unchanged_service, unchanged_raw = interleaved(
            service_unchanged, raw_unchanged, repeat=RUNS
        )
        on, speed = machine(), machine_speed()

    lines = [
        f"rows per file: {ROWS:,}; {RUNS} runs a side, the two sides interleaved",
        f"CSV end to end (parse, check, write): median {median(csv_runs) * 1000:.0f} ms "
        f"(runs {ms(csv_runs)})",
        f".xlsx end to end: median {median(xlsx_runs) * 1000:.0f} ms (runs {ms(xlsx_runs)})",
        targets.ratio(
            "new rows: the service / one raw INSERT", new_service, new_raw, at_most=TARGET
        ),
        targets.ratio(
            "corrected rows (+ audit): the service / the raw UPDATE of the rows + audit INSERT",
            corrected_service,
            corrected_raw,
            at_most=TARGET,
        ),  # fmt: skip
        targets.ratio(
            "unchanged rows: the service / the raw SELECT of the rows",
            unchanged_service,
            unchanged_raw,
            at_most=TARGET,
        ),  # fmt: skip
    ]
    report(f"upload.{vendor}", lines, on=on, speed=speed)
    targets.exit()


if __name__ == "__main__":
    main()
