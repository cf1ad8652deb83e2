"""The package's layout shows its design: each subpackage imports only what its docstring allows,
no module is over about 400 lines, and the declared dependencies are exactly the ones imported."""
import ast
import re
import sys

import pytest

from conftest import ROOT

PACKAGE = ROOT / "cyps_xl"
# subpackage -> the cyps_xl subpackages it may import (basics - errors, resources, cellref - always)
ALLOWED = {
    "engine": set(),
    "workbook": {"engine"},
    "benchmarks": {"engine", "workbook"},
    "report": {"engine", "workbook", "benchmarks"},
    "excel": {"engine", "workbook", "benchmarks", "report", "api", "evaluation"},
}
BASICS = {"errors", "resources", "cellref"}


def imports_of(path):
    """Every cyps_xl module a file imports, at any depth of the file (lazy imports count)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("cyps_xl"):
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("cyps_xl")}
    return found


def top_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


@pytest.mark.parametrize("sub", sorted(ALLOWED))
def test_a_subpackage_imports_only_what_its_docstring_allows(sub):
    doc = ast.get_docstring(ast.parse((PACKAGE / sub / "__init__.py").read_text(encoding="utf-8")))
    assert doc and "Owns:" in doc and ("Must not import" in doc or "nothing below imports it" in doc)
    crossing = []
    for path in (PACKAGE / sub).glob("*.py"):
        for module in imports_of(path):
            target = top_of(module)
            if target in (None, sub) or target in BASICS:
                continue
            if target not in ALLOWED[sub]:
                crossing.append(f"{path.relative_to(ROOT)} imports {module}")
    assert crossing == []


def test_nothing_below_the_front_doors_imports_them():
    fronts = {"api", "cli", "batch", "demo"}
    found = [f"{p.relative_to(ROOT)} imports {m}" for sub in ("engine", "workbook", "benchmarks", "report")
             for p in (PACKAGE / sub).glob("*.py") for m in imports_of(p) if top_of(m) in fronts]
    assert found == []
    excel_users = [f"{p.relative_to(ROOT)}" for sub in ("engine", "workbook", "benchmarks", "report")
                   for p in (PACKAGE / sub).glob("*.py") for m in imports_of(p) if top_of(m) == "excel"]
    assert excel_users == []


def test_no_module_is_over_about_400_lines():
    long = {str(p.relative_to(ROOT)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 420}
    assert long == {}


def test_the_declared_dependencies_are_exactly_the_imported_ones():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    names = {re.split(r"[<>=!~ ]", d)[0].lower().replace("-", "_") for d in declared}
    distributions = {"pyyaml": "yaml", "ms_ovba": "ms_ovba", "ms_ovba_compression": "ms_ovba_compression"}
    wanted = {distributions.get(n, n) for n in names}
    imported = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                imported.add(node.module.split(".")[0])
            elif isinstance(node, ast.Import):
                imported |= {a.name.split(".")[0] for a in node.names}
    runtime = {"cyps_xl", "pyodide"}  # pyodide: xlwings Lite's own runtime (its fetch), never a dependency to install
    third_party = {m for m in imported if m not in sys.stdlib_module_names and m not in runtime}
    assert third_party == wanted
