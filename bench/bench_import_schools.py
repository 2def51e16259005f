"""The ministry's school list at the whole country's size (245 area offices, 29,000 schools, Thai
names; demo/register_file.py): the plan (parse, check, diff in bulk), the apply (plan again,
write, log every change) and the same file again, against one raw bulk INSERT of the same rows —
the sides interleaved (ABAB…, median of the runs), each write rolled back after its run so that
every run writes into the same empty register.

    .venv/bin/python bench/bench_import_schools.py            # SQLite, the embedded default
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/opendmc_bench .venv/bin/python bench/bench_import_schools.py

Target: the apply's write of a planned file (its database work: the rows and their change log)
≤ 3× the raw INSERT; the apply end to end (the file read again first) is reported beside it. Results: bench/results/import_schools.<database>.txt.
--check: 5,000 schools; --smoke: 300.
"""

import setup_django  # noqa: F401 — first: Django set up (bench/setup_django.py)

from django.db import connection, transaction

from bench.common import (
    SMOKE,
    Targets,
    interleaved,
    machine,
    machine_speed,
    median,
    ms,
    report,
    size,
    throwaway_database,
)
from demo.register_file import country_rows, to_csv, to_xlsx
from schools.models import AreaOffice, RegisterChange, School
from schools.register import SCHOOL_FIELDS, register_apply, register_plan, register_write

SCHOOLS = size(29_000, check=5_000, smoke=300)
AREAS = size(245, check=45, smoke=5)
RUNS = 2 if SMOKE else 5
TARGET = 3.0
CHUNK = 1000  # rows per multi-row INSERT on SQLite (under its bound-parameter limit)


class Rollback(Exception):
    pass


def main() -> None:
    targets = Targets()
    rows = country_rows(areas=AREAS, schools=SCHOOLS)
    csv_data, xlsx_data = to_csv(rows), to_xlsx(rows)
    with throwaway_database():
        vendor = connection.vendor
        plan = register_plan(data=csv_data, filename="list.csv")
        assert len(plan.added) == AREAS + SCHOOLS and not plan.refused
        areas = [c.values for c in plan.added if c.kind == "area_office"]
        schools = [c.values for c in plan.added if c.kind == "school"]

        def rolled_back(fn):
            def run(i):
                try:
                    with transaction.atomic():
                        fn(i)
                        raise Rollback
                except Rollback:
                    pass

            return run

        # --- the plan: CSV and .xlsx, nothing written ----------------------------------------------
        def plan_csv(_i):
            assert len(register_plan(data=csv_data, filename="list.csv").added) == AREAS + SCHOOLS

        def plan_xlsx(_i):
            assert len(register_plan(data=xlsx_data, filename="list.xlsx").added) == AREAS + SCHOOLS

        csv_runs, xlsx_runs = interleaved(plan_csv, plan_xlsx, repeat=RUNS)

        # --- the apply against the raw INSERT of the same rows ---------------------------------------
        def apply(_i):
            done = register_apply(data=csv_data, filename="list.csv", actor=None)
            assert len(done.added) == AREAS + SCHOOLS
            assert RegisterChange.objects.count() == AREAS + SCHOOLS

        def write(_i):
            # The plan made above still holds: every run is rolled back to the empty register.
            register_write(plan=plan, actor=None)
            assert RegisterChange.objects.count() == AREAS + SCHOOLS

        school_columns = ["code", *SCHOOL_FIELDS]

        def school_values(s, area_ids):
            return [
                s["code"], s["name_th"], s["name_en"], area_ids[s["area_office"]], s["province"],
                s["district"], s["subdistrict"], s["lowest_grade"], s["highest_grade"], s["size"],
                s["status"], s["closed_on"], None,
            ]  # fmt: skip

        def raw(_i):
            quote = connection.ops.quote_name
            school_sql = ", ".join(quote(School._meta.get_field(f).column) for f in school_columns)
            with connection.cursor() as cursor:
                if vendor == "postgresql":
                    cursor.execute(
                        "INSERT INTO schools_areaoffice (code, name_th, name_en, kind, province) "
                        "SELECT * FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[], "
                        "%s::text[]) RETURNING code, id",
                        [[a[k] for a in areas] for k in ("code", "name_th", "name_en", "kind",
                                                          "province")],
                    )  # fmt: skip
                    area_ids = dict(cursor.fetchall())
                    columns = list(zip(*(school_values(s, area_ids) for s in schools), strict=True))
                    types = ["text"] * 3 + ["bigint"] + ["text"] * 7 + ["date", "bigint"]
                    unnest = ", ".join(f"%s::{t}[]" for t in types)
                    cursor.execute(
                        f"INSERT INTO schools_school ({school_sql}) "  # noqa: S608 — names only
                        f"SELECT * FROM unnest({unnest})",
                        [list(c) for c in columns],
                    )
                else:
                    cursor.execute(
                        "INSERT INTO schools_areaoffice (code, name_th, name_en, kind, province) "  # noqa: S608
                        f"VALUES {', '.join(['(%s, %s, %s, %s, %s)'] * len(areas))}",
                        [a[k] for a in areas for k in ("code", "name_th", "name_en", "kind",
                                                        "province")],
                    )  # fmt: skip
                    cursor.execute("SELECT code, id FROM schools_areaoffice")
                    area_ids = dict(cursor.fetchall())
                    row = "(" + ", ".join(["%s"] * len(school_columns)) + ")"
                    for start in range(0, len(schools), CHUNK):
                        chunk = schools[start : start + CHUNK]
                        cursor.execute(
                            f"INSERT INTO schools_school ({school_sql}) "  # noqa: S608
                            f"VALUES {', '.join([row] * len(chunk))}",
                            [v for s in chunk for v in school_values(s, area_ids)],
                        )
            assert School.objects.count() == SCHOOLS and AreaOffice.objects.count() == AREAS

        write_runs, apply_runs, raw_runs = interleaved(
            rolled_back(write), rolled_back(apply), rolled_back(raw), repeat=RUNS
        )
        assert not School.objects.exists()

        # --- the same file again: applied once, then planned and applied with nothing to do ---------
        register_apply(data=csv_data, filename="list.csv", actor=None)

        def again(_i):
            assert register_apply(data=csv_data, filename="list.csv", actor=None).nothing_to_do

        again_runs = interleaved(again, repeat=RUNS)[0]
        on, speed = machine(), machine_speed()

    lines = [
        f"area offices {AREAS:,}, schools {SCHOOLS:,}; CSV {len(csv_data) / 1e6:.1f} MB, "
        f".xlsx {len(xlsx_data) / 1e6:.1f} MB; {RUNS} runs a side, the sides interleaved",
        f"plan of the CSV (read, check, diff; nothing written): median "
        f"{median(csv_runs) * 1000:.0f} ms (runs {ms(csv_runs)})",
        f"plan of the .xlsx: median {median(xlsx_runs) * 1000:.0f} ms (runs {ms(xlsx_runs)})",
        targets.ratio(
            "apply's write of the planned file into an empty register (area offices, schools, "
            "a change-log row each) / the raw bulk INSERT of the same rows",
            write_runs,
            raw_runs,
            at_most=TARGET,
        ),
        f"apply end to end (the file read, checked and diffed again, then written): median "
        f"{median(apply_runs) * 1000:.0f} ms (runs {ms(apply_runs)}) = "
        f"{median(apply_runs) / median(raw_runs):.2f}× the raw INSERT (no target: it reads and "
        f"checks the file again first)",
        f"the same file again (planned, nothing to write): median "
        f"{median(again_runs) * 1000:.0f} ms (runs {ms(again_runs)})",
    ]
    report(f"import_schools.{vendor}", lines, on=on, speed=speed)
    targets.exit()


if __name__ == "__main__":
    main()
