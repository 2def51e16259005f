"""The count-day dashboards on seed_scale data: an area office of about 200 schools (as its area
officer) and the national dashboard of every area office (as the ministry admin), for the round
that `seed_scale --round` left in a mix of states. Each page against the SQL it runs, sent raw,
the two interleaved (ABAB…, median of the runs), and its query count.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/opendmc_scale .venv/bin/python bench/bench_dashboard.py

Targets: each page ≤ 5× its SQL sent raw, and its fixed number of queries (QUERIES).
A full run reads the seed_scale database; --check and --smoke make their own throwaway one
(bench/scale_data.py: CHECK_SCALE, 25 area offices, 5,000 schools, 500,000 learners; SMOKE_SCALE).
Results: bench/results/dashboard.txt and its query plans in dashboard.plan.txt.
"""

import sys

import setup_django  # noqa: F401 — first: Django set up (bench/setup_django.py)

from django.db.models import Count
from django.test import Client

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
from census import dashboard
from census.models import SchoolRound
from schools.models import AreaOffice, Enrollment

REQUESTS = size(30, check=15, smoke=3)
# The queries of each page, whatever the number of schools or area offices.
QUERIES = {"area": 10, "national": 7}  # the area page: + the measurements to check, its own windows


def main() -> None:
    with scale_data.mode_database():
        measure()


def measure() -> None:
    targets = Targets()
    n_schools = scale_data.require_scale_data()
    school_round = SchoolRound.objects.select_related("round").order_by("-round__as_of").first()
    if school_round is None:
        sys.exit("No round: run `manage.py seed_scale … --round` first.")
    round = school_round.round
    states = dict(
        SchoolRound.objects.filter(round=round).values_list("state").annotate(n=Count("pk"))
    )
    area = scale_data.area_near(200)
    learners = Enrollment.objects.filter(status="active").count()
    area_learners = Enrollment.objects.filter(status="active", school__area_office=area).count()
    lines = [
        f"data: seed_scale, {AreaOffice.objects.count()} area offices, {n_schools:,} schools, "
        f"{learners:,} learners; round {round}: "
        + ", ".join(f"{s} {n:,}" for s, n in sorted(states.items())),
        f"{REQUESTS} requests a page, each interleaved with its SQL",
    ]
    pages = (
        ("area dashboard", f"area {area.code}: {area.n} schools, {area_learners:,} learners",
         f"scale.area.{area.code.lower()}",
         f"/census/areas/{area.code}/dashboard/?round={round.pk}", QUERIES["area"]),
        ("area dashboard, certified only, by learners", "the same area",
         f"scale.area.{area.code.lower()}",
         f"/census/areas/{area.code}/dashboard/?round={round.pk}&state=certified&sort=learners",
         QUERIES["area"]),
        ("national dashboard", f"{AreaOffice.objects.count()} area offices", "scale.admin",
         f"/census/dashboard/?round={round.pk}", QUERIES["national"]),
    )  # fmt: skip
    for label, what, username, url, queries in pages:
        client = Client(HTTP_HOST="127.0.0.1")
        sign_in(client, User.objects.get(username=username))
        lines.append(f"{label} ({what}): {url}")
        lines += page_check(targets, label, client, url, queries=queries, repeat=REQUESTS)
    schools_sql, params = dashboard.area_schools(
        area_office=area, round=round
    ).query.sql_with_params()
    national = SchoolRound.objects.filter(round=round).values("school__area_office_id", "state")
    national_sql, national_params = national.annotate(n=Count("pk")).query.sql_with_params()
    scale_data.write_plan(
        "dashboard",
        f"-- area dashboard: the area's schools with state, learners, certified count\n"
        f"{scale_data.explain(schools_sql, params)}\n\n"
        f"-- national dashboard: schools per area office and state\n"
        f"{scale_data.explain(national_sql, national_params)}",
    )
    report("dashboard", lines, on=machine(), speed=machine_speed())
    targets.exit()


if __name__ == "__main__":
    main()
