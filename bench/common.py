"""Shared helpers for the benchmarks: a throwaway database, timing, targets, the machine's speed
and the results file.

Every benchmark runs in one of three modes:
- full (no flag): its full size; prints its figures, writes bench/results/<name>.txt, and exits
  non-zero when a target is missed (after writing, so that the figures of a miss are kept);
- ``--check`` (make bench-check): a middle size; the same targets, asserted; writes
  bench/results/<name>.check.txt (its own file: a full run's figures are never overwritten);
- ``--smoke`` (make bench-smoke): a tiny size; does it still work; targets printed, never asserted.

``BENCH_PROFILE=<words>`` (any mode): each page whose label contains the words is also run under
cProfile after it is timed (not timed then), and the functions that took most time are printed.

A benchmark imports it once Django is set up: after ``import setup_django`` (bench/setup_django.py).
"""

import cProfile
import hashlib
import json
import os
import platform
import pstats
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import closing, contextmanager
from datetime import date
from decimal import Decimal
from pathlib import Path

import fontpkg_sarabun
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection
from django.test.utils import (
    CaptureQueriesContext,
    setup_test_environment,
    teardown_test_environment,
)
from django.utils import timezone
from weasyprint import HTML

from schools import nutrition
from tests.sign_in import sign_in_complete

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
SMOKE = "--smoke" in sys.argv
CHECK = "--check" in sys.argv


def size(full: int, *, check: int, smoke: int) -> int:
    """Return the size of the mode the benchmark runs in."""
    return smoke if SMOKE else check if CHECK else full


@contextmanager
def throwaway_database():
    """Create a fresh test database for the run and drop it afterwards."""
    setup_test_environment()
    original = connection.settings_dict["NAME"]
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        yield name
    finally:
        connection.creation.destroy_test_db(original, verbosity=0)
        teardown_test_environment()  # so one run may use a second throwaway database


def timed(fn, *, repeat: int = 5) -> tuple[float, list[float]]:
    """Run fn repeat times; return the median seconds and every run's seconds."""
    runs = []
    for i in range(repeat):
        start = time.perf_counter()
        fn(i)
        runs.append(time.perf_counter() - start)
    return statistics.median(runs), runs


def interleaved(*sides: Callable[[int], object], repeat: int = 5) -> list[list[float]]:
    """Run the sides in turn, ABAB…, ``repeat`` times each (each call gets its run's index); return
    each side's seconds per run. Interleaving spreads whatever else the machine does over both."""
    runs: list[list[float]] = [[] for _ in sides]
    for i in range(repeat):
        for side, times in zip(sides, runs, strict=True):
            start = time.perf_counter()
            side(i)
            times.append(time.perf_counter() - start)
    return runs


def median(runs: Sequence[float]) -> float:
    return statistics.median(runs)


def ms(runs: Sequence[float]) -> str:
    """Return runs in milliseconds, for the results file."""
    return ", ".join(f"{r * 1000:.0f}" for r in runs)


class Targets:
    """The targets of one benchmark: each check returns its line (figure, target, ok or MISSED)."""

    def __init__(self) -> None:
        self.missed: list[str] = []

    def _line(self, text: str, ok: bool) -> str:
        line = f"{text} {'ok' if ok else 'MISSED'}"
        if not ok:
            self.missed.append(line)
        return line

    def ratio(self, label: str, ours: Sequence[float], theirs: Sequence[float], *,
              at_most: float) -> str:  # fmt: skip
        """Compare the medians of two interleaved sides: ours ≤ at_most × theirs."""
        a, b = median(ours), median(theirs)
        r = a / b if b else float("inf")
        return self._line(
            f"{label}: median {a * 1000:.1f} ms / {b * 1000:.1f} ms = {r:.2f}× "
            f"(runs {ms(ours)} / {ms(theirs)}) — target ≤ {at_most:g}×",
            r <= at_most,
        )

    def at_most(self, label: str, value: float, limit: float, unit: str = "") -> str:
        return self._line(
            f"{label}: {value:,.2f}{unit} — target ≤ {limit:,g}{unit}", value <= limit
        )

    def at_least(self, label: str, value: float, limit: float, unit: str = "×") -> str:
        return self._line(
            f"{label}: {value:,.2f}{unit} — target ≥ {limit:,g}{unit}", value >= limit
        )

    def equal(self, label: str, value, expected) -> str:
        return self._line(f"{label}: {value} — target {expected}", value == expected)

    def exit(self) -> None:
        """Exit non-zero in full and --check modes if a target was missed (never in --smoke)."""
        if self.missed and not SMOKE:
            print("MISSED:\n  " + "\n  ".join(self.missed), file=sys.stderr)
            sys.exit(1)


# A page against the SQL it runs: the page's queries are captured once, as the database received
# them, and sent again straight to the database (every row fetched) as the other side. What the
# page costs beyond its SQL is Django's: middleware, session, the ORM's rows, the template.
PAGE_TARGET = 5.0


def measurement_statuses_raw(ids: Sequence[int], day, weight, height) -> list[tuple]:
    """Return (learner id, *nutrition.Status.FIELDS) of a measurement of each learner on ``day``, by
    hand: one SELECT of the learners' sex and birth date, then the function the service uses
    (``schools.nutrition.status_values``: WHO z-scores have no SQL form)."""
    ref = nutrition.reference()
    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, sex, birth_date FROM schools_student WHERE id IN (SELECT value FROM "
            + ("unnest(%s::bigint[]) AS value)" if postgres else "json_each(%s))"),
            [list(ids)] if postgres else [json.dumps(list(ids))],
        )
        return [
            (pk, *nutrition.status_values((day, weight, height, sex, _day(born)), ref))
            for pk, sex, born in cursor.fetchall()
        ]


# The status columns' types, for PostgreSQL's arrays (nutrition.Status.FIELDS, in order).
STATUS_TYPES = ("integer", "numeric", "numeric", "numeric", "text", "text", "text", "text", "text")


def rows_write(
    cursor, sql: str, rows: list[tuple], types: Sequence[str], after: Sequence = ()
) -> None:
    """Send rows to a statement by hand, as fast as each database takes them. ``sql`` holds
    ``{rows}`` where the rows go as a table in parentheses: on PostgreSQL a SELECT from
    ``unnest`` of whole columns as arrays, one parameter each; on SQLite VALUES, in as few
    statements as its limit of parameters allows. ``after``: parameters that follow the rows'."""
    if connection.vendor == "postgresql":
        unnest = "(SELECT * FROM unnest(" + ", ".join(f"%s::{t}[]" for t in types) + "))"
        columns = [list(c) for c in zip(*rows, strict=True)]
        cursor.execute(sql.format(rows=unnest), [*columns, *after])
        return
    per_statement = 32_000 // len(types)  # SQLite's limit of parameters in one statement
    for start in range(0, len(rows), per_statement):
        part = rows[start : start + per_statement]
        marks = ", ".join(["(" + ", ".join(["%s"] * len(types)) + ")"] * len(part))
        params = [v for row in part for v in row]
        cursor.execute(sql.format(rows=f"(VALUES {marks})"), [*params, *after])


def measurements_raw_insert(ids: Sequence[int], day, user_id: int) -> None:
    """Insert one measurement (31.5 kg, 136 cm, an upload's) for each learner id on ``day``, with
    its nutrition status, by hand (``measurement_statuses_raw``, then one INSERT): the floor the
    measurement writes are compared with, the same rows as the service writes."""
    weight, height, now = Decimal("31.5"), Decimal("136.0"), timezone.now()
    rows = [
        (pk, day, weight, height, "upload", user_id, now, *status)
        for pk, *status in measurement_statuses_raw(ids, day, weight, height)
    ]
    columns = ", ".join(("student_id", "measured_on", "weight_kg", "height_cm", "source",
                         "recorded_by_id", "created_at", *nutrition.Status.FIELDS))  # fmt: skip
    types = ("bigint", "date", "numeric", "numeric", "text", "bigint", "timestamptz", *STATUS_TYPES)
    with connection.cursor() as cursor:
        rows_write(
            cursor, f"INSERT INTO schools_measurement ({columns}) SELECT * FROM {{rows}} AS v",  # noqa: S608
            rows, types,
        )  # fmt: skip


def _day(value) -> date:
    """A date read by a raw cursor (SQLite's may be its text)."""
    return date.fromisoformat(value) if isinstance(value, str) else value


def page_queries(client, url: str, *, before: Callable[[], object] | None = None) -> list[str]:
    """GET url once (after a warm-up GET and ``before``) and return the SQL statements it ran."""
    assert client.get(url).status_code == 200, url
    if before:
        before()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return [q["sql"] for q in captured.captured_queries]


def sql_replay(statements: Sequence[str]) -> None:
    """Send the statements straight to the database, one after the other, fetching every row."""
    connection.ensure_connection()
    # closing(): sqlite3's cursor is no context manager (psycopg's is).
    with closing(connection.connection.cursor()) as cursor:
        for sql in statements:
            cursor.execute(sql)
            if cursor.description is not None:
                cursor.fetchall()


def page_check(targets: Targets, label: str, client, url: str, *, queries: int, repeat: int,
               before: Callable[[], object] | None = None) -> list[str]:  # fmt: skip
    """Time GET url against the SQL it runs sent raw, interleaved, ``repeat`` times each (``before``
    runs ahead of each GET, timed with it: clearing the in-memory cache, say); check the ratio
    (≤ PAGE_TARGET) and the page's query count (exactly ``queries``); return the two lines."""
    statements = page_queries(client, url, before=before)

    def page(_i):
        if before:
            before()
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)

    def raw(_i):
        sql_replay(statements)

    page_runs, raw_runs = interleaved(page, raw, repeat=repeat)
    if os.environ.get("BENCH_PROFILE") and os.environ["BENCH_PROFILE"] in label:
        profile(label, page, repeat=repeat)
    return [
        targets.ratio(
            f"{label}: the page / its {len(statements)} SQL statements sent raw",
            page_runs,
            raw_runs,
            at_most=PAGE_TARGET,
        ),
        targets.equal(f"{label}: queries", len(statements), queries),
    ]


def profile(label: str, run: Callable[[int], object], *, repeat: int) -> None:
    """Run ``run`` ``repeat`` times under cProfile and print where the time went: the functions
    by their own time, then by their time with what they call."""
    profiler = cProfile.Profile()
    profiler.enable()
    for i in range(repeat):
        run(i)
    profiler.disable()
    print(f"-- profile of {label}, {repeat} runs")
    stats = pstats.Stats(profiler, stream=sys.stdout).strip_dirs()
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(45)


# The machine's speed: one password hash at Django's PBKDF2 cost, one fixed one-page render, so that
# figures from two machines (or two runs) can be set side by side.
_SPEED_HTML = """<html><head><style>@font-face {{ font-family: Sarabun; src: url({font}); }}
body {{ font-family: Sarabun; font-size: 12pt; }} td {{ border: 1px solid #999; padding: 2pt; }}
</style></head><body><h1>บันทึกการรับรองข้อมูลนักเรียนรายบุคคล</h1>{rows}</body></html>"""


def machine_speed() -> str:
    """Return one PBKDF2-SHA256 hash at Django's iterations and one fixed WeasyPrint page, each the
    median of three, measured now."""
    iterations = PBKDF2PasswordHasher.iterations
    hashes = []
    for _ in range(3):
        start = time.perf_counter()
        hashlib.pbkdf2_hmac("sha256", b"opendmc-speed", b"opendmc-salt", iterations)
        hashes.append(time.perf_counter() - start)
    font = (fontpkg_sarabun.ROOT / "files" / "Sarabun-Regular.ttf").as_uri()
    rows = (
        "<table>"
        + "".join(
            f"<tr><td>ป.{n % 6 + 1}</td><td>เด็กชายธนกฤต ศรีสุข {n}</td><td>{n * 7}</td></tr>"
            for n in range(30)
        )
        + "</table>"
    )
    html = _SPEED_HTML.format(font=font, rows=rows)
    renders = []
    for _ in range(3):
        start = time.perf_counter()
        HTML(string=html).write_pdf()
        renders.append(time.perf_counter() - start)
    return (
        f"speed: one PBKDF2-SHA256 hash ×{iterations:,} {median(hashes) * 1000:.0f} ms; "
        f"one fixed one-page render {median(renders) * 1000:.0f} ms (medians of 3, load "
        f"{os.getloadavg()[0]:.1f})"
    )


def machine() -> str:
    """Describe the machine the figures come from."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as handle:
            names = [
                line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")
            ]
        cpu = f"{names[0]} × {len(names)}" if names else cpu
    except OSError:
        pass
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("select version()")
            db = cursor.fetchone()[0].split(",")[0]
        else:
            db = f"SQLite {connection.Database.sqlite_version}"
    return f"{cpu}; Python {platform.python_version()}; {db}"


def report(name: str, lines: list[str], *, on: str, speed: str | None = None) -> None:
    """Print the figures and write them to bench/results/<name>.txt; ``on`` names the machine and
    ``speed`` its speed (machine_speed). A check run writes <name>.check.txt (its middle size
    beside the full run's file); a smoke run prints them and writes nothing."""
    head = [f"# {name} — {time.strftime('%Y-%m-%d %H:%M %Z')}", f"machine: {on}"]
    if speed:
        head.append(speed)
    command = " ".join(["python", *[a for a in sys.argv if a]])
    text = "\n".join([*head, f"command: {command}", *lines])
    print(text)
    if SMOKE:
        return
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}{'.check' if CHECK else ''}.txt").write_text(text + "\n", encoding="utf-8")


def sign_in(client, user) -> None:
    """Sign the test client in as the user, second factor included where the role needs one: a
    real TOTP device, verified through django-otp's own login (tests/sign_in.py)."""
    client.force_login(user)
    sign_in_complete(client, user)
