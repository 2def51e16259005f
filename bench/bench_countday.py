"""The count day under load: N schools confirm and certify over HTTP, as their staff and director
would, against gunicorn, a real Celery worker on Redis, and PostgreSQL, all on this machine.

Each school: the staff log in, open My tasks, open the confirm task, confirm; then the director logs
in, opens My tasks, opens the certify task, certifies. Afterwards every certified school must have
one roster snapshot (its learner count equal to its roster), one confirmation record, one
certification record and one roster annex, and no duplicates.

The roster annex (a signed copy of a snapshot already frozen and certified) is rendered off-peak in
production (deploy/opendmc-worker-annexes*.timer): by default (``--annexes after``) the annex worker does
not run during the load; when the load ends it is started and the queue drained, and its CPU and
time per school are reported on their own. ``--annexes niced`` runs it during the load at nice 19,
concurrency 1; ``--annexes during`` is the old way (nice 5, both queues in one worker).

    .venv/bin/python bench/bench_countday.py                 # 200 schools, ≤ ~3 minutes
    .venv/bin/python bench/bench_countday.py --schools 1000 --max-seconds 900
    .venv/bin/python bench/bench_countday.py --logged-in     # staff logged in before the window
    .venv/bin/python bench/bench_countday.py --profile       # + where the web CPU goes (cProfile)
    .venv/bin/python bench/bench_countday.py --smoke         # 4 schools: does it all still work?
    .venv/bin/python bench/bench_countday.py --sign-in oidc --schools 20   # sign in with ThaiD

``--sign-in oidc``: staff and directors sign in through an OpenID provider instead of a password
(the test provider of tests/oidc_provider, django-oauth-toolkit, run as its own process on
loopback, an account for each bench user linked by the citizen ID on the OpenDMC profile). Before
the window, every school's two people sign in once by password and once through the provider on
the same servers, and the web's CPU per school for each is reported side by side (results in
bench/results/countday_oidc.txt).

The database (default postgres://postgres@127.0.0.1:5432/opendmc_load, --database-url or
BENCH_COUNTDAY_DATABASE_URL) is dropped and re-created each run, and filled by `seed_scale`;
the broker is Redis db 5 (--broker), emptied first.

The load driver is a bounded pool of threads on the standard library (urllib, one cookie jar per
user), not locust: the scenario is a fixed sequence of eight steps per school, which is a loop in
plain Python; threads are enough for a few dozen concurrent users on loopback; nothing to pin, and
no gevent monkey-patching in the process that also reads the database for the checks.
"""

import argparse
import http.cookiejar
import io
import json
import os
import pstats
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import redis

ROOT = Path(__file__).resolve().parent.parent

VENV_BIN = Path(sys.executable).parent
TARGET_SCHOOLS = 29_400
AVERAGE_LEARNERS = 221  # 6.5 million learners in 29,400 schools
STEPS = (
    "staff: log in",
    "staff: open My tasks",
    "staff: open the confirm task",
    "staff: confirm",
    "director: log in",
    "director: open My tasks",
    "director: open the certify task",
    "director: certify",
)
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
TAKE = re.compile(r'action="(/workflows/tasks/\d+/take/)"')


def parser_build() -> argparse.ArgumentParser:
    """The options of the run; bench_countday_day.py (the day as it really is) adds its own."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--schools", type=int, default=200)
    parser.add_argument("--areas", type=int, default=None, help="default: one per 50 schools")
    parser.add_argument(
        "--learners", type=int, default=None, help=f"default: {AVERAGE_LEARNERS} a school"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--web-workers", type=int, default=3, help="gunicorn sync workers (≥ 2)")
    parser.add_argument(
        "--celery-concurrency", type=int, default=1, help="default-queue worker processes"
    )
    parser.add_argument(
        "--annexes",
        choices=("after", "niced", "during"),
        default="after",
        help="annex worker: after the load (default, as production's timers), during it at "
        "nice 19 ×1, or during it at nice 5 on the same worker as the default queue (the old way)",
    )
    parser.add_argument(
        "--annex-concurrency", type=int, default=2, help="annex worker processes after the load"
    )
    parser.add_argument(
        "--logged-in",
        action="store_true",
        help="everyone logs in before the window opens (not timed); the default times the logins",
    )
    parser.add_argument(
        "--what-if",
        choices=("lock-of-self",),
        default="",
        help="experiment (printed, not written to results): see bench/countday_settings.py",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="time and cProfile every request in gunicorn (bench.countday_settings); print the top",
    )
    parser.add_argument(
        "--users", type=int, default=None, help="concurrent schools; default 2 × web workers"
    )
    parser.add_argument(
        "--max-seconds", type=float, default=90, help="stop starting schools after this"
    )
    parser.add_argument(
        "--drain-seconds", type=float, default=1800, help="then wait at most this long for annexes"
    )
    parser.add_argument(
        "--sign-in",
        choices=("password", "oidc"),
        default="password",
        help="how staff and directors sign in: a password, or ThaiD (OpenID Connect) through the "
        "test provider, with the web CPU of both sign-ins measured side by side first",
    )
    parser.add_argument("--port", type=int, default=8150)
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_COUNTDAY_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/opendmc_load"
        ),
    )
    parser.add_argument(
        "--broker", default=os.environ.get("BENCH_COUNTDAY_BROKER_URL", "redis://127.0.0.1:6379/5")
    )
    parser.add_argument(
        "--cache-url",
        default=os.environ.get("BENCH_COUNTDAY_CACHE_URL", "redis://127.0.0.1:6379/7"),
        help="CACHE_URL, shared by the web workers as production's (emptied first)",
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="4 schools, 2 web workers; checks only, no results file",
    )
    return parser


def options() -> argparse.Namespace:
    if "--day" in sys.argv[1:]:
        # The day as it really is: its own script, the same servers, seeding and checks.
        day = Path(__file__).with_name("bench_countday_day.py")
        argv = [a for a in sys.argv[1:] if a != "--day"]
        os.execv(sys.executable, [sys.executable, str(day), *argv])  # noqa: S606
    parser = parser_build()
    parser.add_argument(
        "--day", action="store_true", help="the day as it really is: bench_countday_day.py"
    )
    return options_finish(parser, parser.parse_args())


def options_finish(parser: argparse.ArgumentParser, args: argparse.Namespace) -> argparse.Namespace:
    """The sizes that follow from the options (``--smoke``'s tiny one)."""
    if args.smoke:
        args.schools, args.areas, args.learners = 4, 1, 4 * 30
        args.web_workers, args.users, args.max_seconds, args.drain_seconds = 2, 2, 60, 60
        args.annex_concurrency = 1
        if "BENCH_COUNTDAY_DATABASE_URL" not in os.environ and "--database-url" not in sys.argv:
            args.database_url = args.database_url.rsplit("/", 1)[0] + "/opendmc_load_smoke"
    args.areas = args.areas or max(1, args.schools // 50)
    args.learners = args.learners if args.learners is not None else args.schools * AVERAGE_LEARNERS
    args.users = args.users or 2 * args.web_workers
    if args.web_workers < 2:
        parser.error("--web-workers must be at least 2")
    return args


# --- the environment of every process of the run --------------------------------------------------


def environment(args, work: Path) -> dict[str, str]:
    """Return production's environment for the bench settings, on loopback."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.countday_settings",
        "DJANGO_SECRET_KEY": "bench-countday-" + "k" * 50,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": args.database_url,
        "CELERY_BROKER_URL": args.broker,
        "CACHE_URL": args.cache_url,
        "OPENDMC_VAR_DIR": str(work),
        "MEDIA_ROOT": str(work / "media"),
        "STATIC_ROOT": str(work / "static"),
        "SIGNING_DIR": str(work / "keys"),
        "VERIFY_BASE_URL": f"http://127.0.0.1:{args.port}",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
        "BENCH_COUNTDAY_PROFILE": str(work / "profile") if args.profile else "",
        "BENCH_COUNTDAY_WHAT_IF": args.what_if,
    }


def database_recreate(url: str) -> None:
    """Drop and create the bench's own database (only one whose name says it is for load runs)."""
    parts = urllib.parse.urlparse(url)
    name = parts.path.lstrip("/")
    if not re.fullmatch(r"opendmc_(load|bench)\w*", name):
        sys.exit(f"Refusing to drop {name!r}: the bench only re-creates opendmc_load* databases.")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


# --- the servers ---------------------------------------------------------------------------------


def start(work: Path, env, name: str, command: list[str]) -> subprocess.Popen:
    """Start one server in a process group of its own, its output in ``work/<name>.log``."""
    log = open(work / f"{name}.log", "w")  # noqa: SIM115 — closed with the process
    return subprocess.Popen(  # noqa: S603 — our own executables, fixed arguments
        command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )


def celery_worker(work: Path, env, *, name: str, queues: str, concurrency: int, nice: int):
    """A Celery worker as production's units run it (deploy/opendmc-worker*.service): a new
    process after 20 annexes (WeasyPrint's memory), after 200 tasks of the default queue."""
    max_tasks = "20" if "annexes" in queues else "200"
    return start(work, env, name, [
        "nice", "-n", str(nice), str(VENV_BIN / "celery"), "-A", "config", "worker",
        "--queues", queues, "--concurrency", str(concurrency),
        "--hostname", f"{name}-{os.getpid()}@%h", "--without-gossip", "--without-mingle",
        "--max-tasks-per-child", max_tasks, "--loglevel", "WARNING",
    ])  # fmt: skip


def start_servers(args, env, work: Path) -> dict[str, subprocess.Popen]:
    """Start gunicorn and the Celery workers of the window: the default queue always; the annex
    queue too with ``--annexes during`` (the same worker, nice 5) or ``niced`` (its own, nice 19)."""
    servers = {
        "web": start(
            work,
            env,
            "gunicorn",
            [
                str(VENV_BIN / "gunicorn"),
                "config.wsgi",
                "--workers",
                str(args.web_workers),
                "--bind",
                f"127.0.0.1:{args.port}",
                "--timeout",
                "120",
                "--log-level",
                "warning",
            ],
        ),  # fmt: skip
    }
    if args.annexes == "during":
        servers["worker"] = celery_worker(
            work, env, name="countday", queues="celery,annexes",
            concurrency=args.celery_concurrency, nice=5,
        )  # fmt: skip
        return servers
    servers["worker"] = celery_worker(
        work, env, name="countday", queues="celery", concurrency=args.celery_concurrency, nice=0
    )
    if args.annexes == "niced":
        servers["annexes"] = celery_worker(
            work, env, name="annexes", queues="annexes", concurrency=1, nice=19
        )
    return servers


def wait_healthy(args, servers, work: Path, timeout: float = 120) -> None:
    """Wait until /healthz/ answers 200 with every part "ok" (the database and the broker are up)."""
    deadline = time.monotonic() + timeout
    url = f"http://127.0.0.1:{args.port}/healthz/"
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in servers.values()):
            sys.exit(f"A server stopped; see the logs in {work}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 — loopback
                # 200 while the database answers; the broker must say "ok" too.
                if response.status == 200 and "error" not in json.loads(response.read()).values():
                    break
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)
    else:
        sys.exit(f"gunicorn did not become healthy; see {work}/gunicorn.log")
    # Warm every worker up (templates, URL resolver) so the first schools do not pay for it.
    for _ in range(4 * args.web_workers):
        Browser(f"http://127.0.0.1:{args.port}").open("/accounts/login/")


def stop_servers(servers: dict[str, subprocess.Popen]) -> None:
    for process in servers.values():
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in servers.values():
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def cpu_seconds(pids) -> float:
    """Return the CPU seconds used by these processes and their descendants (and reaped children)."""
    ticks = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    stats: dict[int, list[str]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            text = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = text.rsplit(")", 1)[1].split()
        parents[int(entry)] = int(fields[1])
        stats[int(entry)] = fields
    tree, frontier = set(pids), list(pids)
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in tree]
        tree.update(children)
        frontier.extend(children)
    total = 0
    for pid in tree:
        fields = stats.get(pid)
        if fields:
            total += sum(int(v) for v in fields[11:15])  # utime, stime, cutime, cstime
    return total / ticks


def postgres_cpu(database: str) -> float:
    """Return the CPU seconds of the PostgreSQL backends connected to the bench's database."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
            except OSError:
                continue
            if cmdline.startswith(b"postgres:") and f" {database} ".encode() in cmdline:
                pids.append(int(entry))
    return cpu_seconds(pids) if pids else 0.0


# --- the load --------------------------------------------------------------------------------------


class StepFailed(Exception):
    pass


class Browser:
    """One user's browser: its own cookies, redirects followed, no static files fetched."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def open(self, path: str, data: dict | None = None) -> tuple[str, str]:
        """Open a path of OpenDMC (or a whole URL, the provider's); return where it landed
        (a path when on OpenDMC) and the page."""
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        url = path if path.startswith("http") else self.base + path
        try:
            with self.opener.open(url, data=body, timeout=120) as response:
                return response.geturl().removeprefix(self.base), response.read().decode()
        except urllib.error.HTTPError as exc:
            raise StepFailed(f"{'POST' if data else 'GET'} {path}: HTTP {exc.code}") from exc


def token(page: str) -> str:
    match = CSRF.search(page)
    if not match:
        raise StepFailed("no CSRF token on the page")
    return match.group(1)


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.times: dict[str, list[float]] = defaultdict(list)
        self.errors: list[str] = []
        self.done = 0

    def step(self, name: str, fn):
        start = time.perf_counter()
        result = fn()
        elapsed = time.perf_counter() - start
        with self.lock:
            self.times[name].append(elapsed)
        return result


def log_in(user: Browser, username: str, password: str, how: str = "password") -> None:
    """Sign in as a person does: the password form, or ThaiD (OpenID Connect)."""
    if how == "oidc":
        log_in_oidc(user, username, password)
        return
    _url, page = user.open("/accounts/login/")
    url, _page = user.open(
        "/accounts/login/",
        {"username": username, "password": password, "csrfmiddlewaretoken": token(page)},
    )
    if url.startswith("/accounts/login/"):
        raise StepFailed(f"{username} could not log in")


PROVIDER_NEXT = re.compile(r'name="next" value="([^"]*)"')


def log_in_oidc(user: Browser, username: str, password: str) -> None:
    """Open the login page, press "Sign in with ThaiD", sign in at the provider, come back
    through the callback."""
    _url, page = user.open("/accounts/login/")
    if 'id="thaid-login"' not in page:
        raise StepFailed("the login page offers no ThaiD sign-in")
    url, page = user.open("/accounts/oidc/login/")
    if 'name="password"' not in page or not url.startswith("http"):
        raise StepFailed(f"{username}: the provider's sign-in page did not come ({url})")
    following = PROVIDER_NEXT.search(page)
    landed, _page = user.open(url, {
        "csrfmiddlewaretoken": token(page), "username": username, "password": password,
        "next": following.group(1).replace("&amp;", "&") if following else "",
    })  # fmt: skip
    if landed.startswith(("http", "/accounts/login/", "/accounts/oidc/")):
        raise StepFailed(f"{username} could not sign in with ThaiD (landed on {landed})")


def person(base, rec: Recorder, who: str, user: Browser | None, username: str, password: str,
           node: str, data: dict, how: str = "password", think=None):  # fmt: skip
    """Log in (unless ``user`` is already logged in), open My tasks, open the node's task, act:
    four steps (or three), each timed; ``think()``, when given, before each step after the first
    (a person's pause, not timed)."""
    pause = think or (lambda: None)

    def inbox():
        _url, page = user.open("/workflows/")
        takes = TAKE.findall(page)
        if len(takes) != 1:
            raise StepFailed(f"{username} has {len(takes)} tasks in My tasks, expected 1")
        return takes[0], token(page)

    if user is None:
        user = Browser(base)
        rec.step(f"{who}: log in", lambda: log_in(user, username, password, how))
        pause()
    take, csrf = rec.step(f"{who}: open My tasks", inbox)
    pause()
    execute, page = rec.step(
        f"{who}: open the {node} task", lambda: user.open(take, {"csrfmiddlewaretoken": csrf})
    )
    if f"/{node}/" not in execute:
        raise StepFailed(f"{username}: the task opened at {execute}, not a {node} step")
    pause()
    landed, page = rec.step(
        f"{who}: {node}", lambda: user.open(execute, {"csrfmiddlewaretoken": token(page), **data})
    )
    if landed == execute:
        raise StepFailed(f"{username}: {node} refused (the form came back)")


def log_everyone_in(args, data) -> tuple[dict[str, tuple[Browser, Browser]], float]:
    """Before the window: every school's staff and director log in (as they would at 08:00)."""
    base = f"http://127.0.0.1:{args.port}"
    prefix, password = data["prefix"], data["password"]

    def both(code):
        staff, director = Browser(base), Browser(base)
        log_in(staff, f"{prefix}staff.{code}", password, args.sign_in)
        log_in(director, f"{prefix}director.{code}", password, args.sign_in)
        return code, (staff, director)

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.users) as pool:
        browsers = dict(pool.map(both, data["codes"]))
    return browsers, time.perf_counter() - start


def run_load(args, data, browsers=None) -> tuple[Recorder, float, int]:
    """Run every school's count day through a pool of concurrent users; stop starting new schools
    after --max-seconds. Return the recorder, the wall time and how many schools were started."""
    base = f"http://127.0.0.1:{args.port}"
    rec = Recorder()
    deadline = time.monotonic() + args.max_seconds
    started = 0
    started_lock = threading.Lock()

    def school(code: str):
        nonlocal started
        if time.monotonic() > deadline:
            return
        with started_lock:
            started += 1
        prefix, password = data["prefix"], data["password"]
        staff, director = browsers[code] if browsers else (None, None)
        try:
            person(
                base,
                rec,
                "staff",
                staff,
                f"{prefix}staff.{code}",
                password,
                "confirm",
                {},
                args.sign_in,
            )
            person(base, rec, "director", director, f"{prefix}director.{code}", password,
                   "certify", {"decision": "certify"}, args.sign_in)  # fmt: skip
        except (StepFailed, OSError) as exc:
            with rec.lock:
                rec.errors.append(f"{code}: {exc}")
            return
        with rec.lock:
            rec.done += 1

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.users) as pool:
        list(pool.map(school, data["codes"]))
    return rec, time.perf_counter() - start, started


def sign_in_cost(args, data, web_pid: int, provider_pid: int, how: str) -> dict:
    """Sign every school's staff and director in once (``how``), outside the window; return the
    web's (gunicorn's) and the provider's CPU per school and each sign-in's wall time."""
    base = f"http://127.0.0.1:{args.port}"
    prefix, password = data["prefix"], data["password"]
    times: list[float] = []
    lock = threading.Lock()

    def both(code):
        for role in ("staff", "director"):
            started = time.perf_counter()
            log_in(Browser(base), f"{prefix}{role}.{code}", password, how)
            with lock:
                times.append(time.perf_counter() - started)

    web, provider = cpu_seconds([web_pid]), cpu_seconds([provider_pid])
    with ThreadPoolExecutor(max_workers=args.users) as pool:
        list(pool.map(both, data["codes"]))
    schools = len(data["codes"])
    return {
        "web_ms": (cpu_seconds([web_pid]) - web) / schools * 1000,
        "provider_ms": (cpu_seconds([provider_pid]) - provider) / schools * 1000,
        "times": times,
    }


def sign_in_compare(args, data, web_pid: int, provider_pid: int) -> list[str]:
    """Measure both ways of signing in on the same servers, one after the other; return the
    lines for the results. Each gunicorn worker first reads the provider's discovery document
    and keys (once in its life): a few ThaiD sign-ins before the measure."""
    base = f"http://127.0.0.1:{args.port}"
    first = data["codes"][0]
    for _i in range(2 * args.web_workers):
        log_in(Browser(base), f"{data['prefix']}staff.{first}", data["password"], "oidc")
    password = sign_in_cost(args, data, web_pid, provider_pid, "password")
    oidc = sign_in_cost(args, data, web_pid, provider_pid, "oidc")
    n = 2 * len(data["codes"])
    return [
        f"sign-in, after the window and the annexes, the same servers ({n} sign-ins each way, staff and "
        f"director of every school, {args.users} at a time):",
        f"  password (two password hashes a school)   web CPU {password['web_ms']:.0f} ms a "
        f"school; a sign-in {percentiles(password['times'])}",
        f"  ThaiD / OIDC (two ID-token checks)         web CPU {oidc['web_ms']:.0f} ms a "
        f"school; a sign-in {percentiles(oidc['times'])}",
        f"  the provider's own CPU for ThaiD: {oidc['provider_ms']:.0f} ms a school (test "
        "provider, Django's development server, MD5 passwords; ThaiD's in production, not ours)",
    ]


# --- after the run -------------------------------------------------------------------------------


def percentiles(values: list[float]) -> str:
    if not values:
        return "no samples"
    ordered = sorted(values)

    def at(p):
        return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))] * 1000

    return f"p50 {at(50):6.0f} ms  p95 {at(95):6.0f} ms  p99 {at(99):6.0f} ms  (n={len(values)})"


def profile_summary(directory: Path) -> list[str]:
    """Per kind of request: count, wall and CPU time, SQL queries; then the top functions."""
    rows: dict[str, list[tuple[float, float, int]]] = {}
    for path in sorted(directory.glob("requests.*.tsv")):
        for line in path.read_text().splitlines():
            request, _status, wall, cpu, queries = line.split("\t")
            rows.setdefault(request, []).append((float(wall), float(cpu), int(queries)))
    lines = ["per request in gunicorn (middleware to response; cProfile on, so ~1.3× slower):"]
    for request, samples in sorted(rows.items(), key=lambda kv: -sum(c for _w, c, _q in kv[1])):
        lines.append(
            f"  {request:<44} n={len(samples):<5} wall p50 "
            f"{statistics.median(w for w, _c, _q in samples):6.0f} ms  CPU mean "
            f"{statistics.fmean(c for _w, c, _q in samples):6.0f} ms  queries p50 "
            f"{statistics.median(q for _w, _c, q in samples):4.0f}"
        )
    profiles = [str(p) for p in directory.glob("profile.*.prof")]
    if profiles:
        out = io.StringIO()
        stats = pstats.Stats(*profiles, stream=out)
        stats.sort_stats("cumulative").print_stats(45)
        stats.sort_stats("tottime").print_stats(25)
        lines.append(out.getvalue())
    return lines


def main() -> None:
    args = options()
    work = Path(tempfile.mkdtemp(prefix="opendmc-countday-"))
    if args.profile:
        (work / "profile").mkdir()
    env = environment(args, work)
    os.environ.update(env)
    database_recreate(args.database_url)
    # Django set up once, with the settings chosen above (bench.countday_settings, which
    # setup_django keeps), then the apps: as every benchmark, here once the options are read.
    import setup_django  # noqa: F401

    from django.conf import settings
    from django.db import connection

    from bench import countday_data
    from bench.common import machine, machine_speed, report

    redis.Redis.from_url(args.broker).flushdb()
    redis.Redis.from_url(args.cache_url).flushdb()
    print(
        f"count day: {args.schools} schools, {args.learners:,} learners; setting up …", flush=True
    )
    data = countday_data.setup_data(args, work)
    connection.close()  # the servers and the driver take over; the checks reconnect
    database = settings.DATABASES["default"]["NAME"]
    provider, sign_in_lines = None, []
    if args.sign_in == "oidc":
        print(f"… starting the OpenID provider ({len(data['citizen_ids'])} accounts)", flush=True)
        provider, provider_env = countday_data.provider_start(args, data, work)
        env.update(provider_env)
    servers = start_servers(args, env, work)
    browsers, login_wall = None, 0.0
    try:
        wait_healthy(args, servers, work)
        if args.logged_in:
            print(f"… logging {2 * len(data['codes'])} users in before the window", flush=True)
            browsers, login_wall = log_everyone_in(args, data)
        window = [servers[name].pid for name in ("web", "worker")]
        niced = [servers["annexes"].pid] if "annexes" in servers else []
        cpu_before = (cpu_seconds([servers["web"].pid]), cpu_seconds(window[1:]),
                      cpu_seconds(niced), postgres_cpu(database), time.process_time())  # fmt: skip
        print(f"… {len(data['codes'])} schools ready in {data['setup_seconds']:.0f} s; load "
              f"with {args.users} users on {args.web_workers} gunicorn workers, annexes "
              f"{args.annexes}", flush=True)  # fmt: skip
        load_before = os.getloadavg()
        rec, wall, started = run_load(args, data, browsers)
        load_after = os.getloadavg()
        cpu_after = (cpu_seconds([servers["web"].pid]), cpu_seconds(window[1:]),
                     cpu_seconds(niced), postgres_cpu(database), time.process_time())  # fmt: skip
        annexes_at_end, annexes_all = countday_data.annexes()
        unsigned, lags_signed = countday_data.records_drain(args.drain_seconds)
        # After the window: the annex worker is started (as production's timer does at 16:30)
        # and the queue drained; its CPU (and PostgreSQL's meanwhile) is the annexes' alone.
        if args.annexes == "after":
            print(f"… load done in {wall:.0f} s; rendering {annexes_all} annexes with "
                  f"{args.annex_concurrency} worker processes", flush=True)  # fmt: skip
            pg_before = postgres_cpu(database)
            servers["annexes"] = celery_worker(
                work, env, name="annexes", queues="annexes",
                concurrency=args.annex_concurrency, nice=0,
            )  # fmt: skip
        else:
            pg_before = postgres_cpu(database)
        drain_load_before = os.getloadavg()
        # The annex CPU: the whole life of the worker that renders them.
        annex_cpu_before = {"after": 0.0, "niced": cpu_before[2], "during": cpu_before[1]}[
            args.annexes
        ]
        ready, pending, drained, first = countday_data.annexes_drain(args.drain_seconds)
        annex_pids = [servers["annexes" if "annexes" in servers else "worker"].pid]
        annex_cpu = cpu_seconds(annex_pids) - annex_cpu_before
        drain_pg = postgres_cpu(database) - pg_before
        drain_load_after = os.getloadavg()
        if provider is not None:
            # Last, on the servers still up: no figure above counts these sign-ins (nor the
            # PostgreSQL backends they open and that close up to CONN_MAX_AGE later).
            print("… signing everyone in by password, then through the provider", flush=True)
            sign_in_lines = sign_in_compare(args, data, servers["web"].pid, provider.process.pid)
    finally:
        stop_servers(servers)
        if provider is not None:
            provider.stop()
    certified_codes = countday_data.certified_codes(data["round"])
    problems = countday_data.check(data["round"], certified_codes)
    if len(certified_codes) != rec.done:
        problems.append(f"driver finished {rec.done} schools, database has {len(certified_codes)}")
    if pending:
        problems.append(f"{pending} annexes not ready after draining {drained:.0f} s")
    if unsigned:
        problems.append(f"{unsigned} records not signed after the load")
    records = countday_data.records_signed()
    rate = rec.done / wall if wall else 0.0
    web, worker, niced_cpu, pg, driver = (
        after - before for after, before in zip(cpu_after, cpu_before, strict=True)
    )
    per = max(rec.done, 1)
    login_ms = countday_data.password_check_ms(data["password"], data["prefix"])
    cores = os.cpu_count() or 1
    window_cpu = (web + pg + (worker if args.annexes != "during" else 0)) / per
    annex_per = annex_cpu / max(ready, 1)
    annex_total_per = (annex_cpu + (drain_pg if args.annexes == "after" else 0)) / max(ready, 1)
    annex_workers = args.annex_concurrency if args.annexes == "after" else 1
    # Projections. The window: this rate, and the CPU-bound ceiling of the window's processes.
    # The annexes: with N processes on N free cores, the measured wall time per annex ÷ N, and
    # the CPU per annex (worker + its PostgreSQL reads) ÷ min(N, cores).
    annex_wall_per = drained / max(ready, 1)
    annex_hours = TARGET_SCHOOLS * annex_wall_per / 3600
    annex_cpu_hours = TARGET_SCHOOLS * annex_total_per / min(annex_workers, cores) / 3600
    load = " / ".join(f"{v:.1f}" for v in load_before)
    load_end = " / ".join(f"{v:.1f}" for v in load_after)
    drain_load = " / ".join(f"{v:.1f}" for v in drain_load_before)
    drain_load_end = " / ".join(f"{v:.1f}" for v in drain_load_after)
    annex_mode = {
        "after": f"not running during the load; started after it, ×{args.annex_concurrency}",
        "niced": "its own worker ×1 at nice 19 during the load",
        "during": "in the default-queue worker (nice 5) during the load",
    }[args.annexes]
    logins = (
        f"everyone logged in before the window ({2 * len(data['codes'])} logins in "
        f"{login_wall:.0f} s, not timed below)"
        if args.logged_in
        else "staff and director log in inside the window (two logins a school)"
    ) + ("; sign-in with ThaiD (OpenID Connect) through the test provider" if provider else "")
    lines = [
        f"schools {len(data['codes'])} ({data['blocked']} left out: data errors), learners "
        f"{data['learners']:,}, area offices {args.areas}; seed_scale + ready + round open "
        f"{data['setup_seconds']:.0f} s (starting {len(data['codes'])} processes {data['open_seconds']:.1f} s)",
        f"servers: gunicorn {args.web_workers} sync workers, Celery default-queue worker "
        f"×{args.celery_concurrency} on Redis, PostgreSQL; annex worker: {annex_mode}; "
        f"{args.users} concurrent users over HTTP on loopback (bench.countday_settings = "
        f"production over plain HTTP); {logins}",
        f"load average (1/5/15 min) before the load {load}, at its end {load_end}; "
        f"annexes: before {drain_load}, after {drain_load_end} (other work on the machine counts)",
        f"schools certified: {rec.done} of {started} started in {wall:.1f} s "
        f"(stopped starting after {args.max_seconds:.0f} s)",
        f"errors: {len(rec.errors)}",
        "per step (each step follows its redirects, as a browser does):",
        *(f"  {step:<32} {percentiles(rec.times[step])}" for step in STEPS if rec.times[step]),
        f"records signed by the default-queue worker after each request's commit: {records} "
        f"(confirmation + certification, one page each), from the act to the signature p50 "
        f"{statistics.median(lags_signed) if lags_signed else 0:.1f} s, max "
        f"{(lags_signed[-1] if lags_signed else 0):.1f} s",
        f"CPU per certified school in the window: gunicorn {web / per * 1000:.0f} ms, PostgreSQL "
        f"{pg / per * 1000:.0f} ms, default-queue worker {worker / per * 1000:.0f} ms, load driver "
        f"{driver / per * 1000:.0f} ms"
        + (f", niced annex worker {niced_cpu / per * 1000:.0f} ms" if niced else ""),
        *sign_in_lines,
        f"one password check ({settings.PASSWORD_HASHERS[0].rsplit('.', 1)[-1]}): "
        f"{login_ms:.0f} ms here and now"
        + ("; two logins a school" if not args.logged_in else "; logins before the window"),
        f"roster annexes: {annexes_at_end} ready when the load ended; {ready} ready, {pending} "
        f"not, {drained:.0f} s later (first after {first or 0:.1f} s); Celery {annex_per * 1000:.0f} ms "
        f"CPU per annex (the worker's start included)"
        + (f" + PostgreSQL {drain_pg / max(ready, 1) * 1000:.0f} ms" if args.annexes == "after" else ""),
        "",
        f"count-day window: {rate:.2f} schools/s → {TARGET_SCHOOLS:,} schools in "
        + (f"{TARGET_SCHOOLS / rate / 3600:.1f} h" if rate else "n/a")
        + f" (CPU-bound ceiling on {cores} cores: {window_cpu:.2f} CPU s a school → "
        f"{TARGET_SCHOOLS * window_cpu / cores / 3600:.1f} h)",
    ]  # fmt: skip
    if args.annexes == "after":
        lines.append(
            f"annexes after the window: {annex_wall_per:.2f} s per school ({annex_total_per:.2f} "
            f"CPU s) → {TARGET_SCHOOLS:,} schools in {annex_hours:.1f} h with {annex_workers} "
            f"workers (CPU-bound: {annex_cpu_hours:.1f} h)"
        )
    lines.append(
        "checks: " + ("one snapshot (= roster, no duplicate learner) and one confirmation, "
                      "certification and annex record per certified school, every annex "
                      "rendered — OK" if not problems else "FAILED")
    )  # fmt: skip
    for error in rec.errors[:10]:
        lines.append(f"  error: {error}")
    for problem in problems[:20]:
        lines.append(f"  problem: {problem}")
    on = machine()
    if args.profile:
        print("\n".join(profile_summary(work / "profile")))
        print(f"(profiles in {work / 'profile'})")
    if args.smoke or args.profile or args.what_if:
        kind = "smoke" if args.smoke else "profile" if args.profile else f"what if {args.what_if}"
        print("\n".join([f"# countday ({kind})", f"machine: {on}", *lines]))
    else:
        # The machine's speed beside the figures, as every benchmark's results file has it.
        report("countday_oidc" if provider else "countday", lines, on=on, speed=machine_speed())
    if rec.errors or problems or rec.done == 0:
        sys.exit(1)


if __name__ == "__main__":
    main()
