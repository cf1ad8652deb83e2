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


def test_a_file_that_breaks_the_reader_is_listed_and_the_rest_issued(template, tmp_path, monkeypatch):
    """Any failure in one scorecard - not only a user error - is listed with its file; the batch exits 2."""
    from cyps_xl import batch

    folder = tmp_path / "authorities"
    folder.mkdir()
    for name in ("Rotherham.xlsx", "Barnsley.xlsx"):
        shutil.copyfile(template, folder / name)
    import cyps_xl.api

    real = cyps_xl.api.issue

    def flaky(source, **options):
        if "Barnsley" in str(source):
            raise KeyError("xl/styles.xml")  # as a damaged package might
        return real(source, **options)

    monkeypatch.setattr(cyps_xl.api, "issue", flaky)
    report = batch.run_batch(folder, tmp_path / "out", jobs=1, progress=None)
    assert [p.rsplit("/", 1)[-1] for p in report.issued] == ["Rotherham Issue 2.xlsx"]
    assert report.failed == [(str(folder / "Barnsley.xlsx"),
                              f"{folder / 'Barnsley.xlsx'}: could not be issued (KeyError: 'xl/styles.xml').")]


def test_ctrl_c_stops_the_workers_and_says_what_was_written(template, tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    folder = tmp_path / "authorities"
    folder.mkdir()
    count = 40
    for i in range(count):
        shutil.copyfile(template, folder / f"authority {i:02d}.xlsx")
    out = tmp_path / "out"
    # Ctrl-C as a user's terminal delivers it: a test run started in the background (nohup, '&' in a script)
    # passes SIGINT on ignored, and Python then never raises KeyboardInterrupt
    process = subprocess.Popen([sys.executable, "-m", "cyps_xl", "batch", str(folder), "-o", str(out), "-j", "2"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(list(out.glob("*Issue 2.xlsx"))) < 2:
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGINT)  # Ctrl-C reaches the whole process group, workers included
    stopped = time.monotonic()
    stdout, stderr = process.communicate(timeout=60)
    assert time.monotonic() - stopped < 5 and process.returncode == 130, stderr
    written = sorted(p.name for p in out.glob("*.xlsx"))
    assert 2 <= len(written) < count
    assert stdout.startswith(f"Interrupted: {len(written)} of {count} scorecard(s) were issued before stopping:")
    assert all(f"  {out / name}" in stdout for name in written)
    assert "Traceback" not in stderr
