"""The xlwings Lite scripts in real Pyodide (WebAssembly CPython, as Lite runs them), under Node.

Optional: set CYPS_XL_PYODIDE to the folder of an unpacked Pyodide core (``npm pack pyodide@314.0.7`` and
untar it: the ``package`` folder, with ``pyodide.mjs``), with ``node`` on the PATH. Pyodide's compiled packages
come from its CDN, so PyYAML and xlwings are mounted from this interpreter's pure-Python sources (their optional
compiled parts left out), as Lite would install them from its index. Threads and processes are made to fail.
"""
import asyncio
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT

PYODIDE = os.environ.get("CYPS_XL_PYODIDE")
NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(not (PYODIDE and NODE and Path(PYODIDE, "pyodide.mjs").is_file()),
                                reason="set CYPS_XL_PYODIDE to an unpacked pyodide@314 'package' folder, with node")

SCRIPT = r"""
import { loadPyodide } from "%(pyodide)s/pyodide.mjs";
const py = await loadPyodide({ indexURL: "%(pyodide)s/" });
for (const [dir, root] of [["/repo", "%(repo)s"], ["/site", "%(site)s"], ["/data", "%(data)s"]]) {
  py.FS.mkdirTree(dir); py.FS.mount(py.FS.filesystems.NODEFS, { root }, dir);
}
console.log(await py.runPythonAsync(`
import os, sys, json, threading, subprocess
os.environ["XLWINGS_LICENSE_KEY"] = "noncommercial"; os.environ["XLWINGS_ON_SERVER"] = "true"
sys.path[:0] = ["/site", "/repo"]
def no(*a, **k): raise RuntimeError("no threads or processes here")
threading.Thread.start = no
subprocess.Popen = no
data = json.load(open("/data/payload.json"))
import xlwings as xw
from xlwings.pro import udfs_officejs
from cyps_xl.excel import lite
async def formats(book): return data["formats"], None
lite.read_number_formats = formats
book = xw.Book(json=data["payload"])
await udfs_officejs.custom_scripts_call(lite, "cyps_refresh_ratings", typehint_to_value={xw.Book: book})
json.dumps({"platform": sys.platform, "version": sys.version.split()[0], "actions": book.json()["actions"],
            "loaded": [m for m in ("lxml", "openpyxl", "pandas") if m in sys.modules]}, default=str)
`));
"""


def test_refresh_ratings_in_real_pyodide_writes_what_cpython_writes(tmp_path):
    import xlwings as xw
    import yaml

    from cyps_xl.excel import lite
    from cyps_xl.excel.remote import number_formats_from_file, payload_from_file

    site = tmp_path / "site"
    for package in (Path(yaml.__file__).parent, Path(xw.__file__).parent):
        shutil.copytree(package, site / package.name, ignore=shutil.ignore_patterns("*.so", "*.pyd", "__pycache__"))
    card = ROOT / "tests" / "fixtures" / "other_tools" / "scorecard_saved_by_libreoffice_7.4.xlsx"
    payload, formats = payload_from_file(card), number_formats_from_file(card)
    (tmp_path / "payload.json").write_text(json.dumps({"payload": payload, "formats": formats}, default=str))
    (tmp_path / "run.mjs").write_text(SCRIPT % {"pyodide": Path(PYODIDE).resolve(), "repo": ROOT, "site": site,
                                                 "data": tmp_path})
    done = subprocess.run([NODE, str(tmp_path / "run.mjs")], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["platform"] == "emscripten" and found["version"].startswith("3.14") and found["loaded"] == []
    book = xw.Book(json=json.loads(json.dumps(payload, default=str)))
    asyncio.run(lite.run(book, "refresh", number_formats=formats))
    here = json.loads(json.dumps(book.json()["actions"], default=str))
    values = lambda actions: [a for a in actions if a["func"] == "setValues"][:-1]  # noqa: E731 - the last is dated
    assert values(found["actions"]) == values(here) and len(found["actions"]) == len(here)
