"""The national counts and allocation reports over one million certified learners in 10,000
schools, against one hand-written SQL aggregate of the same figures, in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/opendmc_bench .venv/bin/python bench/bench_reports.py

With --scale, the same comparison on the seed_scale database (all its certified learners):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/opendmc_scale .venv/bin/python bench/bench_reports.py --scale
"""

import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import machine, report, setup_django, throwaway_database, timed  # noqa: E402

AREAS, SCHOOLS, PER_SCHOOL = 245, 10_000, 100
GRADES = ["01K1", "02K2", "03K3", "04P1", "05P2", "06P3", "07P4", "08P5", "09P6",
          "10M1", "11M2", "12M3", "13M4", "14M5", "15M6"]  # fmt: skip

LOAD_SQL = [
    # learners: i = 0 … 999,999; school i / 100; K1 learners born in 2021 are under 4 in June 2024.
    """INSERT INTO schools_student (public_id, citizen_id, title, first_name_th, last_name_th,
        first_name_en, last_name_en, sex, birth_date, nationality, created_at, updated_at)
    SELECT gen_random_uuid(), '1' || lpad(i::text, 12, '0'), 'ด.ช.', 'ธนกฤต', 'ศรีสุข', '', '',
        CASE WHEN i %% 2 = 0 THEN 'M' ELSE 'F' END,
        CASE WHEN i %% 15 = 0 AND i %% 7 = 0 THEN DATE '2021-01-01' ELSE DATE '2012-01-01' END,
        'ไทย', now(), now()
    FROM generate_series(0, %(n)s - 1) AS i""",
    """INSERT INTO census_snapshotrow (snapshot_id, student_id, citizen_id, gcode, title,
        first_name_th, last_name_th, sex, birth_date, grade, room)
    SELECT snap.id, st.id, st.citizen_id, '', st.title, st.first_name_th, st.last_name_th, st.sex,
        st.birth_date, (%(grades)s::text[])[1 + (substr(st.citizen_id, 2)::int %% 15)], 1
    FROM schools_student st
    JOIN census_rostersnapshot snap
      ON snap.round_id = %(round)s AND snap.school_id = %(first_school)s + substr(st.citizen_id, 2)::int / %(per)s""",
    # the snapshot's counts, as the freeze writes them
    """UPDATE census_rostersnapshot s SET counts = c.counts, learner_count = c.n
    FROM (SELECT snapshot_id, sum(m + f) AS n,
                 jsonb_object_agg(grade, jsonb_build_object('M', m, 'F', f) ORDER BY grade) AS counts
          FROM (SELECT snapshot_id, grade, count(*) FILTER (WHERE sex = 'M') AS m,
                       count(*) FILTER (WHERE sex = 'F') AS f
                FROM census_snapshotrow GROUP BY snapshot_id, grade) g
          GROUP BY snapshot_id) c
    WHERE c.snapshot_id = s.id""",
    "ANALYZE",
]

# The same figures by hand: learners by area × grade × sex, and each school's funded amount.
HAND_COUNTS = """
SELECT sc.area_office_id, r.grade, r.sex, count(*)
FROM census_snapshotrow r JOIN census_rostersnapshot s ON s.id = r.snapshot_id
JOIN schools_school sc ON sc.id = s.school_id
WHERE s.round_id = %s AND s.status = 'certified'
GROUP BY 1, 2, 3
"""
HAND_ALLOCATION = """
WITH rates(grade, per) AS (SELECT * FROM unnest(%s::text[], %s::numeric[])),
counts AS (
  SELECT s.school_id, r.grade, count(*) FILTER (WHERE r.birth_date <= %s) AS funded
  FROM census_snapshotrow r JOIN census_rostersnapshot s ON s.id = r.snapshot_id
  WHERE s.round_id = %s AND s.status = 'certified'
  GROUP BY 1, 2)
SELECT c.school_id, sum(round(c.funded * rates.per, 2)) FROM counts c JOIN rates USING (grade)
GROUP BY 1
"""


def main() -> None:
    setup_django()
    from django.db import connection
    from django.utils import timezone

    from accounts.models import Role, User
    from accounts.services import membership_create
    from census import subsidy
    from census.models import RosterSnapshot, SchoolRound
    from census.services import academic_year_create
    from schools.models import AreaOffice, School

    with throwaway_database():
        start = time.perf_counter()
        areas = AreaOffice.objects.bulk_create(
            AreaOffice(code=f"A{i:03d}", name_th=f"เขต {i}", kind="primary") for i in range(AREAS)
        )
        schools = School.objects.bulk_create(
            School(code=f"{1000000000 + i}", name_th=f"โรงเรียน {i}", area_office=areas[i % AREAS],
                   province="x")
            for i in range(SCHOOLS)
        )  # fmt: skip
        certifier = User.objects.create(username="director")
        admin = User.objects.create(username="admin")
        membership_create(user=admin, role=Role.MINISTRY_ADMIN)
        academic_year_create(year_be=2567, actor=None)
        june = SchoolRound.objects.model.round.field.related_model.objects.get(
            academic_year__year=2567, number=1
        )
        school_rounds = SchoolRound.objects.bulk_create(
            SchoolRound(round=june, school=s, state="certified") for s in schools
        )
        now = timezone.now()
        RosterSnapshot.objects.bulk_create(
            RosterSnapshot(school_round=sr, school_id=sr.school_id, round=june, as_of=june.as_of,
                           certified_at=now, certified_by=certifier)
            for sr in school_rounds
        )  # fmt: skip
        with connection.cursor() as cursor:
            params = {"n": SCHOOLS * PER_SCHOOL, "grades": GRADES, "round": june.pk,
                      "first_school": schools[0].pk, "per": PER_SCHOOL}  # fmt: skip
            for sql in LOAD_SQL:
                cursor.execute(sql, params if "%(" in sql else None)
        # FY 2568 pays term 2 of 2567: tuition, supplies and activities at every level.
        for level, tuition in (("pre_primary", 1836), ("primary", 2052),
                               ("lower_secondary", 3780), ("upper_secondary", 4104)):  # fmt: skip
            for item, baht in (
                ("tuition", tuition),
                ("learning_supplies", 600),
                ("activities", 480),
            ):
                subsidy.subsidy_rate_create(actor=None, fiscal_year=2568, item=item, level=level,
                                            baht_per_year=Decimal(baht), status="confirmed")  # fmt: skip
        load = time.perf_counter() - start
        learners = sum(RosterSnapshot.objects.values_list("learner_count", flat=True))
        assert learners == SCHOOLS * PER_SCHOOL, learners
        sample = RosterSnapshot.objects.order_by("pk").first()
        assert sum(v["M"] + v["F"] for v in sample.counts.values()) == sample.rows.count()

        figures = compare(round=june, academic_year=2567, admin=admin)
        on = machine()

    report(
        "reports",
        [
            f"data: {AREAS} area offices, {SCHOOLS:,} schools, {learners:,} certified learners "
            f"(SnapshotRow by INSERT … SELECT generate_series; counts JSON matches); load {load:.0f} s",
            *figures["lines"],
        ],
        on=on,
    )


def compare(*, round, academic_year: int, admin, repeat: int = 5) -> dict:
    """Time the national counts and the term-2 allocation (selectors) against hand-written SQL
    of the same figures, check they agree, and time both pages; return the report lines."""
    from django.db import connection
    from django.test import Client

    from census import reports, subsidy
    from schools.models import AreaOffice, School

    scope = reports.Scope(
        areas=list(AreaOffice.objects.order_by("code")), area=None,
        _areas_qs=AreaOffice.objects.all(), national=True,
    )  # fmt: skip
    results = {}

    def ours(_i):
        results["counts"] = reports.counts_report(scope=scope, round=round)
        results["allocation"] = subsidy.allocation_summary(
            schools=School.objects.all(), academic_year=academic_year, term=2
        )

    cutoff = subsidy.funded_born_after(round.as_of)
    fiscal_year = subsidy.fiscal_year_of_term(academic_year=academic_year, term=2)
    book = subsidy.RateBook.load(fiscal_year)
    per_grade = []
    for grade in GRADES:
        per = Decimal(0)
        for item in subsidy.items_of_term(2):
            rate = book.rate(item=item, grade=grade)
            per += subsidy.per_payment_rate(item=item, baht_per_year=rate.baht_per_year)
        per_grade.append(per)

    def hand(_i):
        with connection.cursor() as cursor:
            cursor.execute(HAND_COUNTS, [round.pk])
            results["hand_counts"] = cursor.fetchall()
            cursor.execute(HAND_ALLOCATION, [GRADES, per_grade, cutoff, round.pk])
            results["hand_allocation"] = cursor.fetchall()

    ours(0)
    hand(0)  # warm both, then check they agree
    summary = results["allocation"]
    hand_total = sum(amount for _s, amount in results["hand_allocation"])
    assert summary.total == hand_total, (summary.total, hand_total)
    assert results["counts"]["grades"].total[3] == sum(n for *_k, n in results["hand_counts"])
    ours_med, ours_runs = timed(ours, repeat=repeat)
    hand_med, hand_runs = timed(hand, repeat=repeat)

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(admin)
    pages = {}
    for name, url in (("counts", f"/census/reports/?round={round.pk}"),
                      ("allocation", f"/census/reports/allocation/?year={academic_year}&term=2")):  # fmt: skip
        client.get(url)
        pages[name], _runs = timed(lambda _i, url=url: client.get(url), repeat=3)
    year = academic_year
    return {
        "hand_sql": (HAND_COUNTS, [round.pk]),
        "lines": [
            f"national counts (area × grade × sex) + allocation of term 2/{year} per school, area, "
            f"item (selectors, ORM + Python): median {ours_med * 1000:.0f} ms "
            f"(runs {', '.join(f'{r * 1000:.0f}' for r in ours_runs)})",
            f"the same figures by two hand-written SQL aggregates: median {hand_med * 1000:.0f} ms "
            f"(runs {', '.join(f'{r * 1000:.0f}' for r in hand_runs)})",
            f"ratio selectors / hand SQL: {ours_med / hand_med:.2f}× — target ≤ 2×",
            f"national total {summary.total:,.2f} baht = hand SQL {hand_total:,.2f}",
            f"full pages as the ministry admin: counts {pages['counts'] * 1000:.0f} ms, "
            f"allocation {pages['allocation'] * 1000:.0f} ms (median of 3)",
        ],
    }


def rates_create(fiscal_year: int) -> None:
    """Load the term-2 rates of a fiscal year (tuition, supplies, activities) where missing."""
    from census import subsidy
    from census.models import SubsidyRate

    for level, tuition in (("pre_primary", 1836), ("primary", 2052),
                           ("lower_secondary", 3780), ("upper_secondary", 4104)):  # fmt: skip
        for item, baht in (("tuition", tuition), ("learning_supplies", 600), ("activities", 480)):
            if not SubsidyRate.objects.filter(
                fiscal_year=fiscal_year, item=item, level=level, grade=""
            ).exists():
                subsidy.subsidy_rate_create(actor=None, fiscal_year=fiscal_year, item=item,
                                            level=level, baht_per_year=Decimal(baht),
                                            status="confirmed")  # fmt: skip


def main_scale() -> None:
    """The same comparison on seed_scale data (the round `seed_scale --round` froze)."""
    setup_django()
    from accounts.models import User
    from bench import scale_data
    from census import subsidy
    from census.models import RosterSnapshot, SchoolRound, SnapshotRow
    from schools.models import Enrollment

    schools = scale_data.require_scale_data()
    school_round = SchoolRound.objects.select_related("round__academic_year").first()
    if school_round is None:
        sys.exit("No round: run `manage.py seed_scale … --round` first.")
    round = school_round.round
    year = round.academic_year.year
    rates_create(subsidy.fiscal_year_of_term(academic_year=year, term=2))
    learners = Enrollment.objects.filter(status="active").count()
    certified = SnapshotRow.objects.filter(snapshot__round=round).count()
    snapshots = RosterSnapshot.objects.filter(round=round, status="certified").count()
    figures = compare(
        round=round, academic_year=year, admin=User.objects.get(username="scale.admin"), repeat=3
    )
    sql, params = figures["hand_sql"]
    scale_data.write_plan("reports_scale", "-- hand counts\n" + scale_data.explain(sql, params))
    report(
        "reports_scale",
        [
            f"data: seed_scale, {schools:,} schools, {learners:,} learners; round {round}: "
            f"{snapshots:,} certified schools, {certified:,} certified learners (SnapshotRow)",
            *figures["lines"],
        ],
        on=machine(),
    )


if __name__ == "__main__":
    main_scale() if "--scale" in sys.argv[1:] else main()
