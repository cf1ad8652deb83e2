"""The archive is compressed on a writer thread (cyps_xl.workbook.saving): the same bytes as a zip written on
one thread, and a failure on either side stops both, leaves the old file as it was and no temporary file."""
import os
import sys
import threading
import time
import zipfile

import pytest

import cyps_xl
from cyps_xl.errors import CypsError
from cyps_xl.workbook import saving
from cyps_xl.workbook.package import Package


def _writers() -> list:
    return [t for t in threading.enumerate() if t.name == "cyps-xl zip writer"]


def _one_thread(target, members: list, infos: dict) -> None:
    """The zip as zipfile writes it on one thread, each part whole (what saving must match byte for byte)."""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in sorted(members, key=lambda item: item[0] != "[Content_Types].xml"):
            info = zipfile.ZipInfo(name, date_time=infos[name].date_time if name in infos else (1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            data = data() if callable(data) else data
            archive.writestr(info, data if isinstance(data, bytes) else b"".join(data))


def test_the_issued_workbook_is_the_zip_one_thread_would_write(template, tmp_path):
    """A worksheet comes in pieces and is compressed in blocks on the writer thread: deflate does not care how
    its input is split, so every byte (the CRCs, the sizes, the order) is as a plain zipfile would write."""
    threaded, plain = tmp_path / "threaded.xlsx", tmp_path / "plain.xlsx"
    cyps_xl.issue(template, threaded)
    for target, write in ((tmp_path / "again.xlsx", saving.write_zip_atomically), (plain, _one_thread)):
        package = Package(threaded)
        package.sheet(next(iter(package.sheet_parts))).row_height(1, 20)  # one worksheet rewritten, in pieces
        members = package.members()
        assert any(not isinstance(data(), bytes) for _, data in members)
        write(target, package.members(), package.infos)
    assert (tmp_path / "again.xlsx").read_bytes() == plain.read_bytes()
    assert not _writers()


def test_a_full_disk_mid_archive_is_one_message_and_the_old_file_stays(template, tmp_path, monkeypatch):
    target = tmp_path / "issued.xlsx"
    target.write_bytes(b"last month's issue")
    real_fdopen = os.fdopen

    class FillsUp:
        """The temporary file, on a disk that fills after 10 kB."""

        def __init__(self, handle):
            self.file, self.written = real_fdopen(handle, "wb"), 0

        def write(self, data):
            self.written += len(data)
            if self.written > 10_000:
                raise OSError(28, "No space left on device")
            return self.file.write(data)

        def __getattr__(self, name):
            return getattr(self.file, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.file.close()

    monkeypatch.setattr(saving.os, "fdopen", lambda handle, mode: FillsUp(handle))
    with pytest.raises(CypsError) as raised:
        cyps_xl.issue(template, target, force=True)  # last month's issue stands for any file the disk cannot replace
    assert "No space left on device; nothing was replaced" in str(raised.value) and "issued.xlsx" in str(raised.value)
    assert target.read_bytes() == b"last month's issue"
    assert [p.name for p in tmp_path.iterdir()] == ["issued.xlsx"]  # no temporary file left
    assert not _writers()


def test_a_part_that_fails_to_be_made_stops_the_writer_and_leaves_no_file(tmp_path):
    def sheet():
        yield b"<worksheet>" + b"<row/>" * 50_000  # more than a block: the writer is at work when it fails
        raise CypsError("has a cell the writer cannot write.", file=tmp_path / "book.xlsx")

    members = [("[Content_Types].xml", b"<Types/>"), ("xl/worksheets/sheet1.xml", sheet),
               ("xl/styles.xml", b"<styleSheet/>")]
    switch = sys.getswitchinterval()
    with pytest.raises(CypsError, match="cannot write"):
        saving.write_zip_atomically(tmp_path / "out.xlsx", members)
    assert list(tmp_path.iterdir()) == []
    assert not _writers()
    assert sys.getswitchinterval() == switch  # as it was, after a failure too


def test_an_archive_that_cannot_be_started_is_one_error_and_the_run_never_waits_on_the_writer(tmp_path, monkeypatch):
    """The writer thread fails before its first order (the archive cannot be opened): it still takes every order,
    so the run, with more parts than the queue holds, is not left waiting: one message, and no file left."""
    from types import SimpleNamespace

    def cannot(*args, **kwargs):
        raise OSError("no room for the archive")

    monkeypatch.setattr(saving, "zipfile", SimpleNamespace(ZipFile=cannot, ZipInfo=zipfile.ZipInfo,
                                                           ZIP_DEFLATED=zipfile.ZIP_DEFLATED))
    members = [(f"xl/part{n}.xml", b"<part/>" * 20_000) for n in range(100)]  # more orders than the queue holds
    done: list = []
    saving_thread = threading.Thread(target=lambda: done.append(_raised(saving.write_zip_atomically,
                                                                           tmp_path / "out.xlsx", members)))
    saving_thread.start()
    saving_thread.join(timeout=60)
    assert not saving_thread.is_alive(), "the run waits on a writer that has stopped"
    assert isinstance(done[0], CypsError) and "no room for the archive" in str(done[0])  # one message
    assert list(tmp_path.iterdir()) == []
    assert not _writers()


def _raised(call, *args):
    try:
        call(*args)
    except BaseException as exc:  # noqa: BLE001 - handed back to the test
        return exc
    return None


def test_while_the_writer_runs_it_is_handed_the_lock_promptly_and_after_it_the_interval_is_as_it_was(tmp_path):
    """The writer takes Python's lock back after each block's deflate and write; with the default 5 ms switch
    interval it fell behind the rows being made. While it runs the interval is short; then it is as it was."""
    seen = []

    def sheet():
        for _ in range(40):
            seen.append(sys.getswitchinterval())
            yield b"<row/>" * 20_000

    switch = sys.getswitchinterval()
    saving.write_zip_atomically(tmp_path / "out.xlsx", [("[Content_Types].xml", b"<Types/>"),
                                                        ("xl/worksheets/sheet1.xml", sheet)])
    assert len(seen) == 40
    assert all(value == pytest.approx(saving.HANDOVER) for value in seen)  # Python keeps it in microseconds
    assert sys.getswitchinterval() == switch
    with zipfile.ZipFile(tmp_path / "out.xlsx") as written:
        assert written.read("xl/worksheets/sheet1.xml") == b"<row/>" * 20_000 * 40


def test_where_no_thread_can_start_the_archive_is_written_in_turn_and_is_the_same(template, tmp_path, monkeypatch):
    """Pyodide (xlwings Lite) starts no thread: Thread.start raises there. The save carries out the writer's orders
    in turn on the one thread, and the file is the one the writer thread makes, byte for byte."""
    threaded, alone = tmp_path / "threaded.xlsx", tmp_path / "alone.xlsx"
    cyps_xl.issue(template, threaded, today=__import__("datetime").date(2022, 5, 20))

    def no_thread(self):
        raise RuntimeError("can't start new thread")

    with monkeypatch.context() as patched:
        patched.setattr(threading.Thread, "start", no_thread)
        cyps_xl.issue(template, alone, today=__import__("datetime").date(2022, 5, 20))
    assert alone.read_bytes() == threaded.read_bytes() and not _writers()


def test_saves_in_two_threads_at_once_leave_the_interval_as_it_was(tmp_path):
    """Two saves at once (an application saving in threads of its own), the first to start ending first: the first
    writer to start sets the short interval, and only the last to end puts back the one from before either."""
    switch = sys.getswitchinterval()
    first_writing, first_done = threading.Event(), threading.Event()

    def first_sheet():
        first_writing.set()
        for _ in range(10):
            time.sleep(0.02)  # the second save starts meanwhile
            yield b"<row/>" * 20_000

    def second_sheet():
        assert first_done.wait(5)  # still writing when the first has ended
        assert sys.getswitchinterval() == pytest.approx(saving.HANDOVER)
        yield b"<row/>" * 20_000

    def save(name: str, sheet, done=None) -> None:
        saving.write_zip_atomically(tmp_path / name, [("[Content_Types].xml", b"<Types/>"),
                                                      ("xl/worksheets/sheet1.xml", sheet)])
        if done is not None:
            done.set()

    first = threading.Thread(target=save, args=("first.xlsx", first_sheet, first_done))
    first.start()
    first_writing.wait(5)
    save("second.xlsx", second_sheet)
    first.join()
    assert first_done.is_set() and sys.getswitchinterval() == switch
    assert all(zipfile.ZipFile(tmp_path / n).testzip() is None for n in ("first.xlsx", "second.xlsx"))
