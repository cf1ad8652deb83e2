"""Where outputs go: written atomically (a temporary file beside the target, moved into place only when
complete, so a failed run leaves no partial file), a backup kept whole or not at all, and the archive
compressed on a thread of its own.

Deflate, the CRC and the file's writes let go of Python's lock, so while the writer thread compresses one
block of a worksheet the run makes the next: the zip costs the run little more than making the parts.
Blocks are joined from the pieces a worksheet comes in; deflate's output does not depend on how its input
is split, so the file is the same byte for byte as one written on a single thread.
"""
from __future__ import annotations

import os
import queue
import re
import sys
import tempfile
import threading
import zipfile
from pathlib import Path

from cyps_xl.errors import CypsError

BLOCK = 1 << 16  # bytes handed to the writer thread at a time: few hand-overs, little held
# Python hands its lock to a thread asking for it only every switch interval (5 ms by default). The writer takes
# the lock back after each deflate, CRC and write of a block, so while the run makes rows it would wait that long
# each time, fall behind, and leave the run waiting for room in the queue: a fifth of a 10,000-indicator save.
# While the writer runs, the interval is this (the run's rows cost the hand-overs next to nothing).
HANDOVER = 0.0002  # seconds
_CLOSE, _DONE, _ABORT = object(), object(), object()  # the writer's orders besides parts and blocks


def check_output_path(target: Path) -> None:
    """An output must be a new or regular file in a folder that exists: never a folder, FIFO or device."""
    import stat

    target = Path(target)
    if not target.parent.exists():
        raise CypsError("the output folder does not exist.", file=target, hint="Create the folder or choose another -o.")
    if target.exists() or target.is_symlink():
        mode = os.stat(target).st_mode if target.exists() else 0
        if stat.S_ISDIR(mode):
            raise CypsError("is a folder.", file=target, hint="Give -o a file name ending in .xlsx inside it.")
        if not stat.S_ISREG(mode):
            raise CypsError("is not a regular file (a pipe, device or broken link); it will not be replaced.",
                            file=target, hint="Choose another -o.")


def file_sha256(path: Path) -> str:
    """The file's SHA-256, read a block at a time (what in-place runs and the outputs' memory compare)."""
    import hashlib

    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def keep_backup(source: Path) -> Path:
    """A complete copy of ``source`` beside it (``<name>.backup-<time>``, with -2, -3... when two runs share a
    second), or none at all: the copy is written under a temporary name and renamed only when whole, and the
    folder must have room for it and the new file."""
    import datetime as dt
    import shutil

    source = Path(source)
    size = source.stat().st_size
    if shutil.disk_usage(source.parent).free < 3 * size + (1 << 20):  # the backup, the new file, and some room
        raise CypsError("there is not enough free space beside the workbook for a backup and the new file.",
                        file=source, hint="Free some space, or write the result elsewhere with -o.")
    _remove_abandoned_temps(source.with_name(f"{source.stem}.backup-"), prefix_only=True)
    stamp = f"{source.stem}.backup-{dt.datetime.now():%Y%m%d-%H%M%S}"
    for count in range(1, 1000):  # the name is claimed (O_EXCL) before it is written: never another run's backup
        backup = source.with_name(f"{stamp}{'' if count == 1 else f'-{count}'}{source.suffix}")
        try:
            os.close(os.open(backup, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            break
        except FileExistsError:
            continue
    else:  # never over a backup another run made
        raise CypsError("a thousand backups were made this second; no name is free for another.", file=source,
                        hint="Wait a second and run again.")
    temp = backup.with_name(f".{backup.name}.{_HOST}.{os.getpid()}.tmp")
    try:
        shutil.copyfile(source, temp)
        with open(temp, "rb+") as handle:
            os.fsync(handle.fileno())
        shutil.copystat(source, temp)
        os.replace(temp, backup)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        backup.unlink(missing_ok=True)
        raise CypsError(f"the backup copy could not be written ({exc.strerror or exc}); nothing was changed.",
                        file=source, hint="Free some space, or write the result elsewhere with -o.") from None
    return backup


def write_zip_atomically(target: Path, members, infos: dict | None = None, guard=None) -> None:
    """Write the zip of ``members`` ({name: bytes}, or (name, bytes or a function making them, whole or in
    pieces) in order) to ``target``, atomically; ``infos``: the source's ZipInfos, whose dates are kept;
    ``guard``: called just before the new file replaces the old (see :mod:`cyps_xl.workbook.inplace`)."""
    write_atomically(target, lambda raw: _write_archive(raw, members, infos), guard)


def write_text_atomically(target: Path, text: str) -> None:
    """A text output (YAML, JSON) written as UTF-8, atomically, like every other output."""
    write_atomically(target, lambda raw: raw.write(text.encode("utf-8")))


def write_atomically(target: Path, fill, guard=None) -> None:
    """``fill(raw)`` writes the whole output into a temporary file beside ``target``, which is then moved into place.

    The file as the user had it stays theirs: a link is followed (its target is written, the link kept), a
    read-only file is not replaced, and a replaced file keeps its permissions. ``guard()``, if given, may still
    refuse just before the move; then nothing is replaced and no temporary file is left."""
    import stat

    target = Path(target)
    check_output_path(target)
    if target.is_symlink():
        target = target.resolve()
    existing = target.stat() if target.exists() else None
    if existing is not None and not existing.st_mode & 0o222:
        raise CypsError("is read-only, so it is not replaced.", file=target,
                        hint="Make it writable if it should be (Properties, untick Read-only), or choose another -o.")
    _remove_abandoned_temps(target)
    try:
        handle, temp = tempfile.mkstemp(prefix=f".{target.name}.{_HOST}.{os.getpid()}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise CypsError(f"cannot be written: {exc.strerror or exc}.", file=target,
                        hint="Check you can save in that folder (it may be read-only).") from None
    try:
        with os.fdopen(handle, "wb") as raw:
            fill(raw)
            raw.flush()
            os.fsync(raw.fileno())
        if existing is not None:
            os.chmod(temp, stat.S_IMODE(existing.st_mode))  # a 0600 workbook stays 0600
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temp, 0o666 & ~umask)  # mkstemp makes it private; give it the usual permissions
        if guard is not None:
            guard()
        os.replace(temp, target)
    except BaseException as exc:
        try:
            os.unlink(temp)
        except FileNotFoundError:
            pass
        if isinstance(exc, OSError):  # a full disk, a folder that turned read-only: nothing was replaced
            raise CypsError(f"cannot be written: {exc.strerror or exc}; nothing was replaced.", file=target,
                            hint="Free some space or choose another folder, then run again.") from None
        raise


def this_computer() -> str:
    """This computer's name, as ``socket.gethostname()`` gives it (uname's on Linux and macOS, the same name,
    without importing socket for it)."""
    if hasattr(os, "uname"):
        return os.uname().nodename
    import socket

    return socket.gethostname()


_HOST = "".join(c if c.isalnum() or c in "-_" else "_" for c in this_computer())[:40] or "host"
_TEMP_OWNER = re.compile(r"\.([A-Za-z0-9_-]+)\.(\d+)(?:\.[^.]+)?\.tmp$")
ABANDONED_AFTER = 24 * 3600  # seconds: a temporary file of another computer's run is only removed when this old


def _remove_abandoned_temps(target: Path, prefix_only: bool = False) -> None:
    """Temporary files left by a killed run: this computer's whose process is gone, and any a day old. Another
    computer's run in a shared folder may still be writing its own: its PID means nothing here."""
    import time

    pattern = f".{target.name}*.tmp" if prefix_only else f".{target.name}.*.tmp"
    for temp in target.parent.glob(pattern):
        named = _TEMP_OWNER.search(temp.name)  # ...{host}.{pid}[.{random}].tmp
        host, pid = (named.group(1), named.group(2)) if named else ("", "")
        try:
            old = time.time() - temp.stat().st_mtime > ABANDONED_AFTER
        except OSError:
            continue
        if old or (host == _HOST and pid.isdigit() and not _alive(int(pid))):
            try:
                temp.unlink()
            except OSError:
                pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _write_archive(raw, members, infos: dict | None) -> None:
    """The members, [Content_Types].xml first as Excel writes it, made here and compressed by the writer
    thread (see the module's docstring); a member that fails to be made stops the writer and is raised."""
    jobs: queue.Queue = queue.Queue(maxsize=32)  # room to run ahead of the writer through a run of unchanged rows
    failed: list = []
    writer = threading.Thread(target=_writer, args=(raw, jobs, failed), name="cyps-xl zip writer", daemon=True)
    try:
        writer.start()
    except RuntimeError:  # no thread can start here (Pyodide: xlwings Lite): the orders are carried out in turn
        writer, jobs = None, _Archive(raw, failed)
    else:
        _handing_over(+1)
    try:
        items = members.items() if isinstance(members, dict) else members
        for name, data in sorted(items, key=lambda item: item[0] != "[Content_Types].xml"):
            if failed:
                break
            info = zipfile.ZipInfo(name, date_time=(infos[name].date_time if infos and name in infos else (1980, 1, 1, 0, 0, 0)))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            data = data() if callable(data) else data
            if isinstance(data, bytes):
                jobs.put((info, data))
                continue
            jobs.put((info, None))  # pieces: joined into blocks as they come, never held whole
            block, size = [], 0
            for piece in data:
                block.append(piece)
                size += len(piece)
                if size >= BLOCK:
                    jobs.put(b"".join(block))
                    block, size = [], 0
            if block:
                jobs.put(b"".join(block))
            jobs.put(_CLOSE)
        jobs.put(_DONE)
    except BaseException:
        jobs.put(_ABORT)  # the writer stops; the temporary file is removed by the caller
        raise
    finally:
        if writer is not None:
            writer.join()
            _handing_over(-1)
    if failed:
        raise failed[0]


_WRITERS = {"running": 0, "switch": None}  # writer threads at work (saves in several threads), the interval before
_WRITERS_LOCK = threading.Lock()


def _handing_over(change: int) -> None:
    """The first writer thread to start sets the short switch interval; the last to end puts back the one before."""
    with _WRITERS_LOCK:
        if _WRITERS["running"] == 0:
            _WRITERS["switch"] = sys.getswitchinterval()
            sys.setswitchinterval(min(_WRITERS["switch"], HANDOVER))
        _WRITERS["running"] += change
        if _WRITERS["running"] == 0:
            sys.setswitchinterval(_WRITERS["switch"])


class _Archive:
    """The archive the writer fills: each part whole, or opened, written block by block and closed; the archive
    closed at the end. A failure (a full disk) is handed back, and the orders still coming are taken and dropped,
    so the maker never waits on a writer that has stopped."""

    def __init__(self, raw, failed: list):
        self.archive = zipfile.ZipFile(raw, "w", compression=zipfile.ZIP_DEFLATED)
        self.member, self.failed = None, failed

    def put(self, job) -> bool:
        """Carry out one order; False once the orders end (done, or stopped)."""
        if job is _DONE or job is _ABORT:
            self._close(job)
            return False
        if self.failed:
            return True
        try:
            if job is _CLOSE:
                self.member.close()
                self.member = None
            elif job.__class__ is bytes:
                self.member.write(job)
            elif job[1] is None:
                self.member = self.archive.open(job[0], "w")
            else:
                self.archive.writestr(*job)
        except BaseException as exc:
            self.failed.append(exc)
        return True

    def _close(self, job) -> None:
        # Done: the archive's directory is written. Stopped: the part and the archive are closed all the same
        # (into a file that is thrown away), so nothing is left to close when they are collected.
        for close in ([self.member.close] if self.member is not None else []) + [self.archive.close]:
            try:
                close()
            except BaseException as exc:
                if job is _DONE and not self.failed:
                    self.failed.append(exc)


def _writer(raw, jobs: queue.Queue, failed: list) -> None:
    """The writer thread: the orders carried out as they come (see :class:`_Archive`)."""
    try:
        archive = _Archive(raw, failed)
    except BaseException as exc:  # the archive cannot even start: the orders are taken and dropped till the end,
        failed.append(exc)  # so the maker never waits on a queue nobody empties, and it raises this
        while (job := jobs.get()) is not _DONE and job is not _ABORT:
            pass
        return
    while archive.put(jobs.get()):
        pass
