"""The count day's busiest minute with and without staggered windows (issue 20, item 4): a model.

The country: 245 area offices and 29,449 schools laid out as `seed_scale` lays them out
(demo.scale.plan: a few area offices twice the average), written to a throwaway database. The
windows: the round's own (confirm 08:00–16:30, certify 08:30–16:30) for every area office, or the
area offices spread over ``--groups`` parts of the day by census.area_windows.spread_plan, the
code behind the ministry's "Staggered windows" form.

Each school makes the count day's eight requests of bench_countday's scenario: the staff sign in,
open My tasks, open the confirm task and confirm; later the director does the same to certify,
20 s between requests. When a school starts is the model, the same for both sides: half the
schools start in the first 30 minutes of their confirm window (the button works: "let's get it
done"), three in ten at any time of it, one in five in its last hour; the director certifies 5–60
minutes after the confirmation, inside the certify window. The requests are counted per minute;
the peak is the busiest minute, in requests per second.

No time is measured: every draw comes from a fixed seed, so the figures are the same on any
machine and every run. With ``--capacity`` (schools per second one web node carries, from
bench_countday) it also says how many nodes each peak needs.

    .venv/bin/python bench/bench_stagger.py            # 29,449 schools, 3 groups; writes results
    .venv/bin/python bench/bench_stagger.py --check    # 5,000 schools: the target asserted
    .venv/bin/python bench/bench_stagger.py --smoke    # 300 schools: does it still work?

Target: the staggered peak (3 groups) at most half the peak without.
"""

import argparse
import math
import random
import sys
from collections import Counter
from datetime import timedelta

import setup_django  # noqa: F401 — first: Django set up (bench/setup_django.py)

from django.utils import timezone

from bench.common import Targets, machine, report, size, throwaway_database
from census.area_windows import spread_plan
from census.models import WINDOW_TIMES
from census.services import academic_year_create
from demo.scale import plan
from schools.models import AreaOffice, School

REQUESTS_APART = timedelta(seconds=20)
TARGET_RATIO = 0.5


def country(schools: int, seed: int) -> None:
    """Write seed_scale's layout of area offices and schools (no learners) to the database."""
    layout = plan(areas=245, schools=schools, learners=schools, seed=seed)
    AreaOffice.objects.bulk_create(
        AreaOffice(pk=pk, code=code, name_th=f"เขต {code}", kind=kind, province=province)
        for pk, code, kind, province in layout.areas
    )
    School.objects.bulk_create(
        (
            School(pk=pk, code=code, name_th=f"โรงเรียน {code}", area_office_id=area, province="-")
            for pk, code, area, *_rest in layout.schools
        ),
        batch_size=5000,
    )


def windows(round, groups: int) -> dict[int, dict]:
    """Return each area office's windows: the spread plan's, or the round's for one group."""
    plan = spread_plan(round=round, groups=groups)
    own = {name: getattr(round, name) for name in WINDOW_TIMES}
    return {pk: plan.get(pk, own) for pk in AreaOffice.objects.values_list("pk", flat=True)}


def requests_per_minute(round, groups: int, seed: int) -> Counter:
    """Count the model's requests in each minute of the count day."""
    by_area = windows(round, groups)
    rng = random.Random(f"stagger-{seed}")  # the same draws for both sides
    minutes: Counter = Counter()
    for area_id in School.objects.order_by("pk").values_list("area_office_id", flat=True):
        w = by_area[area_id]
        span = (w["confirm_closes"] - w["confirm_opens"]).total_seconds()
        draw, where = rng.random(), rng.random()
        if draw < 0.5:
            offset = min(where * 1800, span - 90)
        elif draw < 0.8:
            offset = where * (span - 90)
        else:
            offset = max(span - 90 - where * 3600, 0)
        confirm = w["confirm_opens"] + timedelta(seconds=offset)
        certify = confirm + timedelta(minutes=5 + rng.random() * 55)
        certify = min(max(certify, w["certify_opens"]), w["certify_closes"] - timedelta(seconds=90))
        for start in (confirm, certify):
            for step in range(4):
                moment = start + step * REQUESTS_APART
                minutes[timezone.localtime(moment).replace(second=0, microsecond=0)] += 1
    return minutes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--groups", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2569)
    parser.add_argument("--capacity", type=float, help="schools/s one web node carries")
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args()
    schools = size(29_449, check=5_000, smoke=300)
    with throwaway_database():
        country(schools, args.seed)
        round = academic_year_create(year_be=2569, actor=None).rounds.get(number=2)
        flat = requests_per_minute(round, 1, args.seed)
        staggered = requests_per_minute(round, args.groups, args.seed)
        groups = _groups(round, args.groups)
        on = machine()
    peak = {
        side: max(counts.values()) / 60 for side, counts in (("flat", flat), ("stag", staggered))
    }
    busiest = {
        side: max(counts, key=counts.get) for side, counts in (("flat", flat), ("stag", staggered))
    }
    ratio = peak["stag"] / peak["flat"]
    targets = Targets()
    lines = [
        f"{schools:,} schools in 245 area offices, 8 requests a school ({sum(flat.values()):,} requests)",
        f"groups: {args.groups} (census.area_windows.spread_plan)",
        *groups,
        f"busiest minute, one window for all: {peak['flat']:.1f} requests/s at {busiest['flat']:%H:%M}",
        f"busiest minute, {args.groups} groups: {peak['stag']:.1f} requests/s at {busiest['stag']:%H:%M}",
        targets.at_most(f"staggered peak ÷ peak, {args.groups} groups", ratio, TARGET_RATIO, "×"),
    ]
    if args.capacity:
        for label, value in (("one window", peak["flat"]), (f"{args.groups} groups", peak["stag"])):
            nodes = math.ceil(value / 8 / args.capacity)
            lines.append(f"web nodes at {args.capacity} schools/s each, {label}: {nodes}")
    report("stagger", lines, on=on, speed="no time is measured: the figures are the same anywhere")
    targets.exit()
    return 0


def _groups(round, groups: int) -> list[str]:
    per_area = Counter(School.objects.values_list("area_office_id", flat=True))
    lines: dict[tuple, list[int]] = {}
    for area_id, w in spread_plan(round=round, groups=groups).items():
        key = tuple(
            timezone.localtime(w[name])
            for name in ("confirm_opens", "confirm_closes", "certify_opens", "certify_closes")
        )
        lines.setdefault(key, []).append(area_id)
    return [
        f"  confirm {a:%H:%M}–{b:%H:%M}, certify {c:%H:%M}–{d:%H:%M}: {len(areas)} area offices, "
        f"{sum(per_area[x] for x in areas):,} schools"
        for (a, b, c, d), areas in sorted(lines.items())
    ]


if __name__ == "__main__":
    sys.exit(main())
