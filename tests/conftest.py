import csv
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

# xlwings' remote and calamine engines run without Excel under the PolyForm Noncommercial
# licence (government use). Set for the tests only, before xlwings is first imported.
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
# On Linux xw.func/xw.arg are no-op decorators; on "server" they record their options as on
# Windows, so the cell functions' tests can call them through xlwings' own conversion stage.
os.environ.setdefault("XLWINGS_ON_SERVER", "true")
# Parsed YAML is kept between runs (cyps_xl.engine.yamlcache): the tests keep theirs apart from the user's.
if "CYPS_XL_CACHE" not in os.environ:
    import tempfile

    os.environ["CYPS_XL_CACHE"] = tempfile.mkdtemp(prefix="cyps-xl-test-cache-")

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "workbook_templates" / "data"


def load_builder():
    spec = importlib.util.spec_from_file_location("build_template", ROOT / "workbook_templates" / "build_template.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def template(tmp_path_factory) -> Path:
    """The scorecard rebuilt from the published figures, as the team would have it before a run."""
    out = tmp_path_factory.mktemp("template") / "CYPS Scorecard March 2022.xlsx"
    load_builder().build(out)
    return out


@pytest.fixture(scope="session")
def issued(template, tmp_path_factory) -> Path:
    import datetime as dt

    import cyps_xl

    out = tmp_path_factory.mktemp("issued") / "CYPS Scorecard March 2022 Issue 2.xlsx"
    cyps_xl.issue(template, out, benchmarks=DATA / "sample_benchmarks.csv", today=dt.date(2022, 5, 20))
    return out


def published_rows(name: str) -> list[dict]:
    with (DATA / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def run_cli(*args, cwd=None, env_extra=None):
    env = {**os.environ, **env_extra} if env_extra else None
    return subprocess.run([sys.executable, "-m", "cyps_xl", *map(str, args)], capture_output=True, text=True, cwd=cwd,
                          env=env)
