"""A shape rule of CONVENTIONS.md that a reader relies on, kept true: no function longer than 60
lines (decorators aside) in the count (census/), the register's writes (schools/services.py) and
the requests (workflows/requests.py)."""

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
