"""Shape rules a reader relies on, kept true: no function longer than 60 lines (decorators aside)
in the count (census/), the register's writes (schools/services.py) and the requests
(workflows/requests.py) (CONVENTIONS.md); and an import inside a function of the apps says why it
is not at the top of its module (a cycle, a heavy optional import, app loading) in a comment on
its line or just above its block."""

import ast
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
LONGEST = 60
CHECKED = [
    *sorted((ROOT / "census").glob("*.py")),
    ROOT / "schools" / "services.py",
    ROOT / "workflows" / "requests.py",
]


APPS = [
    "accounts",
    "schools",
    "census",
    "buildings",
    "documents",
    "workflows",
    "api",
    "config",
    "demo",
    "bench",
]


def app_modules() -> list[Path]:
    return [
        path
        for app in APPS
        for path in sorted((ROOT / app).rglob("*.py"))
        if "migrations" not in path.relative_to(ROOT).parts
    ]


def long_functions(path: Path, root: Path = ROOT) -> list[str]:
    """Return 'path:line name (n lines)' for each function of the file over LONGEST lines."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [
        f"{path.relative_to(root)}:{node.lineno} {node.name} ({length} lines)"
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and (length := node.end_lineno - node.lineno + 1) > LONGEST
    ]


def test_the_checked_modules_are_there():
    assert len(CHECKED) > 10
    assert all(path.is_file() for path in CHECKED)


def test_no_function_is_longer_than_60_lines():
    assert [line for path in CHECKED for line in long_functions(path)] == []


def test_the_check_finds_a_long_function_and_a_long_method_not_a_short_one(tmp_path):
    body = "    x = 1\n" * (LONGEST - 1)
    source = tmp_path / "shape.py"
    source.write_text(
        f"def short():\n{body}\n\ndef long():\n{body}    x = 2\n\n"
        f"class C:\n    async def method(self):\n    {body.replace(chr(10), chr(10) + '    ')}"
        "    x = 2\n"
    )
    assert long_functions(source, tmp_path) == [
        "shape.py:63 long (61 lines)",
        "shape.py:126 method (61 lines)",
    ]


def unexplained_inner_imports(path: Path, root: Path = ROOT) -> list[str]:
    """Return 'path:line import' for each import inside a function with no comment on its line nor
    on the line just above its block of imports (blank lines inside the block are skipped)."""
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    found: dict[int, str] = {}  # by line: a nested function's import is inside its outer one too
    for function in ast.walk(ast.parse(source, filename=str(path))):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        imports = [
            node for node in ast.walk(function) if isinstance(node, ast.Import | ast.ImportFrom)
        ]
        for node in imports:
            if "#" in lines[node.lineno - 1]:
                continue
            above = node.lineno - 2
            while above >= 0 and (
                not lines[above].strip() or lines[above].lstrip().startswith(("import ", "from "))
            ):
                above -= 1
            if above < 0 or not lines[above].lstrip().startswith("#"):
                found[node.lineno] = (
                    f"{path.relative_to(root)}:{node.lineno} {lines[node.lineno - 1].strip()}"
                )
    return sorted(found.values(), key=lambda line: int(line.split(":")[1].split()[0]))


def test_the_apps_modules_are_found():
    assert len(app_modules()) > 100


def test_every_import_inside_a_function_says_why():
    assert [line for path in app_modules() for line in unexplained_inner_imports(path)] == []


def test_the_import_check_finds_an_import_without_a_reason(tmp_path):
    source = tmp_path / "imports.py"
    source.write_text(
        "def bare():\n    import json\n\n    return json\n\n\n"
        "def same_line():\n    import json  # a reason\n\n    return json\n\n\n"
        "def block():\n    # a reason\n    import json\n\n    from os import path\n\n"
        "    return json, path\n"
    )
    assert unexplained_inner_imports(source, tmp_path) == ["imports.py:2 import json"]
