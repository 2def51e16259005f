"""Run every benchmark in bench/ at a tiny size: does each still work? Not a measurement.

    .venv/bin/python bench/smoke.py        # or: make bench-smoke

A benchmark takes part by accepting ``--smoke`` (a few rows, a few seconds, no results file, exit
status non-zero only when something is wrong, never because it was slow). A bench_*.py without
that flag is listed and left out; the run fails only when a benchmark that takes part fails.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
TIMEOUT = 240  # seconds for one benchmark: a hung server, not a slow machine


def takes_part(script: Path) -> bool:
    return '"--smoke"' in script.read_text(encoding="utf-8")


def main() -> int:
    scripts = sorted(BENCH.glob("bench_*.py"))
    missing = [s.name for s in scripts if not takes_part(s)]
    failed = []
    started = time.perf_counter()
    for script in scripts:
        if script.name in missing:
            continue
        print(f"== {script.name} --smoke", flush=True)
        begin = time.perf_counter()
        try:
            result = subprocess.run(  # noqa: S603 — our own scripts
                [sys.executable, str(script), "--smoke"], cwd=BENCH.parent, timeout=TIMEOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )  # fmt: skip
            ok = result.returncode == 0
        except subprocess.TimeoutExpired:
            ok = False
            print(f"   timed out after {TIMEOUT} s")
        print(f"   {'ok' if ok else 'FAILED'} in {time.perf_counter() - begin:.0f} s", flush=True)
        if not ok:
            failed.append(script.name)
    print(f"bench smoke: {len(scripts) - len(missing) - len(failed)} ok, {len(failed)} failed "
          f"in {time.perf_counter() - started:.0f} s")  # fmt: skip
    if missing:
        print("left out (no --smoke flag yet): " + ", ".join(missing))
    if failed:
        print("FAILED: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
