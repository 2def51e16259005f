"""The apps import one another one way: a lower app never imports a higher one.

Imports are read from the source with ``ast``, those inside functions included, so an import
moved into a function to dodge a cycle is caught like one at the top of a module.
"""

import ast
from collections.abc import Iterator
from pathlib import Path

from django.apps import apps
from django.conf import settings

ROOT = Path(settings.BASE_DIR)

# Low to high. The apps of one layer may import one another; no app imports a higher layer.
LAYERS = (
    # A Membership is a role at a School or an AreaOffice, and the roster's pages ask
    # accounts.permissions who may act: accounts and schools stand on each other.
    ("accounts", "schools"),
    ("census", "buildings", "documents"),
    ("workflows",),
    # The demo and scale data drive every app; config wires the URLs, settings and Celery.
    ("demo", "config"),
)
RANK = {app: rank for rank, layer in enumerate(LAYERS) for app in layer}

# Known debt, kept exact: the roster (schools) is locked and checked against the count (census).
# Remove a line when its import goes; never add one.
KNOWN_UPWARD = {
    ("schools.services", "census.selectors"),
    ("schools.validation", "census.calendar"),
    ("schools.validation", "census.models"),
    ("schools.views", "census.deadlines"),
    ("schools.views", "census.models"),
    ("schools.views", "census.rollover"),
}


def _modules() -> Iterator[tuple[str, str, Path]]:
    """Yield (app, dotted module name, path) for every Python file of every layered app."""
    for app in RANK:
        for path in sorted((ROOT / app).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            yield app, ".".join(parts), path


def _imports(module: str, path: Path) -> Iterator[tuple[int, str]]:
    """Yield (line, imported module) for every import in a file, relative ones resolved."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                yield node.lineno, ".".join([*base, *([node.module] if node.module else [])])
            else:
                yield node.lineno, node.module


def _upward_imports() -> dict[tuple[str, str], list[str]]:
    """Return each (module, imported module) pair that points to a higher layer, with where."""
    found: dict[tuple[str, str], list[str]] = {}
    for app, module, path in _modules():
        for line, imported in _imports(module, path):
            target = imported.split(".")[0]
            if RANK.get(target, -1) > RANK[app]:
                where = f"{path.relative_to(ROOT)}:{line} imports {imported}"
                found.setdefault((module, imported), []).append(where)
    return found


def test_every_app_of_the_project_has_a_layer():
    local = {
        config.name.split(".")[0]
        for config in apps.get_app_configs()
        if Path(config.path).resolve().is_relative_to(ROOT)
        and "site-packages" not in Path(config.path).parts  # a virtualenv inside the checkout
    }
    assert local, "no local app found"
    assert local - set(RANK) == set()


def test_no_app_imports_a_higher_layer():
    upward = _upward_imports()
    new = [where for pair, places in sorted(upward.items()) if pair not in KNOWN_UPWARD
           for where in places]  # fmt: skip
    assert new == [], "lower apps import higher ones:\n" + "\n".join(new)


def test_the_known_upward_imports_are_still_there():
    gone = KNOWN_UPWARD - set(_upward_imports())
    assert gone == set(), f"these imports are gone: remove them from KNOWN_UPWARD: {sorted(gone)}"
