"""`make mutate`: mutation testing of the rules that decide money and legality (issue 24).

mutmut (pinned in requirements-dev.in; configured in pyproject.toml's [tool.mutmut]) makes small
changes to the functions listed in MODULES below, one at a time, and runs after each only the tests
that call the changed function (mutmut records which during one run of the selected tests). A
mutant is killed when a test fails. Each module's score is printed: killed / tried, not counting
the survivors docs/mutation.md lists as equivalent (each with why no behaviour can tell it apart;
"raw" counts them). The run fails when a module is under THRESHOLD, a survivor is not listed, or a
listed one is killed (not equivalent after all, or tests that fail whatever the mutant).

Speed (CI's budget is about five minutes on two cores): mutmut forks one worker per mutant from a
process that has imported Django and the tests, every worker stops at its first failing test (-x),
and each pytest session starts from a copy of a database migrated once here (tests/conftest.py,
OPENDMC_TEST_PREPARED) instead of running every migration again.

Three things mutmut does not do alone, done here:
- mutmut leaves decorated functions alone, and most services are ``@transaction.atomic``. That
  decorator is safe to repeat: mutmut keeps it on its trampoline and on each copy (a copy's atomic
  is then a savepoint inside the trampoline's transaction, which does not change what a caller
  sees). So functions whose only decorator is ``transaction.atomic`` are mutated too.
- Only the functions named in MODULES are tried, not whole files: properties, page labels and the
  area summaries' SQL are left out (the summaries are checked against the per-school allocation by
  tests/census/test_subsidy_properties.py).
- A fixed sample of the mutations is tried (SAMPLE %), each mutant named by its place among all its
  function's mutations (``x_f__mutmut_15`` is the 15th change of ``f`` in every sample), so the
  names docs/mutation.md lists mean the same change in `make mutate` and in `--sample 100`.

`make mutate DATABASE_URL=postgres://...` runs it on PostgreSQL, where the row-lock and race tests
(marker postgres) take part; one worker at a time there (the workers share one test database).
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PREPARED = ROOT / ".cache" / "mutate"
THRESHOLD = 95.0
# The share of each function's mutations tried by `make mutate` (CI's budget); 100 tries them all.
SAMPLE = 20

# The functions tried, per module, as mutmut names them: module.x_function or module.xǁClassǁmethod.
MODULES: dict[str, list[str]] = {
    "schools/identifiers.py": ["schools.identifiers.*"],
    "census/services.py": [
        # the windows and the citizen-ID cut-off
        "census.services.xǁWindowǁcontains*",
        "census.services.x_confirm_window*",
        "census.services.x_certify_window*",
        "census.services.x_check_confirm_window*",
        "census.services.x_check_certify_window*",
        "census.services.x__check_window*",
        "census.services.x_id_correction_freeze_ends*",
        "census.services.x_id_corrections_frozen_by*",
        # the steps that use them
        "census.services.x__locked_in*",
        "census.services.x_school_round_confirm*",
        "census.services.x_school_round_reject*",
        "census.services.x_school_round_certify*",
        # who is under the subsidy's minimum age, counted when the roster is frozen
        "census.services.x_snapshot_grade_counts_write*",
    ],
    "workflows/requests.py": [
        "workflows.requests.x_id_corrections_freeze_notice*",
        "workflows.requests.x__check_id_corrections_open*",
        "workflows.requests.x_id_correction_request*",
        "workflows.requests.x_id_correction_decide*",
    ],
    "census/rates.py": [
        "census.rates.x_level_of*",
        "census.rates.x_fiscal_year_of_term*",
        "census.rates.x_fiscal_year_of*",
        "census.rates.x_items_of_term*",
        "census.rates.x_per_payment_rate*",
        "census.rates.xǁRateBookǁ__init__*",
        "census.rates.xǁRateBookǁrate*",
    ],
    "census/allocation.py": [
        "census.allocation.x_funded_born_after*",
        "census.allocation.x_payment_rules*",
        "census.allocation.xǁSchoolAllocationǁstatus_of*",
        "census.allocation.xǁSchoolAllocationǁtaken_back*",
        "census.allocation.xǁSchoolAllocationǁtrue_up*",
        "census.allocation.x__counts*",
        "census.allocation.x__recount*",
        "census.allocation.x__money*",
        "census.allocation.x__fill*",
        "census.allocation.x_school_allocation*",
    ],
    "schools/services.py": [
        "schools.services.x_check_roster_open*",
        "schools.services.x_enrollment_start*",
        "schools.services.x_enrollment_transfer_out*",
        "schools.services.x_enrollment_move*",
        "schools.services.x_enrollment_end*",
    ],
}

KILLED = {"killed", "timeout", "caught by type check", "segfault"}
UNTRIED = {"skipped", "not checked"}  # "not checked": the run was stopped before it came to them


def wanted_names() -> dict[str, set[str]]:
    """Return, per module path, the names of the classes and functions MODULES tries ("*": all)."""
    wanted = {}
    for module, patterns in MODULES.items():
        names = set()
        for pattern in patterns:
            last = pattern.rsplit(".", 1)[1].rstrip("*")
            if not last:
                names = {"*"}
                break
            names.update(last.removeprefix("x_").removeprefix("x").split("ǁ"))
        wanted[module] = names - {""}
    return wanted


def sampled(key: str, percent: int) -> bool:
    """Whether a mutation is in the sample: decided by a hash of its text, the same every run."""
    return int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) % 100 < percent


def configure_mutmut(sample: int) -> None:
    """Teach mutmut the rules above: atomic services are mutated, functions not listed are not,
    only `sample` % of the mutations are made, and the mutants' tests are not run once more
    without a mutant (the stats run that maps tests to functions has just run them all, and
    stopped the run had one failed)."""
    import libcst as cst
    from mutmut.mutation import file_mutation, trampoline_templates
    from mutmut.workers import isolation

    wanted = wanted_names()
    current: dict = {"names": {"*"}, "file": ""}
    made_in: dict[int, int] = {}  # per function of the file (its node's id): mutations made so far
    create = file_mutation.create_mutations
    visitor = file_mutation.MutationVisitor
    skip = visitor._skip_node_and_children

    def create_mutations(filename, code, *args, **kwargs):
        path = Path(filename).as_posix()
        current["file"] = path
        made_in.clear()
        current["names"] = next(
            (names for module, names in wanted.items() if path.endswith(module)), {"*"}
        )
        return create(filename, code, *args, **kwargs)

    def is_atomic(decorator: cst.Decorator) -> bool:
        d = decorator.decorator
        return (
            isinstance(d, cst.Attribute)
            and d.attr.value == "atomic"
            and isinstance(d.value, cst.Name)
            and d.value.value == "transaction"
        )

    def skip_node_and_children(self, node):
        names = current["names"]
        if isinstance(node, cst.ClassDef | cst.FunctionDef) and "*" not in names:
            if node.name.value not in names:
                return True
        if isinstance(node, cst.FunctionDef) and node.decorators:
            if all(is_atomic(d) for d in node.decorators):
                return bool(skip(self, node.with_changes(decorators=[])))
        return skip(self, node)

    make = visitor._create_mutations
    empty = cst.Module(body=[])

    def create_some_mutations(self, node):
        before = len(self.mutations)
        make(self, node)
        made = self.mutations[before:]
        for mutation in made:
            function = id(mutation.contained_by_top_level_function)
            made_in[function] = mutation.number = made_in.get(function, 0) + 1
        if sample >= 100:
            return
        del self.mutations[before:]
        for mutation in made:
            text = empty.code_for_node(mutation.original_node)
            key = f"{current['file']}|{text}|{empty.code_for_node(mutation.mutated_node)}"
            if sampled(key, sample):
                self.mutations.append(mutation)

    arrange = file_mutation.function_trampoline_arrangement

    def arrangement(function, mutants, class_name):
        """Name each mutant by its place among all its function's mutations, not among the
        sampled ones: a mutant keeps its name in every sample (docs/mutation.md lists names)."""
        mutants = list(mutants)
        declarations, nodes, assignments, names = arrange(function, mutants, class_name)
        prefix = names[0].rsplit("_", 1)[0] if names else ""
        rename = {f"{prefix}_{i}": f"{prefix}_{m.number}" for i, m in enumerate(mutants, start=1)}
        if all(old == new for old, new in rename.items()):
            return declarations, nodes, assignments, names
        nodes = [
            n.with_changes(name=cst.Name(rename[n.name.value]))
            if isinstance(n, cst.FunctionDef) and n.name.value in rename
            else n
            for n in nodes
        ]
        names = [rename[name] for name in names]
        code = trampoline_templates.build_mutants_dict_and_name(
            mangled_name=prefix,
            mutants=names,
            mutants_dict_name=f"mutants_{prefix}",
            class_name=class_name,
        )
        assignments = list(cst.parse_module(code).body)
        assignments[0] = assignments[0].with_changes(leading_lines=[cst.EmptyLine()])
        return declarations, nodes, assignments, names

    file_mutation.create_mutations = create_mutations
    file_mutation.function_trampoline_arrangement = arrangement
    visitor._skip_node_and_children = skip_node_and_children
    visitor._create_mutations = create_some_mutations
    for runner in (isolation.ForkRunner, isolation.ForkServerRunner):
        runner.run_clean_tests = lambda self, tests: 0


def prepare(database_url: str | None) -> None:
    """Migrate one test database and make one signing CA, copied by every pytest session."""
    if PREPARED.exists():
        shutil.rmtree(PREPARED)
    PREPARED.mkdir(parents=True)
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="config.settings.test")
    if database_url:
        # Migrated once into test_<name>_prepared; each pytest session makes its test_<name> a
        # copy of it (tests/conftest.py): a session that a timeout stopped in the middle of a
        # transactional test's flush, or the flush itself (which takes the permissions with it),
        # must not leave the next mutants a database on which every test fails.
        base, name = database_url.rsplit("/", 1)
        env["DATABASE_URL"] = f"{base}/test_{name}_prepared"
        (PREPARED / "postgres-template").write_text(f"test_{name}_prepared")
        subprocess.run(  # noqa: S603
            [sys.executable, "-c", DROP_AND_CREATE], env=env, check=True, cwd=ROOT
        )
    else:
        env["DATABASE_URL"] = f"sqlite:///{PREPARED / 'db.sqlite3'}"
    subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], env=env, check=True, cwd=ROOT
    )
    subprocess.run(  # noqa: S603
        [sys.executable, "-c", KEYS, str(PREPARED / "keys")], env=env, check=True, cwd=ROOT
    )


DROP_AND_CREATE = """
import os, environ, psycopg
db = environ.Env.db_url_config(os.environ["DATABASE_URL"])
with psycopg.connect(host=db["HOST"], port=db["PORT"] or 5432, user=db["USER"],
                     password=db["PASSWORD"] or None, dbname="postgres", autocommit=True) as c:
    c.execute(f'DROP DATABASE IF EXISTS "{db["NAME"]}"')
    c.execute(f'CREATE DATABASE "{db["NAME"]}"')
"""

KEYS = """
import sys, django
from pathlib import Path
django.setup()
from documents import signing
from tests.conftest import KEYS_VALID_FROM
signing.development_keys_create(directory=Path(sys.argv[1]), valid_from=KEYS_VALID_FROM)
"""


def results() -> dict[str, dict[str, str]]:
    """Return each module's tried mutants and their status, from mutmut's files in mutants/."""
    from mutmut.stats import status_by_exit_code

    found = {}
    for module, patterns in MODULES.items():
        meta = json.loads((ROOT / "mutants" / f"{module}.meta").read_text())
        found[module] = {
            name: status_by_exit_code[code]
            for name, code in meta["exit_code_by_key"].items()
            if any(fnmatch.fnmatchcase(name, p) for p in patterns)
        }
    return found


def equivalents() -> set[str]:
    """Return the mutants docs/mutation.md lists as equivalent (a line starting with `- `name``)."""
    names = set()
    listing = ROOT / "docs" / "mutation.md"
    for line in listing.read_text().splitlines() if listing.exists() else []:
        if line.startswith("- `") and "__mutmut_" in line:
            names.add(line[3:].split("`", 1)[0])
    return names


def report(found: dict[str, dict[str, str]], threshold: float) -> bool:
    """Print each module's score and the survivors; return whether the run passes: every module
    at `threshold` % or more of its mutants killed, not counting those docs/mutation.md lists as
    equivalent (no test can kill them; "raw" counts them), no survivor left unlisted and no
    listed one killed by a failing test."""
    listed = equivalents()
    ok = True
    print(f"\n{'module':<26} {'killed':>6} {'tried':>6} {'equiv.':>6} {'raw':>7} {'score':>7}")
    for module, statuses in found.items():
        killed = sum(s in KILLED for s in statuses.values())
        tried = sum(s not in UNTRIED for s in statuses.values())
        equivalent = sum(
            name in listed and s not in KILLED and s not in UNTRIED for name, s in statuses.items()
        )
        raw = 100.0 * killed / tried if tried else 100.0
        score = 100.0 * killed / (tried - equivalent) if tried > equivalent else 100.0
        mark = "" if score >= threshold else f"  < {threshold:g} %"
        ok &= score >= threshold
        print(
            f"{module:<26} {killed:>6} {tried:>6} {equivalent:>6} {raw:>6.1f}% {score:>6.1f}%{mark}"
        )
    survivors = sorted(
        name
        for statuses in found.values()
        for name, s in statuses.items()
        if s not in KILLED and s not in UNTRIED
    )
    unlisted = [name for name in survivors if name not in listed]
    for name in survivors:
        status = next(s[name] for s in found.values() if name in s)
        note = "" if name in listed else "   NOT in docs/mutation.md"
        print(f"  {status:<10} {name}{note}")
    untried = sum(s == "not checked" for st in found.values() for s in st.values())
    if untried:
        print(f"{untried} mutant(s) not checked: the run did not finish")
        ok = False
    if unlisted:
        print(f"{len(unlisted)} surviving mutant(s) not listed as equivalent in docs/mutation.md")
        print("(see one: .venv/bin/mutmut show <name>)")
    # A listed mutant that a test failed on is not equivalent, or its name now means another
    # change (names count the function's mutations: an edit above it renumbers them), or the
    # tests fail whatever the mutant (a broken run, where every mutant would count as killed):
    # each fails the run. A timeout can be the machine's load: it is said, not failed.
    wrong = []
    for name in sorted(listed):
        status = next((s[name] for s in found.values() if name in s), None)
        if status in KILLED:
            print(f"  listed as equivalent in docs/mutation.md but {status}: {name}")
            wrong += [name] if status == "killed" else []
    if wrong:
        print(
            f"{len(wrong)} mutant(s) listed as equivalent were killed: check the listing, or"
            " whether the tests fail without any mutant"
        )
    return ok and not unlisted and not wrong


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-children", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--threshold", type=float, default=THRESHOLD)
    parser.add_argument(
        "--sample",
        type=int,
        default=SAMPLE,
        help=f"percent of the mutations to try (default {SAMPLE}; 100: all)",
    )
    parser.add_argument("--report-only", action="store_true", help="score the last run again")
    parser.add_argument("modules", nargs="*", help="only these modules (default: all)")
    args = parser.parse_args()
    os.chdir(ROOT)
    if args.modules:
        for module in list(MODULES):
            if module not in args.modules:
                del MODULES[module]
    database_url = os.environ.get("DATABASE_URL", "")
    postgres = database_url.startswith("postgres")
    if not args.report_only:
        shutil.rmtree(ROOT / "mutants", ignore_errors=True)
        prepare(database_url if postgres else None)
        os.environ["OPENDMC_TEST_PREPARED"] = str(PREPARED)
        os.environ["HYPOTHESIS_PROFILE"] = "mutate"
        configure_mutmut(args.sample)
        from mutmut.__main__ import cli

        names = [p for patterns in MODULES.values() for p in patterns]
        children = 1 if postgres else args.max_children
        try:
            cli(["run", "--max-children", str(children), *names], standalone_mode=False)
        except SystemExit as exc:
            if exc.code:
                return int(exc.code)
    return 0 if report(results(), args.threshold) else 1


if __name__ == "__main__":
    sys.exit(main())
