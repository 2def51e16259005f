"""The layering itself is checked by import-linter in `make lint` (pyproject.toml's contracts);
this test keeps its list of apps whole: a new app of the project must take its place in a layer."""

import re
import tomllib
from pathlib import Path

from django.apps import apps
from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def layered_packages() -> set[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    (layers,) = [
        contract["layers"]
        for contract in config["tool"]["importlinter"]["contracts"]
        if contract["type"] == "layers"
    ]
    return {name for layer in layers for name in re.split(r"\s*[:|]\s*", layer)}


def local_apps() -> set[str]:
    return {
        config.name.split(".")[0]
        for config in apps.get_app_configs()
        if Path(config.path).resolve().is_relative_to(ROOT)
        and "site-packages" not in Path(config.path).parts  # a virtualenv inside the checkout
    }


def test_every_app_of_the_project_has_a_layer():
    local = local_apps()
    assert local, "no local app found"
    assert local - layered_packages() == set()


def test_every_app_goes_into_the_mutation_runs_copy():
    # mutmut runs the tests in a copy of the source_paths and also_copy: an app left out of both
    # stops every mutant's Django from starting (ModuleNotFoundError), as the api app once did.
    mutmut = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mutmut"]
    copied = set(mutmut["source_paths"]) | set(mutmut["also_copy"])
    assert local_apps() - copied == set()


def test_every_layered_package_is_a_root_package_of_the_check():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert layered_packages() == set(config["tool"]["importlinter"]["root_packages"])


def test_the_layers_are_kept_without_a_known_crossing():
    # The roster's pages and checks get the count's parts from the census (its template tags,
    # and what census.apps registers): no import crosses the layers upward, and none may return.
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    (contract,) = [
        contract
        for contract in config["tool"]["importlinter"]["contracts"]
        if contract["type"] == "layers"
    ]
    assert contract.get("ignore_imports", []) == []
