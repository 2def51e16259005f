"""The count-day dashboards on seed_scale data: an area office of about 200 schools (as its area
officer) and the national dashboard of every area office (as the ministry admin), for the round
that `seed_scale --round` left in a mix of states. Server time (median/p95) and queries.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/opendmc_scale .venv/bin/python bench/bench_dashboard.py
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import machine, report, setup_django  # noqa: E402

SMOKE = "--smoke" in sys.argv  # make bench-smoke: a tiny seed_scale in a throwaway database
REQUESTS = 3 if SMOKE else 30


def main() -> None:
    setup_django()
    from bench import scale_data

    if SMOKE:
        with scale_data.smoke_database():
            return measure()
    return measure()


def measure() -> None:
    from django.db.models import Count
    from django.test import Client

    from accounts.models import User
    from bench import scale_data
    from census import dashboard
    from census.models import SchoolRound
    from schools.models import AreaOffice, Enrollment

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
    ]
    pages = (
        ("area dashboard", f"scale.area.{area.code.lower()}",
         f"/census/areas/{area.code}/dashboard/?round={round.pk}",
         f"area {area.code}: {area.n} schools, {area_learners:,} learners"),
        ("area dashboard, certified only, by learners", f"scale.area.{area.code.lower()}",
         f"/census/areas/{area.code}/dashboard/?round={round.pk}&state=certified&sort=learners",
         "the same area"),
        ("national dashboard", "scale.admin", f"/census/dashboard/?round={round.pk}",
         f"{AreaOffice.objects.count()} area offices"),
    )  # fmt: skip
    for label, username, url, what in pages:
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(User.objects.get(username=username))
        median, p95, _runs = scale_data.timed_requests(client, url, n=REQUESTS)
        queries = scale_data.queries_of(client, url)
        lines.append(
            f"{label} ({what}) {url}: median {median:.0f} ms, p95 {p95:.0f} ms over {REQUESTS}, "
            f"{queries} queries"
        )
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
    report("dashboard", lines, on=machine())


if __name__ == "__main__":
    main()
