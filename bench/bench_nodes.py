"""The count day on two web nodes behind nginx (issue 20, items 3 and 5): does the second node add
throughput?

Two gunicorn groups (each ``--web-workers`` sync workers, each pinned to its own core with
``taskset``: one node per core, as two machines would have) run behind Debian's nginx, configured
from deploy/nginx-opendmc.conf itself: the same proxy settings, its TLS listener replaced by a
loopback port and its upstream by the two groups (``loopback_nginx``). The nodes share the
database (through PgBouncer in transaction mode with ``--pooler``), the broker, ``MEDIA_ROOT`` and
one Celery worker apart; the reports read the replica with ``--replica-url``.

The same run measures one node and two, in turn, ABAB (``--phases``, 4 by default): for a "one
node" phase nginx is reloaded with only the first group in its upstream, for a "two nodes" phase
with both; each phase takes fresh schools from bench_countday's scenario (log in, My tasks, open
the task, confirm; the same for the director to certify) for ``--phase-seconds``. What nginx sent
to each node is read from its access log (``$upstream_addr``). Afterwards every certified school
must have one snapshot and one record of each kind, as bench_countday checks.

    .venv/bin/python bench/bench_nodes.py --pooler        # 4 × 60 s; writes bench/results/nodes.txt
    .venv/bin/python bench/bench_nodes.py --smoke         # 2 × 10 s, 12 schools: does it work?

Target (asserted in full and --check runs): two nodes carry at least 1.3× one node. Not 2×: on
this 2-core machine PostgreSQL, the Celery worker, nginx and the load driver share the two cores
with the nodes, so the second node's core is never all its own. Each phase reports the CPU a
school took on each node, on the rest of the machine and in the driver, and the run the most two
nodes could carry here from those figures (the ceiling): on a quiet machine, that is what keeps the
pair from 2×. One beat runs beside the worker, as deploy/opendmc-beat.service does.
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import bench_countday as countday
import redis

ROOT = Path(__file__).resolve().parent.parent

NGINX = "/usr/sbin/nginx"
TARGET = 1.3
LISTEN_443 = re.compile(r"listen 443 ssl[^;]*;")


def options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--schools", type=int, default=600)
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn workers per node")
    parser.add_argument("--users", type=int, default=8, help="concurrent schools")
    parser.add_argument("--phases", type=int, default=4, help="one node, two nodes, … in turn")
    parser.add_argument("--phase-seconds", type=float, default=60)
    parser.add_argument("--port", type=int, default=8160, help="nginx; the nodes on the next two")
    parser.add_argument("--pooler", action="store_true", help="through PgBouncer on 6432")
    parser.add_argument("--replica-url", default="", help="DATABASE_REPLICA_URL for the nodes")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/opendmc_load_nodes"
    )
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/6")
    parser.add_argument("--cache-url", default="redis://127.0.0.1:6379/9", help="CACHE_URL")
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args()
    if args.smoke:
        args.schools, args.users, args.phases, args.phase_seconds = 12, 2, 2, 10
        args.database_url = args.database_url.rsplit("/", 1)[0] + "/opendmc_load_nodes_smoke"
    if args.check:
        args.schools, args.phases, args.phase_seconds = 300, 4, 30
    # What bench_countday's setup and load driver read.
    args.areas = max(1, args.schools // 50)
    args.learners = args.schools * (30 if args.smoke else countday.AVERAGE_LEARNERS)
    args.sign_in, args.logged_in, args.profile, args.what_if = "password", False, False, ""
    args.max_seconds = args.phase_seconds
    return args


def loopback_nginx(work: Path, listen: int, nodes: list[int]) -> Path:
    """Write nginx's configuration: deploy/nginx-opendmc.conf's own settings, served on a loopback
    port over plain HTTP (no TLS, no redirect from port 80), the upstream being ``nodes``."""
    site = (ROOT / "deploy" / "nginx-opendmc.conf").read_text()
    site = re.sub(r"upstream opendmc \{.*?\n\}", "upstream opendmc {\n" + "".join(
        f"    server 127.0.0.1:{port} fail_timeout=0;\n" for port in nodes
    ) + "}", site, count=1, flags=re.S)  # fmt: skip
    site = re.sub(r"server \{\s*listen 80;.*?\n\}\n", "", site, count=1, flags=re.S)
    site = LISTEN_443.sub(f"listen 127.0.0.1:{listen};", site)
    site = re.sub(r"\n\s*ssl_certificate(_key)?\s[^;]*;", "", site)
    (work / "site.conf").write_text(site)
    conf = work / "nginx.conf"
    conf.write_text(
        f"worker_processes 1;\npid {work}/nginx.pid;\nerror_log {work}/nginx-error.log;\n"
        "events { worker_connections 1024; }\n"
        "http {\n"
        "    log_format nodes '$upstream_addr $status';\n"
        f"    access_log {work}/nginx-access.log nodes;\n"
        f"    client_body_temp_path {work}/body; proxy_temp_path {work}/proxy;\n"
        f"    include {work}/site.conf;\n"
        "}\n"
    )
    return conf


def nginx(conf: Path, *signal: str) -> None:
    subprocess.run(  # noqa: S603 - Debian's nginx, our own configuration
        [NGINX, "-p", str(conf.parent), "-c", str(conf), *signal], check=True, capture_output=True
    )


def nodes_start(args, env, work: Path) -> dict:
    """Start the two gunicorn groups, each pinned to its own core, and the Celery worker."""
    cores = os.cpu_count() or 1
    servers = {}
    for index in range(2):
        port = args.port + 1 + index
        servers[f"web-{index + 1}"] = countday.start(work, env, f"gunicorn-{index + 1}", [
            "taskset", "-c", str(index % cores), str(countday.VENV_BIN / "gunicorn"),
            "config.wsgi", "--workers", str(args.web_workers), "--bind", f"127.0.0.1:{port}",
            "--timeout", "120", "--log-level", "warning",
        ])  # fmt: skip
    servers["worker"] = countday.celery_worker(
        work, env, name="nodes", queues="celery", concurrency=1, nice=0
    )
    # One beat for the whole deployment, as deploy/opendmc-beat.service runs it.
    servers["beat"] = countday.start(work, env, "beat", [
        str(countday.VENV_BIN / "celery"), "-A", "config", "beat", "--loglevel", "WARNING",
        "--schedule", str(work / "beat-schedule"),
    ])  # fmt: skip
    return servers


def machine_busy() -> float:
    """Return the CPU seconds every core of the machine has been busy since boot (/proc/stat)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def cpu_now(servers: dict) -> dict[str, float]:
    """Return the CPU seconds used so far: each web node, the Celery worker, this process (the
    load driver's threads) and the whole machine."""
    return {
        "web-1": countday.cpu_seconds([servers["web-1"].pid]),
        "web-2": countday.cpu_seconds([servers["web-2"].pid]),
        "worker": countday.cpu_seconds([servers["worker"].pid]),
        "driver": sum(os.times()[:2]),
        "machine": machine_busy(),
    }


def served(log: Path, offset: int) -> tuple[Counter, int]:
    """Count the requests nginx sent to each node since ``offset`` in its access log."""
    with log.open("rb") as handle:
        handle.seek(offset)
        lines = handle.read().decode().splitlines()
        end = handle.tell()
    return Counter(line.split()[0] for line in lines if line.strip()), end


def phases_run(args, data, conf: Path, work: Path, servers: dict) -> list[dict]:
    """Run the phases in turn (one node, two nodes, …), each on fresh schools, with the CPU each
    part of the machine used in each."""
    ports = [args.port + 1, args.port + 2]
    per_phase = len(data["codes"]) // args.phases
    log, offset, results = work / "nginx-access.log", 0, []
    for phase in range(args.phases):
        nodes = 1 if phase % 2 == 0 else 2
        loopback_nginx(work, args.port, ports[:nodes])
        nginx(conf, "-s", "reload")
        time.sleep(1)  # the old nginx workers finish their requests
        _counts, offset = served(log, 0)
        codes = data["codes"][phase * per_phase : (phase + 1) * per_phase]
        before = cpu_now(servers)
        rec, wall, started = countday.run_load(args, {**data, "codes": codes})
        after = cpu_now(servers)
        counts, offset = served(log, offset)
        cpu = {part: after[part] - before[part] for part in after}
        results.append(SimpleNamespace(nodes=nodes, rec=rec, wall=wall, started=started,
                                       counts=counts, rate=rec.done / wall if wall else 0.0,
                                       cpu=cpu))  # fmt: skip
        print(f"… phase {phase + 1}: {nodes} node(s), {rec.done} schools in {wall:.0f} s "
              f"({rec.done / wall:.2f}/s), {len(rec.errors)} errors", flush=True)  # fmt: skip
    return results


def main() -> None:
    args = options()
    work = Path(tempfile.mkdtemp(prefix="opendmc-nodes-"))
    work.chmod(0o755)  # nginx's workers (nobody) write the bodies and replies they buffer here
    for folder in ("body", "proxy"):
        (work / folder).mkdir(mode=0o777)
    env = countday.environment(args, work)
    if args.pooler:
        env["DATABASE_URL"] = args.database_url.replace(":5432/", ":6432/")
        env["DATABASE_POOLER"] = "pgbouncer"
    if args.replica_url:
        env["DATABASE_REPLICA_URL"] = args.replica_url
    os.environ.update({**env, "DATABASE_URL": args.database_url, "DATABASE_POOLER": ""})
    countday.database_recreate(args.database_url)
    # Django set up once, with the settings chosen above (bench.countday_settings, which
    # setup_django keeps), then bench_countday's Django side: as bench_countday does.
    import setup_django  # noqa: F401

    from django.db import connection

    from bench import countday_data
    from bench.common import Targets, machine, machine_speed, report

    redis.Redis.from_url(args.broker).flushdb()
    redis.Redis.from_url(args.cache_url).flushdb()
    print(f"two web nodes: {args.schools} schools; setting up …", flush=True)
    data = countday_data.setup_data(args, work)
    connection.close()
    servers = nodes_start(args, env, work)
    conf = loopback_nginx(work, args.port, [args.port + 1, args.port + 2])
    # The servers are stopped however the run ends: a failed nginx start (none installed) left
    # two gunicorns, a worker and a beat running for the rest of the machine's day.
    try:
        nginx(conf)
        countday.wait_healthy(args, servers, work)
        results = phases_run(args, data, conf, work, servers)
        # The worker signs each step's record after the request's commit: let it finish.
        unsigned, _lags = countday_data.records_drain(120)
    finally:
        if (work / "nginx.pid").exists():  # nginx started
            subprocess.run([NGINX, "-p", str(work), "-c", str(conf), "-s", "quit"], check=False)  # noqa: S603
        countday.stop_servers(servers)
    certified = countday_data.certified_codes(data["round"])
    problems = countday_data.check(data["round"], certified)
    if unsigned:
        problems.append(f"{unsigned} records not signed 120 s after the load")
    lines, targets = summary(args, data, results, certified, problems), Targets()
    one = statistics.median(r.rate for r in results if r.nodes == 1)
    two = statistics.median(r.rate for r in results if r.nodes == 2)
    lines.append(
        targets.at_least("two nodes ÷ one node, schools/s", two / one if one else 0, TARGET)
    )
    on = machine()
    if args.smoke:
        print("\n".join(["# nodes (smoke)", f"machine: {on}", *lines]))
    else:
        report("nodes", lines, on=on, speed=machine_speed())
    if any(r.rec.errors for r in results) or problems:
        sys.exit(1)
    targets.exit()


def summary(args, data, results, certified: set[str], problems: list[str]) -> list[str]:
    """The phases, the nodes' shares, and the count day's checks."""
    done = sum(r.rec.done for r in results)
    if len(certified) != done:
        problems.append(f"driver finished {done} schools, database has {len(certified)}")
    load = " / ".join(f"{v:.1f}" for v in os.getloadavg())
    lines = [
        f"schools {len(data['codes'])} ready ({data['learners']:,} learners); {args.users} "
        f"concurrent users; gunicorn ×{args.web_workers} per node, each node pinned to one core; "
        f"nginx from deploy/nginx-opendmc.conf; one Celery worker; "
        + ("PgBouncer (transaction mode)" if args.pooler else "PostgreSQL direct")
        + (", reports on the replica" if args.replica_url else ""),
        f"load average after the run (1/5/15 min): {load}",
    ]
    for index, r in enumerate(results, 1):
        shares = ", ".join(f"{addr} {n}" for addr, n in sorted(r.counts.items()))
        lines.append(
            f"phase {index}: {r.nodes} node(s): {r.rec.done} schools in {r.wall:.1f} s = "
            f"{r.rate:.2f} schools/s, {len(r.rec.errors)} errors; requests per node: {shares}"
        )
        lines.append("  " + cpu_line(r))
        if r.nodes == 2:
            total = sum(r.counts.values()) or 1
            per_node = [r.rate * n / total for _addr, n in sorted(r.counts.items())]
            lines.append(
                "  schools/s per node (its share of the requests × the phase's rate): "
                + ", ".join(f"{v:.2f}" for v in per_node)
            )
    lines.append(ceiling_line(results))
    lines.append(
        "checks: one snapshot (= roster) and one confirmation, certification and annex record "
        "per certified school — " + ("OK" if not problems else "FAILED")
    )
    lines += [f"  problem: {p}" for p in problems[:20]]
    return lines


def per_school(r, seconds: float) -> float:
    return seconds / r.rec.done if r.rec.done else 0.0


def cpu_line(r) -> str:
    """A phase's CPU seconds a school: each web node, the rest of the machine (PostgreSQL,
    PgBouncer, nginx, the Celery worker and beat, the operating system, and any other work running
    beside the bench: the load average says) and the load driver."""
    web = r.cpu["web-1"] + r.cpu["web-2"]
    rest = r.cpu["machine"] - web - r.cpu["driver"]
    cores = os.cpu_count() or 1
    return (
        f"CPU s a school: web {per_school(r, web):.2f} (node 1 {per_school(r, r.cpu['web-1']):.2f}, "
        f"node 2 {per_school(r, r.cpu['web-2']):.2f}), the rest of the machine "
        f"{per_school(r, rest):.2f} (of which "
        f"the Celery worker {per_school(r, r.cpu['worker']):.2f}), the load driver "
        f"{per_school(r, r.cpu['driver']):.2f}; the machine {r.cpu['machine'] / r.wall / cores:.0%} "
        f"busy of {cores} cores"
    )


def ceiling_line(results) -> str:
    """What two nodes can carry on this machine at most, from the CPU a school takes: one node's
    phase is bound by its own core (1 ÷ web CPU a school); two nodes share every core with the rest
    and the driver (cores ÷ all the CPU a school). Their ratio is the most the second node could add
    here; on machines of their own (the rest and the driver elsewhere) it is the number of nodes."""

    def total(r, parts):
        return sum(per_school(r, r.cpu[p]) for p in parts)

    one = [r for r in results if r.nodes == 1 and r.rec.done]
    two = [r for r in results if r.nodes == 2 and r.rec.done]
    if not one or not two:
        return "ceiling: not enough schools done to tell"
    web = statistics.median(total(r, ("web-1", "web-2")) for r in one + two)
    everything = statistics.median(per_school(r, r.cpu["machine"]) for r in two)
    cores = os.cpu_count() or 1
    return (
        f"ceiling on this machine: one node ≤ 1 ÷ {web:.2f} web CPU s = {1 / web:.2f} schools/s; "
        f"two nodes ≤ {cores} cores ÷ {everything:.2f} CPU s a school (web, the rest and the "
        f"driver) = {cores / everything:.2f} schools/s; so at most {web * cores / everything:.2f}× "
        f"here, and {cores}× with the database, worker, nginx and driver on machines of their own"
    )


if __name__ == "__main__":
    main()
