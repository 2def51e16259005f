"""Signed records: render + sign a one-page record (median of 10, split into its parts), a
3,000-learner roster annex (once, with its peak memory), their verification, and a record issued
end to end (stored).

    DJANGO_SETTINGS_MODULE=config.settings.local .venv/bin/python bench/bench_documents.py

Targets, fixed (nothing else in the run does the same work to compare with): the one-page record
rendered and signed < 1,000 ms, as this file always stated; the roster annex ≤ 15 s for 3,000
learners (issue 22), pro rata at the smaller sizes (5 ms a learner: 5 s for --check's 1,000), and
the whole process's peak RSS ≤ 600 MB (572 MiB) with it, at every size. The annex is laid out in
chunks of settings.ANNEX_CHUNK_ROWS rows, as document_render does.
Signs with a throwaway development CA; the database is a throwaway test database.
Results: bench/results/documents.txt. --check: 1,000 learners; --smoke: 40.
"""

import os
import resource
import statistics
import tempfile
import time
import tracemalloc
import uuid
from datetime import date, timedelta
from pathlib import Path

import setup_django  # noqa: F401 — first: Django set up (bench/setup_django.py)

from django.conf import settings
from django.test import override_settings
from django.utils import timezone

from accounts.models import User
from bench.common import (
    Targets,
    machine,
    machine_speed,
    ms,
    report,
    size,
    throwaway_database,
    timed,
)
from documents import signing
from documents.models import Kind, SignedDocument
from documents.render import html_render, pdf_render, pdf_render_rows, qr_svg_data_uri
from documents.services import document_issue, verify_url
from documents.verify import pdf_verify
from schools.models import AreaOffice, School

LEARNERS = size(3000, check=1000, smoke=40)
RECORD_RUNS = size(10, check=10, smoke=3)
RECORD_TARGET = 1.0  # seconds: one one-page record rendered and signed
ANNEX_TARGET = 15.0 * LEARNERS / 3000  # seconds: 15 s for the 3,000-learner annex, pro rata
RSS_TARGET = 600 * 1000 * 1000 / 1024 / 1024  # MiB: the process's peak with the annex (issue 22)
FIRST = ["ธนกฤต", "ภูริณัฐ", "กิตติพัศ", "ณัฐวุฒิ", "พิมพ์ชนก", "ปุณยวีร์", "ญาณิศา", "ฐิติกานต์"]
LAST = ["ศรีสุข", "แก้วมณี", "บุญมา", "ทองดี", "ใจดี", "วงศ์ปัญญา", "ปิ่นทอง"]
GRADES = ["ป.1", "ป.2", "ป.3", "ป.4", "ป.5", "ป.6"]


def summary_context() -> dict:
    return {
        "intro": "ผู้อำนวยการโรงเรียนรับรองข้อมูลนักเรียนรายบุคคล ณ วันที่ 10 มิถุนายน 2569",
        "facts": [("รอบการนับ", "รอบ 2569/1 · 10 มิ.ย. 2569"), ("จำนวนนักเรียนทั้งสิ้น", "3,000 คน")],
        "counts": {
            "title": "จำนวนนักเรียนจำแนกตามชั้นและเพศ",
            "headers": ["ชั้น", "ชาย", "หญิง", "รวม"],
            "rows": [[g, 250, 250, 500] for g in GRADES],
            "total": ["รวม", 1500, 1500, 3000],
        },
        "note": "บัญชีรายชื่อนักเรียนแนบท้ายเป็นเอกสารลงนามแยกต่างหาก",
    }


def annex_rows() -> list[dict]:
    return [
        {
            "no": i + 1,
            "identifier": f"1-{1000 + i % 9000:04d}-{i % 100:02d}xxx-xx-{i % 10}",
            "name": f"{'ด.ช.' if i % 2 else 'ด.ญ.'}{FIRST[i % len(FIRST)]} {LAST[i % len(LAST)]}",
            "sex": "ชาย" if i % 2 else "หญิง",
            "grade": GRADES[i % len(GRADES)],
            "room": 1 + i % 12,
            "birth_date": date(2014, 1, 1) + timedelta(days=i % 2000),
        }
        for i in range(LEARNERS)
    ]


def main() -> None:
    def record(kind: str, title: str) -> SignedDocument:
        now = timezone.now()
        return SignedDocument(
            public_id=uuid.uuid4(), kind=kind, title=title, actor_name="นายสมชาย ใจดี",
            actor_role="ผู้อำนวยการโรงเรียนบ้านทดสอบ", created_at=now, signed_at=now,
        )  # fmt: skip

    def render_and_sign(
        template: str, context: dict, rec: SignedDocument, chunk_rows: int | None = None
    ) -> tuple[bytes, int]:
        url = verify_url(rec.public_id)
        context = {**context, "record": rec, "verify_url": url, "qr": qr_svg_data_uri(url)}
        if chunk_rows is None:
            rendered = pdf_render(html=html_render(template=template, context=context))
        else:  # as documents.services.document_render does
            rendered = pdf_render_rows(template=template, context=context, chunk_rows=chunk_rows)
        signed = signing.pdf_sign(
            pdf=rendered.data, actor_name=rec.actor_name, actor_role=rec.actor_role,
            signed_at=rec.signed_at, reason=rec.title,
        )  # fmt: skip
        return signed, rendered.pages

    targets = Targets()
    keys_dir = Path(tempfile.mkdtemp())
    signing.development_keys_create(directory=keys_dir)
    lines = []
    with (
        throwaway_database(),
        override_settings(
            SIGNING_DIR=keys_dir,
            SIGNING_P12=None,
            SIGNING_TRUST_ROOTS=[],
            STORAGES={
                "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
                "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
            },
        ),
    ):
        summary = "documents/summary_record.html"
        start = time.perf_counter()
        one_page, pages = render_and_sign(
            summary, summary_context(), record(Kind.CERTIFICATION, "x")
        )
        cold = time.perf_counter() - start
        assert pages == 1 and pdf_verify(data=one_page).valid

        stages = {"html": [], "pdf": [], "sign": []}

        def one_record(_i: int) -> None:
            rec = record(Kind.CERTIFICATION, "บันทึกการรับรองข้อมูลนักเรียน")
            url = verify_url(rec.public_id)
            t0 = time.perf_counter()
            html = html_render(
                template=summary,
                context={**summary_context(), "record": rec, "verify_url": url,
                         "qr": qr_svg_data_uri(url)},
            )  # fmt: skip
            t1 = time.perf_counter()
            data = pdf_render(html=html).data
            t2 = time.perf_counter()
            signing.pdf_sign(
                pdf=data, actor_name=rec.actor_name, actor_role=rec.actor_role,
                signed_at=rec.signed_at, reason=rec.title,
            )  # fmt: skip
            t3 = time.perf_counter()
            for name, took in zip(stages, (t1 - t0, t2 - t1, t3 - t2), strict=True):
                stages[name].append(took)

        median, runs = timed(one_record, repeat=RECORD_RUNS)
        split = ", ".join(f"{k} {statistics.median(v) * 1000:.0f} ms" for k, v in stages.items())
        lines += [
            targets.at_most(
                f"one-page record, render + sign: median of {RECORD_RUNS} (runs {ms(runs)} ms)",
                median * 1000,
                RECORD_TARGET * 1000,
                " ms",
            ),
            f"  of which: {split}",
            f"  first record in a fresh process (fonts and key loaded): {cold * 1000:.0f} ms",
            f"  size {len(one_page):,} bytes",
        ]

        median, runs = timed(lambda _i: pdf_verify(data=one_page), repeat=RECORD_RUNS)
        lines.append(f"verify the one-page record: median {median * 1000:.1f} ms")

        area = AreaOffice.objects.create(code="B001", name_th="เขตทดสอบ", kind="primary")
        school = School.objects.create(
            code="1000000001", name_th="โรงเรียนบ้านทดสอบ", area_office=area, province="x"
        )
        director = User.objects.create(username="director", first_name="สมชาย", last_name="ใจดี")

        def issue(i: int) -> None:
            document_issue(
                step_key=f"bench:{i}", kind=Kind.CERTIFICATION, template=summary,
                context=summary_context(), school=school, actor=director,
                actor_role="ผู้อำนวยการโรงเรียน", title="บันทึกการรับรองข้อมูลนักเรียน",
            )  # fmt: skip

        median, _ = timed(issue, repeat=5)
        lines.append(
            f"document_issue end to end (render, sign, store, insert): median {median * 1000:.0f} ms"
        )
        start = time.perf_counter()
        issue(0)
        lines.append(
            f"document_issue again for the same step: {(time.perf_counter() - start) * 1000:.1f} ms"
        )

        rows = annex_rows()
        annex = record(Kind.ROSTER_ANNEX, "บัญชีรายชื่อนักเรียนแนบท้าย")
        context = {"rows": rows, "as_of": date(2026, 6, 10)}
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        start, cpu_start = time.perf_counter(), time.process_time()
        chunks = settings.ANNEX_CHUNK_ROWS
        annex_pdf, annex_pages = render_and_sign(
            "documents/roster_annex.html", context, annex, chunks
        )
        annex_time = time.perf_counter() - start
        annex_cpu = time.process_time() - cpu_start
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

        tracemalloc.start()
        render_and_sign("documents/roster_annex.html", context, annex, chunks)
        _, traced_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()

        start = time.perf_counter()
        assert pdf_verify(data=annex_pdf).valid
        annex_verify = time.perf_counter() - start
        lines += [
            targets.at_most(
                f"{LEARNERS:,}-learner roster annex, render + sign (once; {annex_pages} pages, "
                f"{len(annex_pdf) / 1024 / 1024:.2f} MiB; chunks of {chunks:,} rows)",
                annex_time,
                ANNEX_TARGET,
                " s",
            ),
            f"  CPU time of this process: {annex_cpu:.2f} s (the rest of the {annex_time:.1f} s "
            f"waited for a core; load {os.getloadavg()[0]:.1f})",
            f"  peak Python allocations (tracemalloc, second run): {traced_peak / 1024 / 1024:.0f} MiB",
            targets.at_most(
                f"  peak process RSS (ru_maxrss) with the annex ({rss_before / 1024:.0f} MiB "
                "before it)",
                rss_after / 1024,
                RSS_TARGET,
                " MiB",
            ),
            f"verify the annex: {annex_verify * 1000:.0f} ms",
        ]
        on, speed = machine(), machine_speed()
    report("documents", lines, on=on, speed=speed)
    targets.exit()


if __name__ == "__main__":
    main()
