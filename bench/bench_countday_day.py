"""The count day as the day really is (issue 22): the whole country in the database, schools
arriving through the window, people who pause, staff who prepare, and readers all day long.

bench_countday.py with ``--day`` runs this script; it reuses that bench's servers (gunicorn, a
Celery worker on Redis, PostgreSQL), seeding (seed_scale, every school's process open), checks
and reporting. What the day adds:

- ``--country-schools M`` schools seeded, every one's process open; ``--schools N`` of them (a
  seeded sample) take part in the load. At full size M is 29,449 (seeding takes hours: see below).
- Arrivals: each taking-part school starts at a time drawn from a seeded Poisson process (or
  uniform: ``--arrivals uniform``) at ``--rate`` schools/s (default 2.05: 29,449 in 4 h), not
  all at once; concurrency is what the arrivals make (a pool of ``--users`` threads, by default
  large enough; a start that finds the pool full lags, and the lag is reported).
- Think time: a person pauses ``--think`` seconds (seeded uniform, default 2–8) between steps;
  the per-step times exclude it.
- The staff prepare before confirming, over HTTP: they log in, fix a learner's English last name
  (the name form, menu 2.7.8) and upload the school's weight and height file (CSV; a file of
  1,000 rows or more goes through Celery, and the staff watch its progress page); then My tasks,
  the confirm task, confirm. The director: log in, My tasks, the certify task, certify.
- Readers meanwhile: one officer per area office opens their area's dashboard every
  ``--area-every`` s (30), the ministry's admin the national dashboard every ``--ministry-every``
  s (60), both signed in once with their second factor (TOTP); after each certification, someone
  opens the public verify page of its record (/verify/<public_id>/, its QR code's). Each is a
  step of its own.

Checked afterwards: bench_countday's checks (one snapshot = roster, one confirmation,
certification and annex record per certified school) and, for every school that confirmed, its
upload done with every row stored and its learner's name fixed and audited.

    .venv/bin/python bench/bench_countday.py --day --schools 100 --country-schools 1000
    .venv/bin/python bench/bench_countday_day.py --smoke     # 4 of 8 schools, short pauses
    .venv/bin/python bench/bench_countday_day.py --check     # 100 of 300 schools, targets asserted
    # The whole day (seeding 29,449 schools and 6.5 million learners takes hours; then 4 h):
    .venv/bin/python bench/bench_countday.py --day --country-schools 29449 --schools 29449 \\
        --drain-seconds 30000    # --max-seconds: by default the schedule's span × 1.5

Targets (the issue's): the 29,449 schools in ≤ 4 h at the rate sustained, p95 ≤ 1 s every step,
no error; web (gunicorn) CPU per school ≤ 0.5 s is reported against its target, not asserted.
Results: bench/results/countday_day.txt (--check: countday_day.check.txt; --smoke writes nothing).
"""

import hashlib
import hmac
import math
import os
import queue
import random
import statistics
import struct
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import bench_countday as cd
import redis
from bench_countday import Browser, Recorder, StepFailed, log_in, percentiles, person, token

COUNTRY = 29_449
WINDOW_HOURS = 4
STEP_TARGET = 1.0  # seconds, p95 of every step
CPU_TARGET = 0.5  # web CPU seconds per school
SCHOOL_STEPS = (
    "staff: log in",
    "staff: open the learner's name form",
    "staff: fix the learner's name",
    "staff: open the upload page",
    "staff: upload weights and heights",
    "staff: watch the upload",
    *cd.STEPS[1:],
)
READER_STEPS = (
    "area officer: log in (second factor)",
    "area officer: area dashboard",
    "ministry: log in (second factor)",
    "ministry: national dashboard",
    "anyone: verify page (QR code)",
)


def options():
    parser = cd.parser_build()
    parser.add_argument("--country-schools", type=int, default=None, help="default: --schools")
    parser.add_argument(
        "--rate", type=float, default=2.05, help="schools arriving a second (2.05: 29,449 in 4 h)"
    )
    parser.add_argument("--arrivals", choices=("poisson", "uniform"), default="poisson")
    parser.add_argument(
        "--think", default="2-8", help="seconds a person pauses between steps: min-max"
    )
    parser.add_argument("--area-every", type=float, default=30, help="area dashboard, seconds")
    parser.add_argument("--ministry-every", type=float, default=60, help="national, seconds")
    parser.add_argument(
        "--check",
        action="store_true",
        help="100 of 300 schools; targets asserted, results in countday_day.check.txt",
    )
    args = parser.parse_args()
    if args.check:
        args.schools, args.country_schools = 100, 300
        args.rate, args.drain_seconds = 2.5, 600
        if "BENCH_COUNTDAY_DATABASE_URL" not in os.environ and "--database-url" not in sys.argv:
            args.database_url = args.database_url.rsplit("/", 1)[0] + "/opendmc_load_day_check"
    args.country_schools = max(args.country_schools or args.schools, args.schools)
    args.areas = args.areas or max(1, args.country_schools // 50)
    if args.learners is None:
        args.learners = args.country_schools * cd.AVERAGE_LEARNERS
    args = cd.options_finish(parser, args)
    if "--smoke" in sys.argv[1:]:  # as bench/smoke.py runs it: 4 schools of 8, short pauses
        args.country_schools, args.areas, args.learners = 8, 2, 8 * 30
        args.rate, args.think, args.area_every, args.ministry_every = 2.0, "0.1-0.3", 2.0, 3.0
        if "BENCH_COUNTDAY_DATABASE_URL" not in os.environ and "--database-url" not in sys.argv:
            args.database_url = args.database_url.rsplit("/", 1)[0] + "/opendmc_load_day_smoke"
    if "--max-seconds" not in sys.argv and not args.smoke:
        # Every arrival of the schedule, and then some (a Poisson schedule runs long at times).
        args.max_seconds = 1.5 * args.schools / args.rate + 60
    low, _dash, high = args.think.partition("-")
    args.think_range = (float(low), float(high or low))
    if "--users" not in sys.argv:
        # Enough threads for every school the arrivals keep in flight, with room to spare.
        steps = len(SCHOOL_STEPS) + 1
        seconds = steps * (sum(args.think_range) / 2 + 0.5)
        args.users = max(8, math.ceil(2 * args.rate * seconds))
    return args


def p95(values: list[float]) -> float:
    """The 95th percentile, as bench_countday.percentiles reads it."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]


# --- the people -----------------------------------------------------------------------------------


def totp(key_hex: str, at: float | None = None) -> str:
    """The six digits an authenticator app shows now (RFC 6238: SHA-1, 30 s; django-otp's)."""
    counter = int((time.time() if at is None else at) // 30)
    digest = hmac.new(bytes.fromhex(key_hex), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return f"{(struct.unpack('>I', digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


def log_in_second_factor(user: Browser, username: str, password: str, key: str) -> None:
    """The password, then the code of the person's authenticator."""
    _url, page = user.open("/accounts/login/")
    url, page = user.open(
        "/accounts/login/",
        {"username": username, "password": password, "csrfmiddlewaretoken": token(page)},
    )
    if url.startswith("/accounts/second-factor/"):
        url, page = user.open(url, {"csrfmiddlewaretoken": token(page), "code": totp(key)})
    if url.startswith(("/accounts/login/", "/accounts/second-factor/")):
        raise StepFailed(f"{username} could not sign in with the second factor (at {url})")


def upload(user: Browser, path: str, page: str, name: str, content: bytes) -> tuple[str, str]:
    """Send the upload form (multipart, as a browser does) with one file; return where it landed."""
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n'
            f"{token(page)}\r\n--{boundary}\r\nContent-Disposition: form-data; "
            f'name="file"; filename="{name}"\r\nContent-Type: text/csv\r\n\r\n'
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    request = urllib.request.Request(  # noqa: S310 — our own server on loopback
        user.base + path,
        data=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    try:
        with user.opener.open(request, timeout=120) as response:
            return response.geturl().removeprefix(user.base), response.read().decode()
    except urllib.error.HTTPError as exc:
        raise StepFailed(f"POST {path}: HTTP {exc.code}") from exc


class Day:
    """The load of one day: the schools' people and the readers, over HTTP."""

    def __init__(self, args, data: dict, day: dict):
        self.args, self.data, self.day = args, data, day
        self.base = f"http://127.0.0.1:{args.port}"
        self.rec = Recorder()
        self.random = random.Random(args.seed)
        self.random_lock = threading.Lock()
        self.stop = threading.Event()
        self.certified: queue.Queue[str | None] = queue.Queue()
        self.lags: list[float] = []
        self.durations: list[float] = []
        self.starts: list[float] = []
        # Per school done: (its time on the schedule, its delay: finish - due - its own pauses).
        self.delays: list[tuple[float, float]] = []
        self.ends: list[float] = []  # per school done: its end less its own pauses
        self.paused = threading.local()
        self.confirmed: set[str] = set()

    def think(self) -> None:
        with self.random_lock:
            pause = self.random.uniform(*self.args.think_range)
        self.paused.seconds += pause
        time.sleep(pause)

    def error(self, who: str, exc: Exception) -> None:
        with self.rec.lock:
            self.rec.errors.append(f"{who}: {exc}")

    # The schools.

    def school(self, code: str, due: float) -> None:
        begun = time.monotonic()
        self.paused.seconds = 0.0
        with self.rec.lock:
            self.lags.append(begun - due)
            self.starts.append(begun)
        prefix, password = self.data["prefix"], self.data["password"]
        own, urls = self.day["schools"][code], self.day["urls"][code]
        step, think = self.rec.step, self.think
        try:
            staff = Browser(self.base)
            step("staff: log in", lambda: log_in(staff, f"{prefix}staff.{code}", password))
            think()
            _url, page = step(
                "staff: open the learner's name form", lambda: staff.open(urls["name"])
            )
            think()
            landed, _page = step(
                "staff: fix the learner's name",
                lambda: staff.open(
                    urls["name"], {**own["names"], "csrfmiddlewaretoken": token(page)}
                ),
            )
            if landed == urls["name"]:
                raise StepFailed(f"{code}: the name form came back")
            think()
            _url, page = step("staff: open the upload page", lambda: staff.open(urls["upload"]))
            think()
            landed, page = step(
                "staff: upload weights and heights",
                lambda: upload(staff, urls["upload"], page, f"wh-{code}.csv", own["csv"]),
            )
            while 'hx-trigger="every 1s"' in page:  # processed in Celery: its progress page
                time.sleep(1)
                landed, page = step(
                    "staff: watch the upload", lambda landed=landed: staff.open(landed)
                )
            if "/measurements/uploads/" not in landed or 'id="upload-errors"' in page:
                raise StepFailed(f"{code}: the upload was refused (at {landed})")
            think()
            person(self.base, self.rec, "staff", staff, f"{prefix}staff.{code}", password,
                   "confirm", {}, think=think)  # fmt: skip
            with self.rec.lock:
                self.confirmed.add(code)
            think()  # the director comes when told
            person(self.base, self.rec, "director", None, f"{prefix}director.{code}", password,
                   "certify", {"decision": "certify"}, think=think)  # fmt: skip
        except (StepFailed, OSError) as exc:
            self.error(code, exc)
            return
        self.certified.put(code)
        finished = time.monotonic()
        with self.rec.lock:
            self.rec.done += 1
            self.durations.append(finished - begun)
            self.delays.append((due - self.start, finished - due - self.paused.seconds))
            self.ends.append(finished - self.start - self.paused.seconds)

    def arrivals(self, codes: list[str]) -> list[float]:
        """Seconds from the start at which each school arrives (seeded)."""
        rng = random.Random(self.args.seed + 1)
        if self.args.arrivals == "uniform":
            span = len(codes) / self.args.rate
            return sorted(rng.uniform(0, span) for _code in codes)
        at, times = 0.0, []
        for _code in codes:
            times.append(at)
            at += rng.expovariate(self.args.rate)
        return times

    # The readers.

    def reader(self, who: str, username: str, path: str, every: float, offset: float) -> None:
        """Sign in once (second factor), then open the page every ``every`` seconds until the end."""
        user = Browser(self.base)
        if self.stop.wait(offset):
            return
        try:
            self.rec.step(
                f"{who}: log in (second factor)",
                lambda: log_in_second_factor(
                    user, username, self.data["password"], self.day["keys"][username]
                ),
            )
        except (StepFailed, OSError) as exc:
            self.error(username, exc)
            return
        step = f"{who}: " + ("area dashboard" if who == "area officer" else "national dashboard")
        while not self.stop.is_set():
            due = time.monotonic() + every
            try:
                landed, _page = self.rec.step(step, lambda: user.open(path))
                if landed.split("?")[0] != path:
                    raise StepFailed(f"{username}: the dashboard sent them to {landed}")
            except (StepFailed, OSError) as exc:
                self.error(username, exc)
            self.stop.wait(max(0.0, due - time.monotonic()))

    def verifier(self) -> None:
        """After each certification, someone opens its record's verify page (its QR code)."""
        # Django is set up by main() before this thread starts (the module loads before it).
        from django.db import connection

        from bench import countday_data

        try:
            while (code := self.certified.get()) is not None:
                try:
                    path = countday_data.record_path(code)
                    if path is None:
                        raise StepFailed(f"{code}: no certification record to verify")
                    # The QR code is printed on the signed record: scanned once it is signed.
                    if not countday_data.record_ready(code):
                        raise StepFailed(f"{code}: the certification record not signed in 120 s")
                    _url, page = self.rec.step(
                        "anyone: verify page (QR code)",
                        lambda path=path: Browser(self.base).open(path),
                    )
                    if code not in page or "✔" not in page:
                        raise StepFailed(f"{code}: the verify page does not say the record valid")
                except (StepFailed, OSError) as exc:
                    self.error(f"verify {code}", exc)
        finally:
            connection.close()

    def run(self, codes: list[str]) -> float:
        """Run the day: readers on, schools at their arrival times, readers off. Return its wall."""
        readers = [
            threading.Thread(
                target=self.reader,
                args=(
                    "area officer",
                    username,
                    path,
                    self.args.area_every,
                    self.random.uniform(0, self.args.area_every),
                ),
                daemon=True,
            )  # fmt: skip
            for username, path in sorted(self.day["areas"].items())
        ]
        username, path = self.day["ministry"]
        readers.append(threading.Thread(
            target=self.reader, args=("ministry", username, path, self.args.ministry_every, 0.0),
            daemon=True,
        ))  # fmt: skip
        verifier = threading.Thread(target=self.verifier, daemon=True)
        for thread in [*readers, verifier]:
            thread.start()
        start = self.start = time.monotonic()
        deadline = start + self.args.max_seconds
        with ThreadPoolExecutor(max_workers=self.args.users) as pool:
            for code, at in zip(codes, self.arrivals(codes), strict=True):
                due = start + at
                if due > deadline:
                    break
                time.sleep(max(0.0, due - time.monotonic()))
                pool.submit(self.school, code, due)
        wall = time.monotonic() - start
        self.stop.set()
        self.certified.put(None)
        for thread in [*readers, verifier]:
            thread.join(timeout=180)
        return wall


# --- the run --------------------------------------------------------------------------------------


def main() -> None:
    args = options()
    work = Path(tempfile.mkdtemp(prefix="opendmc-countday-day-"))
    if args.profile:
        (work / "profile").mkdir()  # each gunicorn worker writes its requests and profile here
    env = cd.environment(args, work)
    os.environ.update(env)
    cd.database_recreate(args.database_url)
    # Django only now: its settings name the database just made (as bench_countday's main).
    import setup_django  # noqa: F401 — Django with bench.countday_settings (see bench_countday)

    from django.conf import settings
    from django.db import connection

    from bench import countday_data
    from bench.common import Targets, machine, machine_speed, report

    redis.Redis.from_url(args.broker).flushdb()
    redis.Redis.from_url(args.cache_url).flushdb()
    print(f"count day as it is: {args.country_schools:,} schools ({args.learners:,} learners), "
          f"{args.schools} of them in the load; setting up …", flush=True)  # fmt: skip
    data = countday_data.setup_data(args, work)
    codes = random.Random(args.seed).sample(data["codes"], min(args.schools, len(data["codes"])))
    day = countday_data.day_data(codes, data)
    connection.close()
    database = settings.DATABASES["default"]["NAME"]
    servers = cd.start_servers(args, env, work)
    try:
        cd.wait_healthy(args, servers, work)
        web_pid, worker_pid = servers["web"].pid, servers["worker"].pid
        cpu_before = (cd.cpu_seconds([web_pid]), cd.cpu_seconds([worker_pid]),
                      cd.postgres_cpu(database), time.process_time())  # fmt: skip
        print(f"… {len(data['codes'])} schools open in {data['setup_seconds']:.0f} s; {len(codes)} "
              f"arrive at {args.rate:g}/s ({args.arrivals}), {len(day['areas'])} area officers, "
              f"{args.users} threads, think {args.think} s", flush=True)  # fmt: skip
        load_before = os.getloadavg()
        run = Day(args, data, day)
        wall = run.run(codes)
        load_after = os.getloadavg()
        cpu_after = (cd.cpu_seconds([web_pid]), cd.cpu_seconds([worker_pid]),
                     cd.postgres_cpu(database), time.process_time())  # fmt: skip
        print(f"… load done in {wall:.0f} s; rendering the annexes", flush=True)
        unsigned, lags_signed = countday_data.records_drain(args.drain_seconds)
        servers["annexes"] = cd.celery_worker(
            work, env, name="annexes", queues="annexes",
            concurrency=args.annex_concurrency, nice=0,
        )  # fmt: skip
        ready, pending, drained, _first = countday_data.annexes_drain(args.drain_seconds)
    finally:
        cd.stop_servers(servers)
    rec = run.rec
    certified = countday_data.certified_codes(data["round"])
    problems = countday_data.check(data["round"], certified)
    problems += countday_data.day_check(day, run.confirmed)
    if len(certified) != rec.done:
        problems.append(f"driver finished {rec.done} schools, database has {len(certified)}")
    if pending:
        problems.append(f"{pending} annexes not ready after draining {drained:.0f} s")
    if unsigned:
        problems.append(f"{unsigned} records not signed after the load")
    web, worker, pg, driver = (a - b for a, b in zip(cpu_after, cpu_before, strict=True))
    per = max(rec.done, 1)
    started = len(run.starts)
    # The rate sustained, the lower of two readings. A school's delay is what it waited on the
    # servers (its time from its due start to its end, less its own pauses). (1) Servers that
    # fall behind b seconds a second of the schedule make the delay grow by b a second and finish
    # the schools at rate / (1 + b): b is the slope of delay over due time. (2) Under processor
    # sharing every school is slowed alike and the slope stays low; then the schools done over
    # the time from the first due start to the last end (less its pauses) is the servers' pace
    # (a bound low by one school's server time over the schedule's span: exact for a whole day).
    duration = statistics.fmean(run.durations) if run.durations else 0.0
    delays = sorted(run.delays)
    behind = 0.0
    if len(delays) > 2 and delays[-1][0] > delays[0][0]:
        behind = max(0.0, statistics.linear_regression(*zip(*delays, strict=True)).slope)
    busy = max(run.ends) - delays[0][0] if run.ends else 0.0
    pace = rec.done / busy if busy > 0 else 0.0
    rate = min(args.rate / (1 + behind), pace) if rec.done else 0.0
    hours = COUNTRY / rate / 3600 if rate else float("inf")
    lags = sorted(run.lags)
    targets = Targets()
    slowest = max((p95(v), s) for s, v in rec.times.items() if v)
    load = " / ".join(f"{v:.1f}" for v in load_before)
    load_end = " / ".join(f"{v:.1f}" for v in load_after)
    lines = [
        f"country: {len(data['codes']):,} schools open ({data['blocked']} left out: data errors), "
        f"{data['learners']:,} learners, {args.areas} area offices; set up in "
        f"{data['setup_seconds']:.0f} s",
        f"load: {len(codes)} schools arriving ({args.arrivals}, {args.rate:g} schools/s), think "
        f"{args.think} s between steps, logins at arrival; readers: {len(day['areas'])} area "
        f"officers every {args.area_every:g} s, the ministry every {args.ministry_every:g} s, a "
        f"verify page after each certification",
        f"servers: gunicorn {args.web_workers} sync workers sharing a Redis cache, Celery "
        f"×{args.celery_concurrency} on Redis, PostgreSQL; annexes after the load ({ready} ready, "
        f"{pending} not, {drained:.0f} s)",
        f"load average (1/5/15 min) before {load}, at the end {load_end} (the machine is shared)",
        f"schools certified: {rec.done} of {started} started in {wall:.0f} s; a school takes "
        f"{duration:.0f} s with its pauses, {statistics.fmean(d for _t, d in delays) if delays else 0:.1f} s "
        f"of it on the servers; start lag behind the schedule p95 {p95(lags):.1f} s, max "
        f"{(lags[-1] if lags else 0):.1f} s; the servers fell behind by {behind:.3f} s a second "
        f"(→ {args.rate / (1 + behind):.2f} schools/s) and did {pace:.2f} schools/s from the first "
        f"start to the last end",
        f"errors: {len(rec.errors)}",
        "per step (redirects followed; pauses excluded):",
        *(f"  {s:<38} {percentiles(rec.times[s])}" for s in (*SCHOOL_STEPS, *READER_STEPS)
          if rec.times[s]),  # fmt: skip
        f"records signed by the default-queue worker after the request's commit: "
        f"{len(lags_signed):,}, from the act to the signature p50 "
        f"{statistics.median(lags_signed) if lags_signed else 0:.1f} s, p95 {p95(lags_signed):.1f} s, "
        f"max {(lags_signed[-1] if lags_signed else 0):.1f} s",
        f"CPU per certified school (readers included): gunicorn {web / per * 1000:.0f} ms, "
        f"PostgreSQL {pg / per * 1000:.0f} ms, Celery {worker / per * 1000:.0f} ms, driver "
        f"{driver / per * 1000:.0f} ms",
        "",
        targets.at_most(f"{COUNTRY:,} schools at {rate:.2f} schools/s sustained, hours", hours,
                        WINDOW_HOURS, " h"),  # fmt: skip
        targets.at_most(f"p95 of the slowest step ({slowest[1]})", slowest[0], STEP_TARGET, " s"),
        targets.equal("errors", len(rec.errors), 0),
        f"web CPU per school: {web / per:.2f} s — target ≤ {CPU_TARGET:g} s "
        f"{'ok' if web / per <= CPU_TARGET else 'over'} (reported, not asserted)",
        "checks: " + ("snapshots, records and annexes of every certified school, every upload "
                      "stored, every name fixed — OK" if not problems else "FAILED"),
    ]  # fmt: skip
    lines += [f"  error: {e}" for e in rec.errors[:10]]
    lines += [f"  problem: {p}" for p in problems[:20]]
    on = machine()
    if args.profile:
        # Profiled requests are slower: where the web CPU goes, printed, never the results.
        print("\n".join(["# countday_day (profile)", f"machine: {on}", *lines]))
        print("\n".join(cd.profile_summary(work / "profile")))
        print(f"(profiles in {work / 'profile'})")
    elif args.smoke:
        print("\n".join(["# countday_day (smoke)", f"machine: {on}", *lines]))
    else:
        report("countday_day", lines, on=on, speed=machine_speed())
    if problems or rec.done == 0 or (args.smoke and rec.errors):
        sys.exit(1)
    targets.exit()


if __name__ == "__main__":
    main()
