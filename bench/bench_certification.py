"""Confirm and certify a 3,000-learner school: the snapshot freeze against one raw INSERT … SELECT
of the same rows, and the time until the signed certification record exists.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/opendmc_bench .venv/bin/python bench/bench_certification.py
"""

import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import setup_django  # noqa: F401 — first: Django set up (bench/setup_django.py)

from django.db import connection
from django.test import override_settings
from django.utils import timezone

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
from census import services as census
from census.models import RosterSnapshot, Round, SchoolRound
from config.celery import app
from documents import signing
from documents.models import SignedDocument
from documents.services import document_render
from schools.identifiers import citizen_id_check_digit
from schools.models import AreaOffice, Enrollment, Measurement, School, Student
from workflows.models import CertificationProcess
from workflows.services import certification_record, round_open

LEARNERS = size(3000, check=1000, smoke=40)
RUNS = 3 if "--smoke" in sys.argv else 7


def main() -> None:
    targets = Targets()

    app.conf.task_always_eager = False  # the annex waits for a worker; it is timed on its own below
    app.conf.broker_url = "memory://"
    keys_dir = Path(tempfile.mkdtemp())
    signing.development_keys_create(directory=keys_dir)
    with (
        throwaway_database(),
        override_settings(SIGNING_DIR=keys_dir, SIGNING_P12=None, SIGNING_TRUST_ROOTS=[]),
    ):
        area = AreaOffice.objects.create(code="B001", name_th="เขตทดสอบ", kind="primary")
        school = School.objects.create(
            code="1000000001", name_th="โรงเรียนใหญ่", area_office=area, province="x"
        )
        director = User.objects.create(username="director", first_name="สมชาย", last_name="ใจดี")
        students = Student.objects.bulk_create(
            Student(citizen_id=(t := f"1{i:011d}") + str(citizen_id_check_digit(t)), title="ด.ช.",
                    first_name_th="ธนกฤต", last_name_th=f"ศรีสุข{i}", sex="MF"[i % 2], birth_date=date(2012, 1, 1))
            for i in range(LEARNERS)
        )  # fmt: skip
        Enrollment.objects.bulk_create(
            Enrollment(student=s, school=school, grade=f"{10 + i % 6:02d}M{1 + i % 6}", room=1 + i % 40,
                       started_on=date(2026, 5, 16))
            for i, s in enumerate(students)
        )  # fmt: skip
        Measurement.objects.bulk_create(
            Measurement(
                student=s, measured_on=date(2026, 6, 1), weight_kg=45, height_cm=155, source="seed"
            )
            for s in students
        )
        year = census.academic_year_create(year_be=2569, actor=None)
        round = year.rounds.get(number=2)
        moment = round.certify_opens + timedelta(hours=1)
        school_round, _ = SchoolRound.objects.get_or_create(round=round, school=school)

        def new_school_round():
            return SchoolRound.objects.create(round=Round.objects.create(
                academic_year=year, number=1, is_demo=True, as_of=round.as_of,
                confirm_opens=round.confirm_opens, confirm_closes=round.confirm_closes,
                certify_opens=round.certify_opens, certify_closes=round.certify_closes,
                id_correction_cutoff=round.id_correction_cutoff), school=school)  # fmt: skip

        # Each side gets its school round made before the timed part starts.
        freeze_rounds = [new_school_round() for _ in range(RUNS)]
        raw_targets = [
            RosterSnapshot.objects.create(
                school_round=sr, school=school, round=sr.round, as_of=round.as_of,
                certified_at=timezone.now(), certified_by=director,
            )
            for sr in (new_school_round() for _ in range(RUNS))
        ]  # fmt: skip

        def freeze(i):
            snapshot = census.snapshot_freeze(school_round=freeze_rounds[i], actor=director)
            assert snapshot.learner_count == LEARNERS

        def raw(i):
            # The same rows into the same table by the same statement, sent straight to the
            # database: what the freeze costs beyond the one INSERT … SELECT it needs.
            snapshots = RosterSnapshot.objects.filter(pk=raw_targets[i].pk)
            with connection.cursor() as cursor:
                cursor.execute(*census.freeze_sql(snapshots, round.as_of))

        freeze_runs, raw_runs = interleaved(freeze, raw, repeat=RUNS)

        # The count day itself: certify (freeze + state) then the signed certification record.
        round_open(round=round)
        process = CertificationProcess.objects.get(school=school, round=round)
        school_round.refresh_from_db()
        SchoolRound.objects.filter(pk=school_round.pk).update(state="confirmed")
        start = time.perf_counter()
        census.school_round_certify(school_round=school_round, actor=director, at=moment)
        record = certification_record(process=process)
        record = document_render(document_id=record.pk)  # the worker's part, after the commit
        until_record = time.perf_counter() - start
        assert record.sha256

        annex = SignedDocument.objects.get(parent=record)
        start = time.perf_counter()
        document_render(document_id=annex.pk)
        annex_time = time.perf_counter() - start
        annex.refresh_from_db()
        on, speed = machine(), machine_speed()

    report(
        f"certification.{connection.vendor}",
        [
            f"learners in the school: {LEARNERS:,}; {RUNS} runs a side, interleaved",
            targets.ratio(
                "snapshot freeze (INSERT … SELECT with the latest measurement, grade counts, "
                "snapshot row) / the same INSERT … SELECT sent raw",
                freeze_runs,
                raw_runs,
                at_most=2,
            ),  # fmt: skip
            f"certify until the signed certification record exists: {until_record * 1000:.0f} ms",
            f"roster annex ({annex.pages} pages) rendered and signed by the Celery task: "
            f"{annex_time:.1f} s",
        ],
        on=on,
        speed=speed,
    )
    targets.exit()


if __name__ == "__main__":
    main()
