"""The workbook is parsed once, into the package model that is also the writer; nothing heavy loads that is not used."""
import subprocess
import sys

import pytest

import cyps_xl
from cyps_xl.workbook import package as package_module
from conftest import DATA, ROOT

PROBE = """
import sys, datetime as dt
import cyps_xl
{call}
print("LOADED:" + ",".join(m for m in ("openpyxl", "numpy", "pandas", "xlwings", "PIL") if m in sys.modules))
"""


def loaded(call: str) -> set:
    done = subprocess.run([sys.executable, "-c", PROBE.format(call=call)], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    line = next(line for line in done.stdout.splitlines() if line.startswith("LOADED:"))
    return set(filter(None, line[len("LOADED:"):].split(",")))


def test_issue_and_refresh_load_neither_openpyxl_nor_pandas(template, tmp_path):
    card = str(template)
    issued = loaded(f"cyps_xl.issue({card!r}, {str(tmp_path / 'i.xlsx')!r}, today=dt.date(2022, 5, 20))")
    refreshed = loaded(f"cyps_xl.refresh({card!r}, {str(tmp_path / 'r.xlsx')!r})")
    assert issued == set() and refreshed == set()
    # with published figures: still nothing; with DfE's files, pandas (and numpy for the quartiles) and only then
    published = loaded(f"cyps_xl.issue({card!r}, {str(tmp_path / 'p.xlsx')!r}, benchmarks={str(DATA / 'sample_benchmarks.csv')!r})")
    dfe = loaded(f"cyps_xl.issue({card!r}, {str(tmp_path / 'd.xlsx')!r}, benchmarks={str(DATA / 'dfe')!r})")
    assert published == set() and dfe == {"pandas", "numpy"}


def test_every_part_is_parsed_once_per_run(template, tmp_path, monkeypatch):
    parsed = []
    real = package_module.parse_xml

    def counting(data, name, source):
        parsed.append(name)
        return real(data, name, source)

    monkeypatch.setattr(package_module, "parse_xml", counting)
    cyps_xl.issue(template, tmp_path / "issued.xlsx", benchmarks=DATA / "sample_benchmarks.csv")
    assert parsed and len(parsed) == len(set(parsed)), sorted(n for n in parsed if parsed.count(n) > 1)
    sheets = [n for n in parsed if n.startswith("xl/worksheets/")]
    assert len(sheets) >= 2
    parsed.clear()
    cyps_xl.refresh(template, tmp_path / "refreshed.xlsx")
    assert len(parsed) == len(set(parsed))


@pytest.mark.parametrize("rows", [40, 400])
def test_editing_a_row_costs_the_same_whatever_the_sheets_size(tmp_path, rows):
    """The sheet editor finds rows and cells through indexes built once: no scan per edit."""
    import xlsxwriter

    from cyps_xl.workbook.package import Package

    path = tmp_path / f"{rows}.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("S")
    for r in range(rows):
        ws.write_row(r, 0, [r, r * 2, r * 3])
    wb.close()
    editor = Package(path).sheet("S")
    lookups = []
    original = editor._row_cells

    def counted(number, row):
        lookups.append(number)
        return original(number, row)

    editor._row_cells = counted
    for r in range(1, rows + 1):
        editor.set_value(r, 2, r)
    # each edit builds at most one row's index, once: the work per edit does not grow with the sheet
    assert len(editor._cells) == rows and len(lookups) == rows
