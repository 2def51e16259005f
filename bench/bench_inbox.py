"""The inbox ("My tasks") on seed_scale data: an area officer with 10,000 open dropout requests in
their area, while every school of the country has its certification task open; and a school's
staff, whose one task hides among them. Each page (the officer's first, middle and last) against
the SQL it runs, sent raw, the two interleaved (ABAB…, median of the runs), and its query count.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/opendmc_scale .venv/bin/python bench/bench_inbox.py

Targets: each page ≤ 5× its SQL sent raw, and 7 queries (QUERIES) however many tasks.
A full run reads the seed_scale database (10,000 requests); --check (2,000 requests) and --smoke
(40) make their own throwaway one (bench/scale_data.py: CHECK_SCALE, SMOKE_SCALE).
The set-up (cloned processes, a second round) is replaced on every run; seed_scale wipes it.
Results: bench/results/inbox.txt and its query plans in inbox.plan.txt.
"""

import argparse
import sys
import time

import setup_django  # noqa: F401 — first: Django set up (bench/setup_django.py)

from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from bench import scale_data
from bench.common import (
    Targets,
    machine,
    machine_speed,
    page_check,
    report,
    sign_in,
    size,
)
from census.models import Round, SchoolRound
from schools.bulk import insert_rows
from schools.models import Enrollment, School
from workflows import selectors
from workflows.models import CertificationProcess, DropoutProcess
from workflows.requests import dropout_request
from workflows.selectors import INBOX_PAGE_SIZE, actionable_tasks
from workflows.services import round_open

REQUESTS = size(30, check=15, smoke=3)
QUERIES = 7  # the inbox's queries, whatever the number of tasks or the page


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=size(10_000, check=2000, smoke=40))
    parser.add_argument("--check", action="store_true", help="a middle size, targets asserted")
    parser.add_argument("--smoke", action="store_true", help="a tiny run in a throwaway database")
    args = parser.parse_args()

    with scale_data.mode_database():
        measure(args)


def measure(args) -> None:
    targets = Targets()
    n_schools = scale_data.require_scale_data()
    area = scale_data.area_near(200)
    officer = User.objects.get(username=f"scale.area.{area.code.lower()}")
    start = time.perf_counter()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE viewflow_process RESTART IDENTITY CASCADE")
        # Round 2 of this academic year: one school's process started by the flow, then copied to
        # every other school, as round_open would leave them (each staff's "prepare" task open).
        round1 = Round.objects.filter(is_demo=False, number=1, opened_at__isnull=False).latest(
            "as_of"
        )
        round2 = Round.objects.get(academic_year=round1.academic_year_id, number=2, is_demo=False)
        SchoolRound.objects.filter(round=round2).delete()
        first = School.objects.filter(area_office=area).order_by("pk").first()
        round_open(round=round2, schools=School.objects.filter(pk=first.pk))
        template = CertificationProcess.objects.get(round=round2)
        others = list(
            School.objects.exclude(pk=first.pk).order_by("pk").values_list("pk", flat=True)
        )
        insert_rows(
            SchoolRound,
            ["round", "school", "state", "last_rejection", "revoked_reason", "updated_at"],
            [(round2.pk, pk, "not_started", "", "", timezone.now()) for pk in others],
        )
        school_rounds = dict(
            SchoolRound.objects.filter(round=round2).values_list("school_id", "pk")
        )
        scale_data.clone_process(
            template,
            "workflows_certificationprocess",
            [{"school_id": pk, "school_round_id": school_rounds[pk]} for pk in others],
            task_obj_pk=lambda v: v["school_id"],
        )
        # 10,000 dropout requests from the area's schools, awaiting the area office.
        enrollments = list(
            Enrollment.objects.filter(school__area_office=area, status="active")
            .order_by("pk")
            .values_list("pk", "student_id", "school_id")[: args.tasks]
        )
        if len(enrollments) < args.tasks:
            sys.exit(f"Area {area.code} has only {len(enrollments)} learners.")
        staff = dict(
            User.objects.filter(username__startswith="scale.staff.").values_list("username", "pk")
        )
        codes = dict(School.objects.filter(area_office=area).values_list("pk", "code"))
        e0 = Enrollment.objects.get(pk=enrollments[0][0])
        template = dropout_request(
            enrollment=e0, actor=User.objects.get(pk=staff[f"scale.staff.{codes[e0.school_id]}"]),
            kind="dropped_out", reason="family_moved", reason_note="",
            effective_on=timezone.localdate(),
        )  # fmt: skip
        scale_data.clone_process(
            template,
            "workflows_dropoutprocess",
            [{"enrollment_id": e, "student_id": s, "school_id": sc,
              "requested_by_id": staff[f"scale.staff.{codes[sc]}"]}
             for e, s, sc in enrollments[1:]],
        )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE viewflow_process, viewflow_task, workflows_certificationprocess, "
                       "workflows_dropoutprocess, census_schoolround")  # fmt: skip
    setup = time.perf_counter() - start
    open_tasks = actionable_tasks(user=User.objects.get(username="scale.admin")).count()
    staff_user = User.objects.get(username=f"scale.staff.{first.code}")
    counts = {
        "officer": actionable_tasks(user=officer).count(),
        "staff": actionable_tasks(user=staff_user).count(),
    }
    assert counts["officer"] == args.tasks, counts
    assert counts["staff"] == 1, counts
    total_tasks = CertificationProcess.objects.count() + DropoutProcess.objects.count()

    url = reverse("workflows:inbox")
    lines = [
        f"data: seed_scale, {n_schools:,} schools; {total_tasks:,} open processes "
        f"({n_schools:,} certification 'prepare' tasks, {args.tasks:,} dropout approvals in area "
        f"{area.code} of {area.n} schools); set-up {setup:.0f} s; admin sees {open_tasks} tasks",
        f"{REQUESTS} requests a page, each interleaved with its SQL",
    ]
    # The officer's first, middle and last pages (1, 100 and 200 at full size).
    last = -(-args.tasks // INBOX_PAGE_SIZE)
    officer_pages = list(dict.fromkeys(("", f"?page={max(1, last // 2)}", f"?page={last}")))
    plans = []
    for who, user, pages in (("area officer", officer, officer_pages),
                             ("school staff", staff_user, ("",))):  # fmt: skip
        client = Client(HTTP_HOST="127.0.0.1")
        sign_in(client, user)
        tasks = counts["officer" if who == "area officer" else "staff"]
        for page in pages:
            label = f"inbox as {who} ({tasks:,} tasks) {url}{page}"
            lines += page_check(
                targets, label, client, url + page, queries=QUERIES, repeat=REQUESTS
            )
        ids = selectors._actionable(user).order_by("created", "pk").values_list("pk", flat=True)
        sql, params = ids.order_by().query.sql_with_params()
        count_sql = f"SELECT count(*) FROM ({sql}) AS c"  # noqa: S608
        plans.append(f"-- inbox count as {who}\n{scale_data.explain(count_sql, params)}")
        sql, params = ids[:50].query.sql_with_params()
        plans.append(f"-- inbox page 1 ids as {who}\n{scale_data.explain(sql, params)}")
    scale_data.write_plan("inbox", "\n\n".join(plans))
    report("inbox", lines, on=machine(), speed=machine_speed())
    targets.exit()


if __name__ == "__main__":
    main()
