"""Hostile files are refused quickly with bounded memory; a killed run never leaves a partial output."""
import hashlib
import random
import re
import signal
import struct
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest

import cyps_xl

sys.path.insert(0, str(Path(__file__).parent / "corpus"))
from cases import TEMPLATE, hostile_zip  # noqa: E402

LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>"""
XXE = b"""<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&xxe;</t></is></c></row></sheetData></worksheet>"""


def timed_cli(*args, cwd):
    """The CLI run, with its time and its own peak resident memory (this child's rusage, from wait4: the
    children-wide figure would carry the peak of any earlier child of the test run)."""
    import os
    import tempfile

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-m", "cyps_xl", *map(str, args)], stdout=out, stderr=err, cwd=cwd)
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        result = subprocess.CompletedProcess(process.args, process.returncode, out.read().decode(), err.read().decode())
    return result, elapsed, usage.ru_maxrss


@pytest.mark.parametrize("xml, label", [(LAUGHS, "billion laughs"), (XXE, "external entity")])
def test_xml_bombs_and_external_entities_are_refused(tmp_path, xml, label):
    name = hostile_zip(tmp_path, "hostile.xlsx", "xl/worksheets/sheet2.xml", xml)
    result, elapsed, peak_kb = timed_cli("issue", name, "-o", "out.xlsx", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == ("cyps-xl: error: hostile.xlsx: the part xl/worksheets/sheet2.xml declares a DOCTYPE "
                                     "or entities, which no Excel file does; refusing to read it. The file may be hostile "
                                     "(an XML bomb or external entity); do not open it.")
    assert elapsed < 5 and peak_kb < 400_000  # seconds; kilobytes of resident memory
    assert not (tmp_path / "out.xlsx").exists()


def forge_sizes(path: Path, size: int) -> None:
    """Claim (in the zip's directory) that the first member expands to ``size`` bytes."""
    data = bytearray(path.read_bytes())
    local = data.index(b"PK\x03\x04")
    struct.pack_into("<I", data, local + 22, size)
    central = data.index(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, size)
    path.write_bytes(bytes(data))


def test_a_zip_that_claims_to_expand_past_the_limit_is_refused_before_expanding(tmp_path):
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(TEMPLATE.read_bytes())
    forge_sizes(path, 0xFFFF0000)  # ~4 GB
    result, elapsed, peak_kb = timed_cli("issue", path.name, "-o", "out.xlsx", cwd=tmp_path)
    assert result.returncode == 2
    assert "bomb.xlsx: its parts would expand to" in result.stderr and "zip bomb" in result.stderr
    assert elapsed < 5 and peak_kb < 400_000


def test_formula_like_text_is_written_as_text(template, tmp_path):
    from cyps_xl.workbook.changes import CellChange
    from cyps_xl.workbook.package import Package
    from cyps_xl.workbook.writer import apply_changes

    bench = tmp_path / "bench.csv"
    bench.write_text('sheet,ref,sn_average,sn_best,national,regional,year\n'
                     'Social Care,3.14,"=HYPERLINK(""http://evil"",""x"")",+44 20,@SUM(A1),-cmd,2021/22\n', encoding="utf-8")
    with pytest.raises(cyps_xl.errors.CypsError, match="the value '=HYPERLINK"):
        cyps_xl.issue(template, tmp_path / "refused.xlsx", benchmarks=[bench])  # a benchmark is a number or nothing
    texts = ['=HYPERLINK("http://evil","x")', "+44 20", "@SUM(A1)", "-cmd"]
    package = Package(template)
    apply_changes(package, [CellChange("Social Care", 40, 29 + i, text) for i, text in enumerate(texts)])
    out = tmp_path / "out.xlsx"
    package.save(out)
    with zipfile.ZipFile(out) as z:
        xml = z.read("xl/worksheets/sheet2.xml").decode()
    assert "<f>" not in xml and "<f " not in xml
    ws = openpyxl.load_workbook(out)["Social Care"]
    assert [ws.cell(40, 29 + i).value for i in range(4)] == texts
    assert all(ws.cell(40, 29 + i).data_type == "s" for i in range(4))
    from cyps_xl.excel.xlwings_writer import excel_value

    assert excel_value("=1+1") == "'=1+1" and excel_value("-") == "-" and excel_value(3) == 3


def test_external_links_are_removed_from_the_issue(tmp_path):
    with zipfile.ZipFile(TEMPLATE) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    parts["xl/externalLinks/externalLink1.xml"] = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><externalLink xmlns="http://schemas.openxmlformats.org/'
        b'spreadsheetml/2006/main"><externalBook xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
        b'relationships" r:id="rId1"><sheetNames><sheetName val="Data"/></sheetNames></externalBook></externalLink>')
    parts["xl/externalLinks/_rels/externalLink1.xml.rels"] = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/'
        b'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        b'relationships/externalLinkPath" Target="file:///S:/Secret/Other.xlsx" TargetMode="External"/></Relationships>')
    rels = parts["xl/_rels/workbook.xml.rels"].decode()
    parts["xl/_rels/workbook.xml.rels"] = rels.replace("</Relationships>", (
        '<Relationship Id="rIdX1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/externalLink"'
        ' Target="externalLinks/externalLink1.xml"/></Relationships>')).encode()
    workbook = parts["xl/workbook.xml"].decode()
    parts["xl/workbook.xml"] = re.sub(r"(</sheets>)", r'\1<externalReferences><externalReference r:id="rIdX1"/></externalReferences>',
                                      workbook).encode()
    ct = parts["[Content_Types].xml"].decode()
    parts["[Content_Types].xml"] = ct.replace("</Types>", '<Override PartName="/xl/externalLinks/externalLink1.xml" '
                                              'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
                                              'externalLink+xml"/></Types>').encode()
    src = tmp_path / "linked.xlsx"
    with zipfile.ZipFile(src, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    out = tmp_path / "out.xlsx"
    cyps_xl.issue(src, out)
    with zipfile.ZipFile(out) as z:
        names = z.namelist()
        everything = b"".join(z.read(n) for n in names)
    assert not any("externalLink" in n for n in names)
    assert b"externalReference" not in everything and b"Secret" not in everything


def test_issuing_twice_gives_identical_workbooks(template, tmp_path):
    import datetime as dt

    a = cyps_xl.issue(template, tmp_path / "a.xlsx", today=dt.date(2022, 5, 20)).output
    b = cyps_xl.issue(template, tmp_path / "b.xlsx", today=dt.date(2022, 5, 20)).output
    assert a.read_bytes() == b.read_bytes()
    c = cyps_xl.issue(template, tmp_path / "c.xlsx", today=dt.date(2022, 5, 21)).output
    with zipfile.ZipFile(a) as za, zipfile.ZipFile(c) as zc:
        # the date is printed in the pages' footers and in the 'Date created' cells, and nowhere else
        differing = [n for n in za.namelist()
                     if za.read(n) != zc.read(n).replace(b'Page &amp;P of &amp;N - 21/05/2022',
                                                         b'Page &amp;P of &amp;N - 20/05/2022')]
    assert differing == ["xl/sharedStrings.xml"]  # the 'Date created' text, which the sheets' cells refer to
    wa, wc = openpyxl.load_workbook(a), openpyxl.load_workbook(c)
    for sheet in ("Early Help", "Social Care"):
        cells = [(cell.coordinate, cell.value, wc[sheet][cell.coordinate].value)
                 for row in wa[sheet].iter_rows() for cell in row if cell.value != wc[sheet][cell.coordinate].value]
        assert [coordinate for coordinate, _, _ in cells] == ["A5"]


def test_an_issue_is_the_same_bytes_in_every_process(template, tmp_path):
    """Python seeds its string hashing afresh in each process: nothing written may follow a set's order."""
    import os

    written = []
    for seed in ("1", "2", "3"):
        out = tmp_path / f"seed{seed}.xlsx"
        done = subprocess.run([sys.executable, "-m", "cyps_xl", "issue", str(template), "-o", str(out)],
                              capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": seed})
        assert done.returncode == 0, done.stderr
        written.append(out.read_bytes())
    assert written[0] == written[1] == written[2]


def test_a_killed_run_leaves_the_previous_file_or_none(tmp_path):
    src = tmp_path / "card.xlsx"
    src.write_bytes(TEMPLATE.read_bytes())
    out = tmp_path / "out.xlsx"
    args = [sys.executable, "-m", "cyps_xl", "issue", str(src), "-o", str(out)]
    start = time.perf_counter()
    assert subprocess.run(args, capture_output=True).returncode == 0
    runtime = time.perf_counter() - start  # kill at random moments within a run, however fast the machine
    previous = hashlib.sha256(out.read_bytes()).hexdigest()
    rng = random.Random(7)
    kills = attempts = 0
    while kills < 50 and attempts < 300:
        attempts += 1
        if rng.random() < 0.3:
            out.unlink(missing_ok=True)  # sometimes there is no previous file
        had_previous = out.exists()
        process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.05, 0.95) * runtime)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.wait()
        if out.exists():  # the previous file, or a complete new one (identical, as issues are deterministic)
            assert hashlib.sha256(out.read_bytes()).hexdigest() == previous
        else:
            assert not had_previous, "a previous file disappeared"
    assert kills >= 50
    assert subprocess.run(args, capture_output=True).returncode == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["card.xlsx", "out.xlsx"]  # abandoned temp files cleaned
    assert hashlib.sha256(src.read_bytes()).hexdigest() == hashlib.sha256(TEMPLATE.read_bytes()).hexdigest()
