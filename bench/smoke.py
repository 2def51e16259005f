"""Run every benchmark in bench/ that takes part in a mode: ``--smoke`` (the default) or ``--check``.

    .venv/bin/python bench/smoke.py            # or: make bench-smoke
    .venv/bin/python bench/smoke.py --check    # or: make bench-check

--smoke: each at a tiny size, does it still work? Not a measurement: a benchmark fails only when
something is wrong, never because it was slow. --check: each at its middle size with its targets
asserted; a benchmark that misses a target (or breaks) fails the run. A smoke run writes no
results; a check run writes each benchmark's bench/results/<name>.check.txt.
A benchmark takes part by accepting the flag (the literal ``"--smoke"`` / ``"--check"``, or a
``size(…, check=…, smoke=…)`` from bench/common.py); a bench_*.py without it is listed and left
out; the run fails only when a benchmark that takes part fails.
"""

import os
import re
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
MODE = "check" if "--check" in sys.argv[1:] else "smoke"
# Seconds for one benchmark: a hung server, not a slow machine (a check run measures for longer).
TIMEOUT = {"smoke": 240, "check": 600}[MODE]


def takes_part(script: Path) -> bool:
    text = script.read_text(encoding="utf-8")
    return bool(re.search(rf'"--{MODE}"|\bsize\([^)]*\b{MODE}=', text))


def main() -> int:
    scripts = sorted(BENCH.glob("bench_*.py"))
    missing = [s.name for s in scripts if not takes_part(s)]
    failed = []
    started = time.perf_counter()
    for script in scripts:
        if script.name in missing:
            continue
        print(f"== {script.name} --{MODE}", flush=True)
        begin = time.perf_counter()
        try:
            result = subprocess.run(  # noqa: S603 — our own scripts
                [sys.executable, str(script), f"--{MODE}"], cwd=BENCH.parent, timeout=TIMEOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )  # fmt: skip
            ok = result.returncode == 0
        except subprocess.TimeoutExpired:
            ok = False
            print(f"   timed out after {TIMEOUT} s")
        print(f"   {'ok' if ok else 'FAILED'} in {time.perf_counter() - begin:.0f} s", flush=True)
        if not ok:
            failed.append(script.name)
    print(f"bench {MODE}: {len(scripts) - len(missing) - len(failed)} ok, {len(failed)} failed "
          f"in {time.perf_counter() - started:.0f} s")  # fmt: skip
    if missing:
        print(f"left out (no --{MODE} flag yet): " + ", ".join(missing))
    if failed:
        what = "missed a target or broke" if MODE == "check" else "broke"
        print(f"FAILED ({what}): " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
