"""`make mutate`'s own rules (scripts/mutate.py, docs/mutation.md): when the run fails, and that a
mutant keeps its name whatever the sample, since docs/mutation.md lists equivalents by name."""

import importlib.util
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)


@pytest.fixture(scope="module")
def mutate():
    spec = importlib.util.spec_from_file_location("mutate_script", ROOT / "scripts" / "mutate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(mutate, monkeypatch, statuses, listed=()):
    monkeypatch.setattr(mutate, "equivalents", lambda: set(listed))
    return mutate.report({"m.py": statuses}, 95.0)


def twenty(killed: int, survivors: list[str]) -> dict[str, str]:
    statuses = {f"m.x_f__mutmut_{i}": "killed" for i in range(1, killed + 1)}
    statuses.update({name: "survived" for name in survivors})
    return statuses


def test_a_run_with_every_mutant_killed_passes(mutate, monkeypatch):
    assert run(mutate, monkeypatch, twenty(20, []))


def test_a_survivor_not_listed_as_equivalent_fails_the_run(mutate, monkeypatch):
    assert not run(mutate, monkeypatch, twenty(40, ["m.x_g__mutmut_1"]))  # 97.6 %, unlisted


def test_the_listed_equivalents_are_left_out_of_the_score(mutate, monkeypatch):
    # 18 of 20 raw (90 %), 18 of 18 once the two listed equivalents are left out.
    survivors = ["m.x_g__mutmut_1", "m.x_g__mutmut_2"]
    assert run(mutate, monkeypatch, twenty(18, survivors), listed=survivors)


def test_a_listed_equivalent_that_a_test_fails_on_fails_the_run(mutate, monkeypatch):
    # Not equivalent after all, or tests that fail with any mutant: every mutant "killed".
    assert not run(mutate, monkeypatch, twenty(20, []), listed=["m.x_f__mutmut_3"])


def test_a_listed_equivalent_that_timed_out_is_only_reported(mutate, monkeypatch):
    statuses = twenty(20, [])
    statuses["m.x_f__mutmut_3"] = "timeout"
    assert run(mutate, monkeypatch, statuses, listed=["m.x_f__mutmut_3"])


def test_a_run_stopped_before_every_mutant_was_tried_fails(mutate, monkeypatch):
    statuses = twenty(20, [])
    statuses["m.x_g__mutmut_1"] = "not checked"
    assert not run(mutate, monkeypatch, statuses)


def test_a_mutant_has_the_same_name_and_change_in_every_sample(mutate):
    from mutmut.mutation import file_mutation
    from mutmut.workers import isolation

    saved = {
        "create": file_mutation.create_mutations,
        "arrange": file_mutation.function_trampoline_arrangement,
        "skip": file_mutation.MutationVisitor._skip_node_and_children,
        "make": file_mutation.MutationVisitor._create_mutations,
    }

    clean = {r: r.run_clean_tests for r in (isolation.ForkRunner, isolation.ForkServerRunner)}

    def restore():
        file_mutation.create_mutations = saved["create"]
        file_mutation.function_trampoline_arrangement = saved["arrange"]
        file_mutation.MutationVisitor._skip_node_and_children = saved["skip"]
        file_mutation.MutationVisitor._create_mutations = saved["make"]
        for runner, method in clean.items():
            runner.run_clean_tests = method

    path = "census/services.py"
    code = (ROOT / path).read_text(encoding="utf-8")
    try:
        mutated = {}
        for sample in (20, 100):
            mutate.configure_mutmut(sample)
            mutated[sample] = file_mutation.mutate_file_contents(path, code)
            restore()  # configure_mutmut wraps what it finds: undo it before the next sample
    finally:
        restore()

    def body(result, name):
        start = result.code.index(f"def {name}(")
        return result.code[start : result.code.index("\n\n", start)]

    some, every = mutated[20].mutant_names, mutated[100].mutant_names
    assert 0 < len(some) < len(every)
    assert set(some) <= set(every)
    assert "x_id_correction_freeze_ends__mutmut_15" in some  # listed in docs/mutation.md
    for name in some:
        assert body(mutated[20], name) == body(mutated[100], name), name
    assert "time(0, )" in body(mutated[20], "x_id_correction_freeze_ends__mutmut_15")
