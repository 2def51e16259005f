"""The national nutrition report over 3.2 million certified learners in 29,000 schools, against
hand-written SQL of the same figures, in the same run, the sides interleaved (ABAB…, median of the
runs); and the report page against the SQL it runs sent raw.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/opendmc_bench .venv/bin/python bench/bench_nutrition.py

The report (census/reports.py nutrition_report: percent per band by area office × grade × sex,
round over round) reads the counts per band written at each freeze; the hand-written SQL reads the
same counts (like for like: the target, ≤ 2×), and the learners' rows themselves (the ground truth:
a figure, not a target). The three must agree cell by cell.
--check: 50 area offices, 2,000 schools, 220,000 learners; --smoke: 3 area offices, 30 schools,
3,300 learners (each in a throwaway database). Results: bench/results/nutrition.txt.
"""

import time

import setup_django  # noqa: F401 — first: Django set up (bench/setup_django.py)

from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import Role, User
from accounts.services import membership_create
from bench.common import (
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
from census import reports
from census.models import RosterSnapshot, Round, SchoolRound
from census.services import academic_year_create, snapshot_nutrition_counts_write
from schools.models import AreaOffice, School

AREAS = size(245, check=50, smoke=3)
SCHOOLS = size(29_000, check=2000, smoke=30)
PER_SCHOOL = 110
RUNS = size(5, check=5, smoke=2)
TARGET = 2.0  # the report against the hand-written SQL over the same counts
# The page's queries as the ministry, whatever the size: computed (the cache emptied before each
# view, the session read again with it), and with the figures kept between views.
QUERIES = 9
KEPT_QUERIES = 6
GRADES = ["01K1", "02K2", "03K3", "04P1", "05P2", "06P3", "07P4", "08P5", "09P6",
          "10M1", "11M2", "12M3", "13M4", "14M5", "15M6"]  # fmt: skip
# A spread of bands, one learner in 20 with no status (not measured, or beyond ±5).
WFH = ["thin", "rather_thin", "proportionate", "proportionate", "proportionate", "proportionate",
       "proportionate", "proportionate", "proportionate", "proportionate", "proportionate",
       "proportionate", "proportionate", "plump", "plump", "getting_fat", "getting_fat", "obese",
       "obese", ""]  # fmt: skip
HFA = ["short", "rather_short", "height_normal", "height_normal", "height_normal", "height_normal",
       "height_normal", "height_normal", "height_normal", "height_normal", "height_normal",
       "height_normal", "height_normal", "height_normal", "height_normal", "height_normal",
       "rather_tall", "tall", "height_normal", ""]  # fmt: skip

LOAD_SQL = [
    """INSERT INTO schools_student (public_id, citizen_id, title, first_name_th, last_name_th,
        first_name_en, last_name_en, sex, birth_date, nationality, created_at, updated_at)
    SELECT gen_random_uuid(), '1' || lpad(i::text, 12, '0'), 'ด.ช.', 'ธนกฤต', 'ศรีสุข', '', '',
        CASE WHEN i %% 2 = 0 THEN 'M' ELSE 'F' END, DATE '2014-01-01', 'ไทย', now(), now()
    FROM generate_series(0, %(n)s - 1) AS i""",
    # The rows as the freeze writes them: figures and their status (bands spread by the ID).
    """INSERT INTO census_snapshotrow (snapshot_id, student_id, citizen_id, gcode, title,
        first_name_th, last_name_th, sex, birth_date, grade, room, weight_kg, height_cm,
        measured_on, wfh_band, hfa_band, wfa_band, nutrition_issue, nutrition_reference)
    SELECT snap.id, st.id, st.citizen_id, '', st.title, st.first_name_th, st.last_name_th, st.sex,
        st.birth_date, (%(grades)s::text[])[1 + (substr(st.citizen_id, 2)::int %% 15)], 1,
        30.0, 135.0, DATE '2024-06-01',
        (%(wfh)s::text[])[1 + (substr(st.citizen_id, 2)::int / 7 %% 20)],
        (%(hfa)s::text[])[1 + (substr(st.citizen_id, 2)::int / 3 %% 20)], '', '', 'bench'
    FROM schools_student st
    JOIN census_rostersnapshot snap
      ON snap.round_id = %(round)s AND snap.school_id = %(first_school)s + substr(st.citizen_id, 2)::int / %(per)s""",
    "ANALYZE",
]

# The same figures by hand, over the counts written at each freeze (what the report reads): the
# cells by area office × grade × sex × band, and the bands of each round (the trend).
HAND_COUNTS = """
SELECT sc.area_office_id, c.grade, c.sex, c.band, sum(c.learners)
FROM census_snapshotnutritioncount c JOIN census_rostersnapshot s ON s.id = c.snapshot_id
JOIN schools_school sc ON sc.id = s.school_id
WHERE s.round_id = %s AND s.status = 'certified' AND c.indicator = 'wfh'
GROUP BY 1, 2, 3, 4
"""
HAND_TREND = """
SELECT s.round_id, c.band, sum(c.learners)
FROM census_snapshotnutritioncount c JOIN census_rostersnapshot s ON s.id = c.snapshot_id
WHERE s.round_id = ANY(%s) AND s.status = 'certified' AND c.indicator = 'wfh'
GROUP BY 1, 2
"""
# The ground truth: the learners' rows themselves.
HAND_ROWS = """
SELECT sc.area_office_id, r.grade, r.sex, r.wfh_band, count(*)
FROM census_snapshotrow r JOIN census_rostersnapshot s ON s.id = r.snapshot_id
JOIN schools_school sc ON sc.id = s.school_id
WHERE s.round_id = %s AND s.status = 'certified'
GROUP BY 1, 2, 3, 4
"""


def nutrition_counts_write() -> int:
    """Write every snapshot's counts per band with the freeze's own statement (census.services),
    for all of them at once; return how many snapshots."""
    snapshot_nutrition_counts_write(snapshots=RosterSnapshot.objects.all())
    return RosterSnapshot.objects.count()


def main(targets: Targets) -> None:
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
        june = Round.objects.get(academic_year__year=2567, number=1)
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
                      "first_school": schools[0].pk, "per": PER_SCHOOL, "wfh": WFH,
                      "hfa": HFA}  # fmt: skip
            for sql in LOAD_SQL:
                cursor.execute(sql, params if "%(" in sql else None)
        written = nutrition_counts_write()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE census_snapshotnutritioncount")
        load = time.perf_counter() - start

        scope = reports.Scope(
            areas=list(AreaOffice.objects.order_by("code")), area=None, national=True
        )
        rounds = reports.report_rounds()
        results = {}

        def ours(_i):
            results["ours"] = reports.nutrition_report(
                scope=scope, round=june, indicator="wfh", rounds=rounds
            )

        def hand(_i):
            with connection.cursor() as cursor:
                cursor.execute(HAND_COUNTS, [june.pk])
                results["hand"] = cursor.fetchall()
                cursor.execute(HAND_TREND, [[r.pk for r in rounds if not r.is_demo][:6]])
                results["trend"] = cursor.fetchall()

        def rows(_i):
            with connection.cursor() as cursor:
                cursor.execute(HAND_ROWS, [june.pk])
                results["rows"] = cursor.fetchall()

        ours(0)
        hand(0)
        rows(0)  # warm the three, then check they agree cell by cell
        assert sorted(results["hand"]) == sorted(results["rows"])
        codes = {a.pk: a.code for a in scope.areas}
        labels = reports.grade_labels()
        sexes = {"M": gettext("Male"), "F": gettext("Female")}  # as the report labels them
        expected: dict[tuple, list[int]] = {}
        for area_id, grade, sex, band, n in results["rows"]:
            cell = expected.setdefault((codes[area_id], labels[grade], sexes[sex]), [0, 0])
            cell[0] += n
            cell[1] += n if band == "" else 0
        got = {(r[0], r[2], r[3]): [r[4], r[-1]] for r in results["ours"]["detail"].rows}
        assert got == expected, "the report and the rows disagree"
        learners = sum(n for *_k, n in results["rows"])
        assert learners == SCHOOLS * PER_SCHOOL, learners
        ours_runs, hand_runs, rows_runs = interleaved(ours, hand, rows, repeat=RUNS)

        client = Client(HTTP_HOST="127.0.0.1")
        sign_in(client, admin)  # the ministry signs in with its second factor
        url = f"/census/reports/nutrition/?round={june.pk}"
        page = page_check(
            targets, "national nutrition page as the ministry admin, computed (cache emptied)",
            client, url, queries=QUERIES, repeat=RUNS, before=cache.clear,
        )  # fmt: skip
        page += page_check(
            targets, "national nutrition page as the ministry admin, figures kept", client, url,
            queries=KEPT_QUERIES, repeat=RUNS,
        )  # fmt: skip
        on, speed = machine(), machine_speed()

    report(
        "nutrition",
        [
            f"data: {AREAS} area offices, {SCHOOLS:,} schools, {learners:,} certified learners "
            f"(SnapshotRow by INSERT … SELECT generate_series, bands spread by the ID; counts per "
            f"band written for {written:,} snapshots by the freeze's statement); load {load:.0f} s",
            f"{RUNS} runs a side, the three sides interleaved",
            f"national nutrition report (weight for height: area × grade × sex × band, by sex, "
            f"grade, area, and the trend; ORM + Python): median {median(ours_runs) * 1000:.0f} ms "
            f"(runs {ms(ours_runs)})",
            f"the same figures by hand-written SQL over the counts per band: median "
            f"{median(hand_runs) * 1000:.0f} ms (runs {ms(hand_runs)})",
            f"the same figures by hand-written SQL over the learners' rows (the ground truth): "
            f"median {median(rows_runs) * 1000:.0f} ms (runs {ms(rows_runs)})",
            targets.ratio(
                "report / hand SQL over the counts per band (like for like)",
                ours_runs,
                hand_runs,
                at_most=TARGET,
            ),
            f"report / hand SQL over the learners' rows: "
            f"{median(ours_runs) / median(rows_runs):.2f}× (below 1×: the "
            f"report does not read the rows)",
            "learners and those without a status per area × grade × sex: equal in all three",
            *page,
        ],
        on=on,
        speed=speed,
    )


if __name__ == "__main__":
    targets = Targets()
    main(targets)
    targets.exit()
