import shutil

from conftest import run_cli


def test_batch_issues_every_scorecard_and_reports_failures(template, tmp_path):
    folder = tmp_path / "authorities"
    folder.mkdir()
    for name in ("Rotherham.xlsx", "Barnsley.xlsx", "Doncaster.xlsx"):
        shutil.copyfile(template, folder / name)
    (folder / "Broken.xlsx").write_bytes(b"not a workbook")
    (folder / "Rotherham Issue 1.xlsx").write_bytes(b"an earlier issue: not a scorecard to issue")
    result = run_cli("batch", folder, "-o", tmp_path / "out", "-j", "2")
    assert result.returncode == 2
    assert "Issued 3 scorecard(s)" in result.stdout
    assert "Broken.xlsx: is not an Excel workbook" in result.stderr
    assert "4/4" in result.stderr  # the progress bar reached the end
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "Barnsley Issue 2.xlsx", "Doncaster Issue 2.xlsx", "Rotherham Issue 2.xlsx"]
