"""Shared helpers for the benchmarks: a throwaway database, timing, and the results file."""

import os
import platform
import statistics
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def setup_django() -> None:
    """Configure Django with the test settings (DATABASE_URL picks PostgreSQL)."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()


@contextmanager
def throwaway_database():
    """Create a fresh test database for the run and drop it afterwards."""
    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment

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


def machine() -> str:
    """Describe the machine the figures come from."""
    from django.db import connection

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


def report(name: str, lines: list[str], *, on: str) -> None:
    """Print the figures and write them to bench/results/<name>.txt; ``on`` names the machine.
    A smoke run (``--smoke``: tiny sizes, does it still work) prints them and writes nothing."""
    text = "\n".join([f"# {name} — {time.strftime('%Y-%m-%d %H:%M %Z')}", f"machine: {on}", *lines])
    print(text)
    if "--smoke" in sys.argv:
        return
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.txt").write_text(text + "\n", encoding="utf-8")
