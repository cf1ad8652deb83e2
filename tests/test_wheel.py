"""A non-editable install from the wheel finds its rules, macros and templates and runs the job.

The wheel is built from this checkout, installed with pip into a fresh virtual
environment with the dependencies the wheel declares (nothing borrowed from the
environment running the tests, which may itself be a venv), and run from a folder
far from the source tree, so nothing can come from the checkout.
"""
import os
import shutil
import subprocess
import sys
import venv

import openpyxl
import pytest

from conftest import ROOT


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("wheel")
    # built from a copy without build artefacts (setuptools would reuse a stale build/ folder)
    source = folder / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns("build", "dist", "*.egg-info", ".git", "__pycache__",
                                                                 ".pytest_cache", "cyps-xl-demo"))
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "-q", "-w", str(folder / "dist")],
                           capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr
    wheel = next((folder / "dist").glob("cyps_xl-*.whl"))
    env = folder / "venv"
    venv.EnvBuilder(system_site_packages=False, with_pip=False).create(env)
    python = env / "bin" / "python"
    done = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", str(wheel)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return env, folder


def run(env, folder, *args):
    clean = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # only what the wheel installed
    return subprocess.run([str(env / "bin" / args[0]), *map(str, args[1:])], capture_output=True, text=True,
                          cwd=folder, timeout=600, env=clean)


def test_the_wheel_carries_the_bundled_folders_and_uses_them(installed):
    env, folder = installed
    probe = run(env, folder, "python", "-c",
                "import cyps_xl, cyps_xl.resources as r, cyps_xl.api; print(cyps_xl.__file__); "
                "print(r.BUNDLED_RULES); print(r.MACROS); print(r.TEMPLATES)")
    assert probe.returncode == 0, probe.stderr
    package, rules, macros, templates = probe.stdout.split("\n")[:4]
    site = str(env / "lib")
    assert package.startswith(site) and not package.startswith(str(ROOT))
    modules = run(env, folder, "python", "-c", "import sys, cyps_xl.api, cyps_xl.excel.udfs, cyps_xl.benchmarks.measures; "
                  "print('\\n'.join(m.__file__ for n, m in sys.modules.items() if n.startswith('cyps_xl')))")
    assert modules.returncode == 0, modules.stderr
    assert all(line.startswith(site) for line in modules.stdout.split()), modules.stdout
    for place, expected in ((rules, "social_care.yaml"), (macros, "CYPS.bas"), (templates, "cyps_scorecard_template.xlsx")):
        assert place.startswith(site) and "/cyps_xl/data/" in place
        assert (ROOT.joinpath(*place.split("/cyps_xl/data/")[1].split("/")) / expected).read_bytes() == \
            (__import__("pathlib").Path(place) / expected).read_bytes()


def test_demo_and_cell_functions_run_from_the_wheel(installed):
    env, folder = installed
    demo = run(env, folder, "cyps-xl", "demo", "-o", folder / "demo")
    assert demo.returncode == 0, demo.stderr
    issued = folder / "demo" / "CYPS Scorecard March 2022 Issue 2.xlsx"
    ws = openpyxl.load_workbook(issued)["Social Care"]
    rows = {ws.cell(r, 1).value: r for r in range(13, ws.max_row + 1)}
    assert ws.cell(rows["3.14"], 21).value == "Green" and ws.cell(rows["3.2"], 31).value == 69.0  # DfE's England figure
    cells = run(env, folder, "python", "-c",
                "from cyps_xl.excel import udfs; print(udfs.CYPS_RAG(0.969, 'Social Care!3.4'), udfs.CYPS_DOT(0.886, 0.888, 'high'), "
                "udfs.CYPS_TOLERANCE('Social Care!3.2', 'amber'))")
    assert cells.returncode == 0, cells.stderr
    assert cells.stdout.split() == ["Green", "↓", "98.7+"]
    built = run(env, folder, "cyps-xl", "addin", "build", "-o", folder / "cyps_xl.xlam")
    assert built.returncode == 0, built.stderr


def test_the_wheel_is_pure_python_so_xlwings_lite_can_install_it(installed):
    """xlwings Lite (Pyodide) installs pure-Python wheels from an index or an address (lite.xlwings.org/dependencies);
    the Lite front door and the rules it reads from a sheet are in it (see tests/test_lite.py for its dependencies)."""
    import zipfile

    _, folder = installed
    wheel = next((folder / "dist").glob("cyps_xl-*.whl"))
    assert wheel.name.endswith("-py3-none-any.whl")
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        tags = [line for line in z.read(next(n for n in names if n.endswith(".dist-info/WHEEL"))).decode().splitlines()
                if line.startswith(("Tag:", "Root-Is-Purelib:"))]
    assert tags == ["Root-Is-Purelib: true", "Tag: py3-none-any"]
    assert {"cyps_xl/excel/lite.py", "cyps_xl/engine/textfiles.py", "cyps_xl/evaluation.py"} <= set(names)
    assert not [n for n in names if n.endswith((".so", ".pyd", ".dll", ".dylib"))]
