"""The REST API (/api/v1/), called as a school's system calls it (a key in the Authorization header,
an Idempotency-Key on each write, through Django's test client: no network), three ways:

- 3,000 new weights and heights through the API's bulk write, the same rows through the file
  upload (a CSV, as bench_upload drives it: ``measurement_upload_start``) and one raw INSERT of the
  same rows (the floor), the three sides interleaved (ABC…, median of the runs), each run writing
  on its own date;
- a roster page of 500 learners (a read key: citizen IDs masked) against the SQL it runs sent raw,
  interleaved; its query count against a page of 50;
- the whole roster of 3,000 learners read through its cursor pages (``next`` followed to the end),
  at the default page size (100) and at 500, interleaved: total time and requests.

    .venv/bin/python bench/bench_api.py                      # SQLite, the embedded default
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/opendmc_bench .venv/bin/python bench/bench_api.py

Targets: the API's write ≤ 1.5× the file upload of the same rows; the page of 500 ≤ 100 ms (median);
the page's queries the same at 50 and 500 learners.
Results: bench/results/api.<database>.txt. --check: 1,000 learners and rows (the page still 500);
--smoke: 40 (a page of 20).
"""

import json
import sys
from datetime import date, timedelta

import setup_django  # noqa: F401 — first: Django set up (bench/setup_django.py)

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, User
from accounts.services import membership_create
from api.services import api_key_create
from bench.common import (
    Targets,
    interleaved,
    machine,
    machine_speed,
    measurements_raw_insert,
    median,
    ms,
    page_queries,
    report,
    size,
    sql_replay,
    throwaway_database,
)
from schools.identifiers import citizen_id_check_digit
from schools.models import AreaOffice, Enrollment, Measurement, School, Student
from schools.services import measurement_upload_start

# The check runs the issue's own size: a school's 3,000-row file. At 1,000 rows the fixed cost of a
# request (≈ 6 ms of ORM and form work) weighs against a raw UPDATE of 1,000 unchanged rows and
# the ratio measures that constant, not the path.
ROWS = size(3000, check=3000, smoke=40)
PAGE = size(500, check=500, smoke=20)
SMALL_PAGE = size(50, check=50, smoke=5)
RUNS = 3 if "--smoke" in sys.argv else 7
WRITE_TARGET = 1.5
PAGE_TARGET_MS = 100


def main() -> None:
    targets = Targets()
    lines = [f"learners: {ROWS:,}; {RUNS} runs a side, the sides interleaved"]
    # The rate limit is the real one's work (a cache read and write a call) at a rate this run
    # stays under; uploads of any size processed at once, as in bench_upload.
    with (
        throwaway_database(),
        override_settings(MEASUREMENT_UPLOAD_ASYNC_ROWS=10**9, API_RATE_LIMIT="100000/min"),
    ):
        vendor = connection.vendor
        area = AreaOffice.objects.create(code="B001", name_th="เขตทดสอบ", kind="primary")
        school = School.objects.create(
            code="1000000001", name_th="โรงเรียนทดสอบ", area_office=area, province="x"
        )
        user = User.objects.create(username="bench")
        director = User.objects.create(username="bench-director")
        membership_create(user=director, role=Role.DIRECTOR, school=school)
        expires = timezone.now() + timedelta(days=30)
        _writer, write_secret = api_key_create(
            actor=director, name="SchoolMIS", expires_at=expires, can_write=True, school=school
        )
        _reader, read_secret = api_key_create(
            actor=director, name="Reader", expires_at=expires, can_write=False, school=school
        )
        writer = Client(headers={"Authorization": f"Bearer {write_secret}"})
        reader = Client(headers={"Authorization": f"Bearer {read_secret}"})
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
        base = date(2025, 1, 1)  # each side's run i writes on a date of its own

        # --- 1. weights and heights: the API, the file, the raw INSERT ---------------------------
        # The bodies and the files are made outside the timed part.
        def api_body(day):
            rows = [
                {"id": s.citizen_id, "weight_kg": f"{30 + i % 7}.5", "height_cm": f"{135 + i % 5}",
                 "measured_on": day.isoformat()}
                for i, s in enumerate(students)
            ]  # fmt: skip
            return json.dumps({"rows": rows})

        def csv_file(day):
            text = "เลขประจำตัวประชาชน,น้ำหนัก,ส่วนสูง,วันที่ชั่งวัด\n" + "".join(
                f"{s.citizen_id},{30 + i % 7}.5,{135 + i % 5},{day.day}/{day.month}/{day.year + 543}\n"
                for i, s in enumerate(students)
            )
            return SimpleUploadedFile("wh.csv", text.encode("utf-8"))

        bodies = [api_body(base + timedelta(days=i)) for i in range(RUNS)]
        files = [csv_file(base + timedelta(days=100 + i)) for i in range(RUNS)]
        measurements_url = reverse("api:measurements", args=[school.code])

        def api_write(i):
            response = writer.post(
                measurements_url,
                bodies[i],
                content_type="application/json",
                headers={"Idempotency-Key": f"bench-{i}"},
            )
            assert response.status_code == 200, response.content[:300]
            assert response.json()["created"] == ROWS, response.json()

        def upload(i):
            result = measurement_upload_start(school=school, actor=user, uploaded_file=files[i])
            assert result.status == "done", result.errors[:3]
            assert result.created_count == ROWS

        def raw_insert(i):
            measurements_raw_insert(ids, base + timedelta(days=200 + i), user.pk)

        reader.get(reverse("api:roster", args=[school.code]))  # each key's first use noted now
        writer.get(reverse("api:roster", args=[school.code]))
        api_runs, upload_runs, raw_runs = interleaved(api_write, upload, raw_insert, repeat=RUNS)
        assert Measurement.objects.count() == 3 * RUNS * ROWS
        # The API and the file wrote the same figures for the same learner.
        api_row, file_row = (
            Measurement.objects.filter(student=students[-1], measured_on=day).get()
            for day in (base, base + timedelta(days=100))
        )
        assert (api_row.weight_kg, api_row.height_cm, api_row.source) == (
            file_row.weight_kg, file_row.height_cm, file_row.source,
        )  # fmt: skip
        lines += [
            f"{ROWS:,} new weights and heights: the API's bulk write (one POST) median "
            f"{median(api_runs) * 1000:.0f} ms; the file upload (CSV) {median(upload_runs) * 1000:.0f}"
            f" ms; one raw INSERT {median(raw_runs) * 1000:.0f} ms "
            f"(API / raw INSERT {median(api_runs) / median(raw_runs):.2f}×, "
            f"file / raw INSERT {median(upload_runs) / median(raw_runs):.2f}×; "
            f"raw runs {ms(raw_runs)})",
            targets.ratio(
                f"{ROWS:,} new weights and heights: the API / the file upload",
                api_runs,
                upload_runs,
                at_most=WRITE_TARGET,
            ),
        ]

        # --- 2. a roster page of 500 learners against its SQL sent raw -----------------------------
        if vendor == "postgresql":
            # The statistics autovacuum keeps in production: fresh tables are taken as empty, and
            # the page's query sorted the school's every enrollment to keep 501 of them.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        roster_url = reverse("api:roster", args=[school.code])
        page_url = f"{roster_url}?page_size={PAGE}"
        statements = page_queries(reader, page_url)
        small = page_queries(reader, f"{roster_url}?page_size={SMALL_PAGE}")

        def page(_i):
            response = reader.get(page_url)
            assert response.status_code == 200, response.content[:300]
            assert len(response.json()["results"]) == PAGE

        def raw_page(_i):
            sql_replay(statements)

        page_runs, page_raw_runs = interleaved(page, raw_page, repeat=RUNS)
        lines += [
            f"a roster page of {PAGE} learners (read key): median {median(page_runs) * 1000:.1f} ms "
            f"(runs {ms(page_runs)}); its {len(statements)} SQL statements sent raw "
            f"{median(page_raw_runs) * 1000:.1f} ms (runs {ms(page_raw_runs)}), "
            f"{median(page_runs) / median(page_raw_runs):.1f}×",
            targets.at_most(
                f"a roster page of {PAGE} learners: median",
                median(page_runs) * 1000,
                PAGE_TARGET_MS,
                " ms",
            ),
            targets.equal(
                f"a roster page's queries: {SMALL_PAGE} learners / {PAGE} learners",
                f"{len(small)} / {len(statements)}",
                f"{len(statements)} / {len(statements)}",
            ),
        ]

        # --- 3. the whole roster through its cursor pages ----------------------------------------
        def read_all(page_size):
            def run(_i):
                url, params, requests, learners = roster_url, {}, 0, 0
                if page_size:
                    params = {"page_size": page_size}
                while url:
                    response = reader.get(url, params)
                    assert response.status_code == 200, response.content[:300]
                    body = response.json()
                    requests, learners = requests + 1, learners + len(body["results"])
                    url, params = body["next"], {}
                assert learners == ROWS, learners
                counts[page_size] = requests

            return run

        counts: dict[int | None, int] = {}
        default_runs, big_runs = interleaved(read_all(None), read_all(PAGE), repeat=RUNS)
        for label, runs, key in (
            ("the default page size (100)", default_runs, None),
            (f"pages of {PAGE}", big_runs, PAGE),
        ):
            lines.append(
                f"the whole roster of {ROWS:,} learners at {label}: {counts[key]} requests, "
                f"median {median(runs) * 1000:.0f} ms in all, "
                f"{median(runs) * 1000 / counts[key]:.1f} ms a request (runs {ms(runs)})"
            )
        on, speed = machine(), machine_speed()

    report(f"api.{vendor}", lines, on=on, speed=speed)
    targets.exit()


if __name__ == "__main__":
    main()
