"""The national counts and allocation reports over one million certified learners in 10,000
schools, against hand-written SQL of the same figures, in the same run, the sides interleaved
(ABAB…, median of the runs); and the two report pages, each against the SQL it runs sent raw.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/opendmc_bench .venv/bin/python bench/bench_reports.py

With --scale, the same comparison on the seed_scale database (all its certified learners):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/opendmc_scale .venv/bin/python bench/bench_reports.py --scale

Targets: the selectors ≤ 2× the hand-written SQL over the same grade counts they read (like for
like; the hand SQL over the learners' rows, the ground truth, is a figure, not a target); each page
≤ 5× its SQL sent raw, and its fixed number of queries (QUERIES).
--check and --smoke run both, each in a throwaway database: --check 50 area offices, 2,000 schools,
200,000 learners by generate_series, then the check-size seed_scale (bench/scale_data.py);
--smoke 3 area offices, 30 schools, 3,000 learners, then a tiny seed_scale.
Results: bench/results/reports.txt, reports_scale.txt (and its query plans).
"""

import sys
import time
from decimal import Decimal

import setup_django  # noqa: F401 — first: Django set up (bench/setup_django.py)

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.utils import timezone

from accounts.models import Role, User
from accounts.services import membership_create
from accounts.user_sessions import SEEN_KEY
from bench import scale_data
from bench.common import (
    CHECK,
    SMOKE,
    Targets,
    interleaved,
    machine,
    machine_speed,
    median,
    ms,
    page_check,
    report,
    sign_in,
    size,
    throwaway_database,
)
from census import allocation, rates, reports
from census.models import RosterSnapshot, SchoolRound, SnapshotGradeCount, SnapshotRow, SubsidyRate
from census.services import academic_year_create, snapshots_counts_write
from schools.models import AreaOffice, Enrollment, School

AREAS = size(245, check=50, smoke=3)
SCHOOLS = size(10_000, check=2000, smoke=30)
PER_SCHOOL = 100
RUNS = size(5, check=5, smoke=2)
TARGET = 2.0  # the selectors against the hand-written SQL over the same grade counts
# Each page's queries, whatever the number of schools: (who, page) → queries.
QUERIES = {
    ("the ministry admin", "counts"): 8,
    ("the ministry admin", "allocation"): 9,
    ("the ministry admin", "allocation (figures kept)"): 7,
    ("an area officer", "counts"): 9,
    ("an area officer", "allocation"): 9,
    ("an area officer", "allocation (figures kept)"): 7,
}
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
# The same figures by hand from the grade counts written at each freeze (what the selectors read):
# the honest comparison, now that the selectors no longer read the learners' rows. Like for like:
# every figure the selectors return, in the same rows and columns — the counts by area office ×
# grade × sex with the area's code and name, and the schools certified per area office; the
# allocation of every school (funded or not) with its code, name, area office, snapshot, amount and
# status (none, incomplete, provisional, final: from each grade's rate, missing or not confirmed),
# rolled up per area office, and the funded learners and amount per grade and item.
HAND_SUMMARY_COUNTS = """
SELECT a.id, a.code, a.name_th, g.grade, g.male, g.female
FROM (SELECT sc.area_office_id, c.grade, sum(c.male) AS male, sum(c.female) AS female
      FROM census_snapshotgradecount c JOIN census_rostersnapshot s ON s.id = c.snapshot_id
      JOIN schools_school sc ON sc.id = s.school_id
      WHERE s.round_id = %s AND s.status = 'certified'
      GROUP BY 1, 2) g
JOIN schools_areaoffice a ON a.id = g.area_office_id
"""
HAND_SUMMARY_CERTIFIED = """
SELECT sc.area_office_id, count(*)
FROM census_rostersnapshot s JOIN schools_school sc ON sc.id = s.school_id
WHERE s.round_id = %s AND s.status = 'certified'
GROUP BY 1
"""
# Per certified snapshot: its amount, and whether a funded line misses a rate or has one not
# confirmed; then every school with it (the schools without one: status none).
HAND_SUMMARY_SUMS = """
WITH rates(grade, per, missing, provisional) AS (
  SELECT * FROM unnest(%s::text[], %s::numeric[], %s::bool[], %s::bool[])),
sums AS (
  SELECT s.school_id, s.public_id, coalesce(sum(round((c.learners - c.under_age) * r.per, 2)), 0) AS amount,
    coalesce(bool_or(c.learners > c.under_age AND r.missing), false) AS missing,
    coalesce(bool_or(c.learners > c.under_age AND r.provisional), false) AS provisional
  FROM census_rostersnapshot s
  LEFT JOIN census_snapshotgradecount c ON c.snapshot_id = s.id
  LEFT JOIN rates r ON r.grade = c.grade
  WHERE s.round_id = %s AND s.status = 'certified'
  GROUP BY s.id, s.school_id, s.public_id),
schools AS (
  SELECT sc.id, sc.code, sc.name_th, a.code AS area_code, a.name_th AS area_name, sums.public_id,
    coalesce(sums.amount, 0) AS amount,
    CASE WHEN sums.school_id IS NULL THEN 'none' WHEN sums.missing THEN 'incomplete'
         WHEN sums.provisional THEN 'provisional' ELSE 'final' END AS status
  FROM schools_school sc JOIN schools_areaoffice a ON a.id = sc.area_office_id
  LEFT JOIN sums ON sums.school_id = sc.id)
"""
# Each school, and each area office's roll-up (its code in the school's columns empty), in one pass.
HAND_SUMMARY_SCHOOLS = (
    HAND_SUMMARY_SUMS
    + """
SELECT area_code, area_name, code, name_th, public_id, amount, status, count(*),
  count(*) FILTER (WHERE status <> 'none'), count(*) FILTER (WHERE status = 'none'), sum(amount)
FROM schools
GROUP BY GROUPING SETS ((area_code, area_name, code, name_th, public_id, amount, status),
                        (area_code, area_name))
ORDER BY code IS NULL, code, area_code
"""
)
# The lines grouped by learners funded first (many schools share a line's figures), then × rate.
HAND_SUMMARY_LINES = """
WITH rates(grade, item, per) AS (SELECT * FROM unnest(%s::text[], %s::text[], %s::numeric[])),
lines AS (
  SELECT c.grade, c.learners - c.under_age AS funded, count(*) AS n
  FROM census_snapshotgradecount c JOIN census_rostersnapshot s ON s.id = c.snapshot_id
  WHERE s.round_id = %s AND s.status = 'certified' AND c.learners > c.under_age
  GROUP BY 1, 2)
SELECT l.grade, r.item, sum(l.funded * l.n), sum(round(l.funded * r.per, 2) * l.n)
FROM lines l JOIN rates r ON r.grade = l.grade
GROUP BY 1, 2
"""


def main(targets: Targets) -> None:
    """Load certified learners by generate_series into a throwaway database and compare."""
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
                rates.subsidy_rate_create(actor=None, fiscal_year=2568, item=item, level=level,
                                            baht_per_year=Decimal(baht), status="confirmed")  # fmt: skip
        # The snapshots' counts (per grade, per band, by grade and sex) as the freeze writes them.
        snapshots_counts_write(
            snapshots=RosterSnapshot.objects.filter(round=june), as_of=june.as_of
        )
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE census_rostersnapshot, census_snapshotgradecount")
        load = time.perf_counter() - start
        learners = sum(RosterSnapshot.objects.values_list("learner_count", flat=True))
        assert learners == SCHOOLS * PER_SCHOOL, learners
        sample = RosterSnapshot.objects.order_by("pk").first()
        assert sum(v["M"] + v["F"] for v in sample.counts.values()) == sample.rows.count()

        figures = compare(targets, round=june, academic_year=2567, admin=admin, officer=None)
        on, speed = machine(), machine_speed()

    report(
        "reports",
        [
            f"data: {AREAS} area offices, {SCHOOLS:,} schools, {learners:,} certified learners "
            f"(SnapshotRow by INSERT … SELECT generate_series; counts JSON matches); load {load:.0f} s",
            *figures["lines"],
        ],
        on=on,
        speed=speed,
    )


def compare(targets: Targets, *, round, academic_year: int, admin, officer) -> dict:
    """Time the national counts and the term-2 allocation (selectors) against hand-written SQL
    of the same figures, over the grade counts (like for like) and over the learners' rows (the
    ground truth), interleaved; check they all agree; time both pages against their SQL; return
    the report lines."""
    scope = reports.Scope(areas=list(AreaOffice.objects.order_by("code")), area=None, national=True)
    results = {}

    def ours(_i):
        results["counts"] = reports.counts_report(scope=scope, round=round)
        results["allocation"] = allocation.allocation_summary(
            schools=School.objects.all(), academic_year=academic_year, term=2
        )

    cutoff = allocation.funded_born_after(round.as_of)
    fiscal_year = rates.fiscal_year_of_term(academic_year=academic_year, term=2)
    book = rates.RateBook.load(fiscal_year)
    per_grade, missing, provisional, line_grades, line_items, line_pers = [], [], [], [], [], []
    for grade in GRADES:
        per, lacks, unconfirmed = Decimal(0), False, False
        for item in rates.items_of_term(2):
            rate = book.rate(item=item, grade=grade)
            if rate is None:
                lacks = True
                continue
            unconfirmed |= rate.status != SubsidyRate.Status.CONFIRMED
            each = rates.per_payment_rate(item=item, baht_per_year=rate.baht_per_year)
            per += each
            line_grades.append(grade)
            line_items.append(item)
            line_pers.append(each)
        per_grade.append(per)
        missing.append(lacks)
        provisional.append(unconfirmed)

    def hand(_i):
        with connection.cursor() as cursor:
            cursor.execute(HAND_COUNTS, [round.pk])
            results["hand_counts"] = cursor.fetchall()
            cursor.execute(HAND_ALLOCATION, [GRADES, per_grade, cutoff, round.pk])
            results["hand_allocation"] = cursor.fetchall()

    def hand_summary(_i):
        sums = [GRADES, per_grade, missing, provisional, round.pk]
        with connection.cursor() as cursor:
            cursor.execute(HAND_SUMMARY_COUNTS, [round.pk])
            results["summary_counts"] = cursor.fetchall()
            cursor.execute(HAND_SUMMARY_CERTIFIED, [round.pk])
            results["summary_certified"] = cursor.fetchall()
            cursor.execute(HAND_SUMMARY_SCHOOLS, sums)
            results["summary_schools"] = cursor.fetchall()
            cursor.execute(HAND_SUMMARY_LINES, [line_grades, line_items, line_pers, round.pk])
            results["summary_lines"] = cursor.fetchall()

    ours(0)
    hand(0)
    hand_summary(0)  # warm all three, then check they agree
    summary = results["allocation"]
    hand_total = sum(amount for _s, amount in results["hand_allocation"])
    assert summary.total == hand_total, (summary.total, hand_total)
    # Every figure of the selectors, in the hand SQL over the grade counts too.
    schools_rows = [r for r in results["summary_schools"] if r[2] is not None]
    assert [(r["code"], r["name"], r["area_code"], r["area_name"], r["snapshots"].get("term"),
             r["total"], r["status"]) for r in summary.schools] == [
        (code, name, area_code, area_name, str(public_id) if public_id else None, amount, status)
        for area_code, area_name, code, name, public_id, amount, status, *_area in schools_rows
    ]  # fmt: skip
    by_school = {r["id"]: r["total"] for r in summary.schools if r["status"] != "none"}
    assert by_school == dict(results["hand_allocation"])
    assert [(a["code"], a["name"], a["schools"], a["funded"], a["unfunded"], a["total"])
            for a in summary.areas] == [
        (r[0], r[1], *r[7:]) for r in results["summary_schools"] if r[2] is None
    ]  # fmt: skip
    assert {(g, i): (c["count"], c["amount"]) for (_k, g, i), c in summary.grade_items.items()
            if c["count"]} == {(g, i): (n, amount) for g, i, n, amount in results["summary_lines"]}  # fmt: skip
    by_cell = {(a, g, s): n for a, g, s, n in results["hand_counts"]}
    from_summary = {(a, g, s): n for a, _code, _name, g, m, f in results["summary_counts"]
                    for s, n in (("M", m), ("F", f)) if n}  # fmt: skip
    assert from_summary == by_cell
    assert results["counts"]["grades"].total[3] == sum(by_cell.values())
    certified = dict(results["summary_certified"])
    assert [row[:3] for row in results["counts"]["units"].rows] == [
        [a.code, a.name_th, certified.get(a.pk, 0)] for a in scope.areas
    ]
    ours_runs, summary_runs, hand_runs = interleaved(ours, hand_summary, hand, repeat=RUNS)

    pages = []
    urls = (("counts", f"/census/reports/?round={round.pk}"),
            ("allocation", f"/census/reports/allocation/?year={academic_year}&term=2"))  # fmt: skip
    for who, user in (("the ministry admin", admin), ("an area officer", officer)):
        if user is None:
            continue
        client = Client(HTTP_HOST="127.0.0.1")
        sign_in(client, user)
        seen = f"{SEEN_KEY}:{client.session.session_key}"

        def figures_computed(seen=seen):
            # The cache cleared of the allocation's figures, not of the session's last-seen minute
            # (otherwise each GET would also write the session's row: a query the page does not
            # make for a person who reads it twice within the minute).
            cache.clear()
            cache.add(seen, 1, timeout=settings.SESSION_SEEN_EVERY)

        for name, url in urls:
            # The allocation figures computed (the cache cleared before each GET), then read from
            # the cache (kept until they change); the counts keep nothing.
            for kept in (False,) if name == "counts" else (False, True):
                label = f"{name} (figures kept)" if kept else name
                pages += page_check(
                    targets, f"{label} page as {who}", client, url,
                    queries=QUERIES[who, label], repeat=RUNS,
                    before=None if kept else figures_computed,
                )  # fmt: skip
    year = academic_year
    return {
        "hand_sql": (HAND_COUNTS, [round.pk]),
        "summary_sql": (HAND_SUMMARY_COUNTS, [round.pk]),
        "lines": [
            f"{RUNS} runs a side, the three sides interleaved",
            f"national counts (area × grade × sex) + allocation of term 2/{year} per school, area, "
            f"item (selectors over the grade counts written at the freeze, ORM + Python): "
            f"median {median(ours_runs) * 1000:.0f} ms (runs {ms(ours_runs)})",
            f"the same figures by four hand-written SQL aggregates over the grade counts (every "
            f"row and column the selectors return: names, each school's status, the areas' "
            f"roll-up, the lines per grade and item): median "
            f"{median(summary_runs) * 1000:.0f} ms (runs {ms(summary_runs)})",
            f"the same figures by two hand-written SQL aggregates over the learners' rows (the "
            f"ground truth): median {median(hand_runs) * 1000:.0f} ms (runs {ms(hand_runs)})",
            targets.ratio(
                "selectors / hand SQL over the grade counts (like for like)",
                ours_runs,
                summary_runs,
                at_most=TARGET,
            ),
            f"selectors / hand SQL over the learners' rows: "
            f"{median(ours_runs) / median(hand_runs):.2f}× (below 1×: the selectors do not read "
            f"the rows)",
            f"national total {summary.total:,.2f} baht = hand SQL over the rows {hand_total:,.2f} "
            f"= over the grade counts; counts by area × grade × sex equal in all three",
            *pages,
        ],
    }


def rates_create(fiscal_year: int) -> None:
    """Load the term-2 rates of a fiscal year (tuition, supplies, activities) where missing."""
    for level, tuition in (("pre_primary", 1836), ("primary", 2052),
                           ("lower_secondary", 3780), ("upper_secondary", 4104)):  # fmt: skip
        for item, baht in (("tuition", tuition), ("learning_supplies", 600), ("activities", 480)):
            if not SubsidyRate.objects.filter(
                fiscal_year=fiscal_year, item=item, level=level, grade=""
            ).exists():
                rates.subsidy_rate_create(actor=None, fiscal_year=fiscal_year, item=item,
                                            level=level, baht_per_year=Decimal(baht),
                                            status="confirmed")  # fmt: skip


def main_both(targets: Targets) -> None:
    """For --check and --smoke: both modes at their size, each in a throwaway database."""
    main(targets)
    with scale_data.mode_database():
        measure_scale(targets)


def measure_scale(targets: Targets) -> None:
    """Compare on the seed_scale data of the current database and report the figures."""
    schools = scale_data.require_scale_data()
    school_round = SchoolRound.objects.select_related("round__academic_year").first()
    if school_round is None:
        sys.exit("No round: run `manage.py seed_scale … --round` first.")
    round = school_round.round
    year = round.academic_year.year
    rates_create(rates.fiscal_year_of_term(academic_year=year, term=2))
    learners = Enrollment.objects.filter(status="active").count()
    certified = SnapshotRow.objects.filter(snapshot__round=round).count()
    snapshots = RosterSnapshot.objects.filter(round=round, status="certified").count()
    grade_counts = SnapshotGradeCount.objects.filter(snapshot__round=round).count()
    assert certified and grade_counts, (certified, grade_counts)  # else every check is 0 == 0
    figures = compare(
        targets, round=round, academic_year=year, admin=User.objects.get(username="scale.admin"),
        officer=User.objects.get(username="scale.area.sc001"),
    )  # fmt: skip
    sql, params = figures["hand_sql"]
    plan = "-- hand counts over the rows\n" + scale_data.explain(sql, params)
    sql, params = figures["summary_sql"]
    plan += "\n-- hand counts over the grade counts\n" + scale_data.explain(sql, params)
    scale_data.write_plan("reports_scale", plan)
    report(
        "reports_scale",
        [
            f"data: seed_scale, {schools:,} schools, {learners:,} learners; round {round}: "
            f"{snapshots:,} certified schools, {certified:,} certified learners (SnapshotRow), "
            f"{grade_counts:,} grade counts (SnapshotGradeCount)",
            *figures["lines"],
        ],
        on=machine(),
        speed=machine_speed(),
    )


if __name__ == "__main__":
    targets = Targets()
    if SMOKE or CHECK:
        main_both(targets)
    elif "--scale" in sys.argv[1:]:
        measure_scale(targets)
    else:
        main(targets)
    targets.exit()
