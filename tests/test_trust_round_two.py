"""Trust, round two: outputs that are not files, full disks, wrongly typed settings, damaged values: one message each."""
import os
import shutil
import zipfile

import pytest

import cyps_xl
from cyps_xl.errors import CypsError
from conftest import ROOT, run_cli


def test_an_output_that_is_a_folder_or_a_pipe_is_refused(template, tmp_path):
    folder = tmp_path / "out.xlsx"
    folder.mkdir()
    result = run_cli("issue", template, "-o", folder)
    assert result.returncode == 2 and "out.xlsx: is a folder." in result.stderr and "Traceback" not in result.stderr
    pipe = tmp_path / "pipe.xlsx"
    os.mkfifo(pipe)
    result = run_cli("issue", template, "-o", pipe)
    assert result.returncode == 2 and "pipe.xlsx: is not a regular file (a pipe, device or broken link)" in result.stderr
    assert not pipe.is_file() and pipe.exists()  # still the pipe it was


def test_a_full_disk_stops_an_in_place_refresh_before_anything_changes(template, tmp_path, monkeypatch):
    card = tmp_path / "card.xlsx"
    shutil.copyfile(template, card)
    before = card.read_bytes()
    monkeypatch.setattr(shutil, "disk_usage", lambda path: shutil._ntuple_diskusage(10 << 20, 10 << 20, 1000))
    with pytest.raises(CypsError, match="there is not enough free space beside the workbook for a backup and the new file"):
        cyps_xl.refresh(card)
    assert card.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["card.xlsx"]


def test_a_backup_cut_short_is_removed_and_the_source_untouched(template, tmp_path, monkeypatch):
    card = tmp_path / "card.xlsx"
    shutil.copyfile(template, card)
    before = card.read_bytes()

    def half(source, target, *args, **kwargs):
        with open(target, "wb") as handle:
            handle.write(open(source, "rb").read()[:16384])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(shutil, "copyfile", half)
    with pytest.raises(CypsError, match=r"the backup copy could not be written \(No space left on device\); nothing was changed"):
        cyps_xl.refresh(card)
    assert card.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["card.xlsx"]


def test_writing_into_a_folder_that_refuses_is_one_message(template, tmp_path, monkeypatch):
    import tempfile

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    with pytest.raises(CypsError, match="out.xlsx: cannot be written: Permission denied. Check you can save in that folder"):
        cyps_xl.issue(template, tmp_path / "out.xlsx")
    assert not (tmp_path / "out.xlsx").exists()


def test_a_folder_named_like_a_rules_file_is_passed_over(template, tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    (rules / "old.yaml").mkdir()
    result = run_cli("issue", template, "--rules", rules, "-o", tmp_path / "out.xlsx")
    assert result.returncode == 0, result.stderr


def test_a_stray_cell_at_the_grids_far_corner_costs_nothing_more(template, tmp_path):
    """Cost follows the cells that exist: a note in XFD1048576 (dimension A1:XFD1048576) changes nothing."""
    import resource
    import subprocess
    import sys
    import time

    from corpus.cases import hostile_zip

    with zipfile.ZipFile(template) as z:
        sheet = z.read("xl/worksheets/sheet2.xml")
    far = sheet.replace(b"</sheetData>", b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>note</t></is></c></row>'
                        b"</sheetData>").replace(b'<dimension ref="A1:AG93"/>', b'<dimension ref="A1:XFD1048576"/>')
    card = tmp_path / hostile_zip(tmp_path, "far.xlsx", "xl/worksheets/sheet2.xml", far)
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "cyps_xl", "issue", str(card), "-o", str(tmp_path / "out.xlsx")],
                            capture_output=True, text=True, timeout=120)
    seconds = time.perf_counter() - start
    assert result.returncode == 0, result.stderr
    assert seconds < 10 and resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss < 1 << 20  # KB: under 1 GB


def test_a_benchmark_value_that_is_no_number_is_refused_and_unmatched_rows_are_named(template, tmp_path):
    bad = tmp_path / "published.csv"
    bad.write_text("sheet,ref,national,year\nSocial Care,3.14,68%,2020/21\nSocial Care,3.15,abc%,2020/21\n", encoding="utf-8")
    result = run_cli("issue", template, "--benchmarks", bad, "-o", tmp_path / "out.xlsx")
    assert result.returncode == 2 and not (tmp_path / "out.xlsx").exists()
    assert result.stderr.strip() == ("cyps-xl: error: " + str(bad) + ", line 3: the value 'abc%' in column national is "
                                     "neither a number nor a placeholder ('-', 'n/a') or DfE code. Type the figure "
                                     "(68.0% or 0.68), or '-' when there is none.")
    good = tmp_path / "good.csv"
    good.write_text("sheet,ref,national,year\nSocial Care,3.14,68%,2020/21\nSocial Care,9.99,50%,2020/21\n"
                    "Social Care,3.15,-,2020/21\n", encoding="utf-8")
    result = run_cli("issue", template, "--benchmarks", good, "-o", tmp_path / "out.xlsx")
    assert result.returncode == 0, result.stderr
    assert "1 benchmark row(s) match no row of the scorecard: Social Care 9.99 (good.csv, line 3)." in result.stdout
