"""Shared set-up of the benchmarks that run on seed_scale data (not a throwaway database).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/opendmc_scale \\
        .venv/bin/python manage.py seed_scale --areas 245 --schools 29000 --learners 6500000 --round

Imported once Django is set up (bench/setup_django.py), as bench/common.py.
"""

import json
import sys
from contextlib import contextmanager
from io import StringIO

from django.core.management import call_command
from django.db import connection
from django.db.models import Count

from bench.common import CHECK, RESULTS, SMOKE, throwaway_database
from demo import scale
from schools.models import AreaOffice, School

# The seed_scale sizes of a --check run (an area office of about 200 schools, as at full size, with
# fewer learners each and 25 area offices instead of 245) and of a --smoke run.
CHECK_SCALE = {"areas": 25, "schools": 5000, "learners": 500_000}
SMOKE_SCALE = {"areas": 3, "schools": 30, "learners": 3000}


@contextmanager
def scale_database(*, areas: int, schools: int, learners: int):
    """A throwaway database with a seed_scale of that size and a round, dropped afterwards; the
    benchmark then runs on it as on the full data."""
    with throwaway_database():
        call_command(
            "seed_scale", areas=areas, schools=schools, learners=learners, seed=1, round=True,
            stdout=StringIO(),
        )  # fmt: skip
        yield


def smoke_database():
    """For ``--smoke``: a throwaway database with a tiny seed_scale (3 areas, 30 schools)."""
    return scale_database(**SMOKE_SCALE)


@contextmanager
def mode_database():
    """The database of the run's mode: a full run uses the current one (seed_scale loaded
    beforehand); --check and --smoke a throwaway seed_scale of their size (CHECK_SCALE,
    SMOKE_SCALE)."""
    if not (CHECK or SMOKE):
        yield
        return
    with scale_database(**(SMOKE_SCALE if SMOKE else CHECK_SCALE)):
        yield


def require_scale_data():
    """Stop unless the database holds seed_scale data (and only that); return the school count."""
    try:
        scale.check_database()
    except scale.ScaleRefused as exc:
        sys.exit(f"This benchmark runs on seed_scale data: {exc}")
    schools = School.objects.count()
    if not schools:
        sys.exit("No data: run `manage.py seed_scale … --round` on this database first.")
    return schools


def area_near(n: int):
    """Return the area office whose school count is closest to n (then the lowest code)."""
    areas = AreaOffice.objects.annotate(n=Count("schools")).order_by("code")
    return min(areas, key=lambda a: abs(a.n - n))


def copy_raw(table: str, columns: list[str], rows: list[tuple]) -> int:
    """COPY rows given as database values (JSON as dicts) into a table; return how many."""
    quote = connection.ops.quote_name
    connection.ensure_connection()
    with connection.connection.cursor() as cursor:
        names = ", ".join(quote(c) for c in columns)
        with cursor.copy(f"COPY {quote(table)} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([json.dumps(v) if isinstance(v, dict | list) else v for v in row])
    return len(rows)


def _rows(table: str, where: str, params) -> tuple[list[str], list[tuple]]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} WHERE {where}", params)  # noqa: S608
        return [c.name for c in cursor.description], cursor.fetchall()


def _next_ids(table: str, n: int) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, n],
        )
        return [r[0] for r in cursor.fetchall()]


def clone_process(template, child_table: str, variants: list[dict], *, task_obj_pk=None) -> int:
    """Copy a process made by its flow (the base row, its subclass row, its tasks and their links)
    once per variant: a dict of subclass columns to change. ``task_obj_pk(variant)`` gives the
    object a cloned task's permission is checked on (default: unchanged). Return the count."""
    p_cols, (p_row,) = _rows("viewflow_process", "id = %s", [template.pk])
    c_cols, (c_row,) = _rows(child_table, "process_ptr_id = %s", [template.pk])
    t_cols, t_rows = _rows("viewflow_task", "process_id = %s ORDER BY id", [template.pk])
    l_cols, l_rows = _rows(
        "viewflow_task_previous",
        "to_task_id IN (SELECT id FROM viewflow_task WHERE process_id = %s)",
        [template.pk],
    )
    n = len(variants)
    process_ids = _next_ids("viewflow_process", n)
    task_ids = _next_ids("viewflow_task", n * len(t_rows))
    processes, children, tasks, links = [], [], [], []
    pi, ti, ci = p_cols.index("id"), t_cols.index("id"), c_cols.index("process_ptr_id")
    tp, tobj = t_cols.index("process_id"), t_cols.index("owner_permission_obj_pk")
    for k, (pid, variant) in enumerate(zip(process_ids, variants, strict=True)):
        row = list(p_row)
        row[pi] = pid
        processes.append(row)
        row = list(c_row)
        row[ci] = pid
        for column, value in variant.items():
            row[c_cols.index(column)] = value
        children.append(row)
        ids = dict(zip((t[ti] for t in t_rows), task_ids[k * len(t_rows) :], strict=False))
        for t in t_rows:
            row = list(t)
            row[ti], row[tp] = ids[t[ti]], pid
            if task_obj_pk is not None and row[tobj] is not None:
                row[tobj] = str(task_obj_pk(variant))
            tasks.append(row)
        for link in l_rows:
            mapped = dict(zip(l_cols, link, strict=True))
            links.append((ids[mapped["from_task_id"]], ids[mapped["to_task_id"]]))
    copy_raw("viewflow_process", p_cols, processes)
    copy_raw(child_table, c_cols, children)
    copy_raw("viewflow_task", t_cols, tasks)
    copy_raw("viewflow_task_previous", ["from_task_id", "to_task_id"], links)
    return n


def explain(sql: str, params=()) -> str:
    """Return EXPLAIN (ANALYZE, BUFFERS) of a statement."""
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        return "\n".join(r[0] for r in cursor.fetchall())


def write_plan(name: str, text: str) -> None:
    """Keep a query plan next to the figures: bench/results/<name>.plan.txt (full runs only)."""
    if SMOKE or CHECK:
        return
    (RESULTS / f"{name}.plan.txt").write_text(text + "\n", encoding="utf-8")
