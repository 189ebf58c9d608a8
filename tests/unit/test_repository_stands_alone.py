"""Nothing in the package, the tests, the benchmarks or the screenshot script reads a path outside the repository.

A fresh clone has nothing beside it: a fixture read from `../shared` (or any other climb out of the checkout)
passes only on a machine that happens to have that folder.
"""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("hostdeck", "tests", "bench", "screenshots")
# The names a climb-out has used; spelled in pieces so this file does not flag itself.
OUTSIDE_NAMES = ("sha" + "red/", "/sha" + "red")
PATH_CALLS = {"Path", "PurePath", "open", "join", "joinpath", "chdir"}


def sources() -> list[Path]:
    found = [p for top in SCANNED for p in sorted((ROOT / top).rglob("*.py")) if ".venv" not in p.parts]
    assert len(found) > 100, "the scan found almost nothing: has the layout moved?"
    return found


def climbs(path: Path) -> list[str]:
    """Each place in one source file that reaches above the repository root."""
    depth = len(path.relative_to(ROOT).parts)  # parents[depth - 1] is the root itself
    problems = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', '?')}"
        if (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute) and node.value.attr == "parents"
                and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, int)
                and node.slice.value >= depth):
            problems.append(f"{where}: parents[{node.slice.value}] is outside the repository")
        if isinstance(node, ast.Attribute) and node.attr == "parent":
            chain, inner = 1, node.value
            while isinstance(inner, ast.Attribute) and inner.attr == "parent":
                chain, inner = chain + 1, inner.value
            if chain > depth:
                problems.append(f"{where}: {chain} x .parent is outside the repository")
        for text in path_strings(node):
            if text == ".." or text.startswith("../") or any(name in text for name in OUTSIDE_NAMES):
                problems.append(f"{where}: the path {text[:60]!r} leaves the repository")
    return problems


def path_strings(node: ast.AST) -> list[str]:
    """String constants used as paths: joined with `/`, or given to Path(), open() or os.path.join()."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        operands = [node.left, node.right]
    elif isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) in PATH_CALLS:
        operands = list(node.args)
    else:
        return []
    return [o.value for o in operands if isinstance(o, ast.Constant) and isinstance(o.value, str)]


def test_no_source_reads_a_path_outside_the_repository():
    problems = [p for path in sources() if path.name != Path(__file__).name for p in climbs(path)]
    assert problems == []


@pytest.mark.parametrize("snippet", [
    'FIX = Path(__file__).resolve().parents[3] / "x"',
    'FIX = Path(__file__).parent.parent.parent.parent',
    'FIX = Path("../elsewhere/openapi.json")',
    'FIX = os.path.join(HERE, "..", "..", "..", "x")',
    'FIX = ROOT / ".." / "x"',
])
def test_the_scan_catches_each_way_out(tmp_path, snippet):
    probe = ROOT / "tests" / "unit" / "_probe_climb.py"  # depth 3: parents[3] and a fourth .parent climb out
    probe.write_text(snippet + "\n", encoding="utf-8")
    try:
        assert climbs(probe), f"not caught: {snippet}"
    finally:
        probe.unlink()


def test_the_fixtures_the_tests_read_are_in_the_repository():
    fixtures = ROOT / "tests" / "fixtures"
    for name in ("hetzner/openapi.json", "hetzner/hcloud-python/servers_list.json", "convoy/server_show.json",
                 "whmcs/GetClients.json", "matomo/errors.json", "README.md"):
        assert (fixtures / name).is_file(), name
