"""A 3,000-row weight/height upload: end to end (parse, check, write) for CSV and .xlsx, and its
database write against the same rows written by one raw SQL statement.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/opendmc_bench .venv/bin/python bench/bench_upload.py
"""

import io
import sys
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import machine, report, setup_django, throwaway_database, timed  # noqa: E402

SMOKE = "--smoke" in sys.argv  # make bench-smoke: a tiny run that writes no results
ROWS = 40 if SMOKE else 3000


def main() -> None:
    setup_django()
    import openpyxl
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection
    from django.test import override_settings

    from accounts.models import User
    from schools.identifiers import citizen_id_check_digit
    from schools.models import AreaOffice, Enrollment, Measurement, School, Student
    from schools.services import MeasurementEntry, measurement_upload_start, measurements_record

    with throwaway_database(), override_settings(MEASUREMENT_UPLOAD_ASYNC_ROWS=10**9):
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
            Enrollment(
                student=s,
                school=school,
                grade="08P5",
                room=1 + i % 30,
                started_on=date(2026, 5, 16),
            )
            for i, s in enumerate(students)
        )
        base = date(2025, 1, 1)  # every run writes new rows on its own past date

        def csv_file(i):
            day = base + timedelta(days=i)
            text = "เลขประจำตัวประชาชน,น้ำหนัก,ส่วนสูง,วันที่ชั่งวัด\n" + "".join(
                f"{s.citizen_id},{30 + i % 7}.5,{135 + i % 5},{day.day}/{day.month}/{day.year + 543}\n"
                for s in students
            )
            return SimpleUploadedFile("wh.csv", text.encode("utf-8"))

        def xlsx_file(i):
            day = base + timedelta(days=100 + i)
            workbook = openpyxl.Workbook()
            sheet = workbook.active
            sheet.append(["เลขประจำตัว", "น้ำหนัก (กก.)", "ส่วนสูง (ซม.)", "วันที่ชั่งวัด"])
            for s in students:
                sheet.append([s.citizen_id, 30.5, 135, day.isoformat()])
            buffer = io.BytesIO()
            workbook.save(buffer)
            return SimpleUploadedFile("wh.xlsx", buffer.getvalue())

        def upload(make):
            def run(i):
                f = make(i)
                result = measurement_upload_start(school=school, actor=user, uploaded_file=f)
                assert result.status == "done", result.errors[:3]
                assert result.created_count == ROWS

            return run

        # Build the files outside the timed part: the figure is the server's work.
        csv_files = [csv_file(i) for i in range(5)]
        xlsx_files = [xlsx_file(i) for i in range(3)]
        csv_median, csv_runs = timed(lambda i: upload(lambda _: csv_files[i])(i), repeat=5)
        xlsx_median, xlsx_runs = timed(lambda i: upload(lambda _: xlsx_files[i])(i), repeat=3)

        def service_write(i):
            day = base + timedelta(days=200 + i)
            entries = [
                MeasurementEntry(s.pk, day, Decimal("31.5"), Decimal("136.0")) for s in students
            ]
            result = measurements_record(
                school=school, actor=user, entries=entries, source="upload"
            )
            assert result.created == ROWS

        def raw_write(i):
            day = base + timedelta(days=300 + i)
            ids = [s.pk for s in students]
            with connection.cursor() as cursor:
                if connection.vendor == "postgresql":
                    cursor.execute(
                        "INSERT INTO schools_measurement (student_id, measured_on, weight_kg, height_cm,"
                        " source, recorded_by_id, created_at)"
                        " SELECT unnest(%s::bigint[]), %s, 31.5, 136.0, 'upload', %s, now()",
                        [ids, day, user.pk],
                    )
                else:
                    values = ",".join(
                        f"({pk}, '{day.isoformat()}', 31.5, 136.0, 'upload', {user.pk}, datetime('now'))"
                        for pk in ids
                    )
                    cursor.execute(
                        "INSERT INTO schools_measurement (student_id, measured_on, weight_kg, height_cm,"
                        f" source, recorded_by_id, created_at) VALUES {values}"
                    )

        service_median, service_runs = timed(service_write, repeat=5)
        raw_median, raw_runs = timed(raw_write, repeat=5)
        assert Measurement.objects.count() == ROWS * (5 + 3 + 5 + 5)
        on = machine()

    ratio = service_median / raw_median
    report(
        "upload",
        [
            f"rows per file: {ROWS}",
            f"CSV end to end (parse, check, write, audit): median {csv_median * 1000:.0f} ms "
            f"(runs {', '.join(f'{r * 1000:.0f}' for r in csv_runs)}) — target < 1000 ms",
            f".xlsx end to end: median {xlsx_median * 1000:.0f} ms "
            f"(runs {', '.join(f'{r * 1000:.0f}' for r in xlsx_runs)}) — target < 2000 ms",
            f"database write by the service (rows + audit entries): median {service_median * 1000:.0f} ms",
            f"the same rows by one raw INSERT … SELECT: median {raw_median * 1000:.0f} ms",
            f"ratio service / raw SQL: {ratio:.2f}× — target ≤ 3×",
        ],
        on=on,
    )


if __name__ == "__main__":
    main()
