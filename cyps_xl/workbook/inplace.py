"""Writing a workbook in place, safely with colleagues and with Excel.

``refresh`` without ``-o`` and ``check`` read a workbook, change it and write it back. Between the read and the
write someone may save it in Excel, or run cyps-xl on it too; either's work would be lost. So a run in place:

* refuses a workbook Excel has open (Excel's own lock file ``~$name.xlsx`` beside it names who has it);
* holds a lock of its own beside it for the whole read-modify-write (``.~cyps-xl.name.lock``, naming the user
  and computer), so a second run refuses rather than races; a lock left by a run that died is taken over;
* writes only if the file is still the one it read (size, time and content), else leaves it as saved.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import os
import time
from pathlib import Path

from cyps_xl.errors import CypsError
from cyps_xl.workbook.saving import file_sha256, this_computer

STALE_AFTER = 6 * 3600  # seconds: a lock this old is a run that died on another computer


@contextlib.contextmanager
def editing(path: Path):
    """For a read-modify-write of ``path`` in place; yields the guard to pass to the save."""
    path = Path(path).resolve()  # a link: the file it names is the one edited and locked
    _refuse_open_in_excel(path)
    lock = _take_lock(path)
    try:
        before = _fingerprint(path)

        def unchanged() -> None:
            if _fingerprint(path) != before:
                raise CypsError("was saved by someone else while cyps-xl worked on it; their save is kept and nothing "
                                "was written.", file=path, hint="Run again: it will work from the file as it is now.")
        yield unchanged
    finally:
        with contextlib.suppress(OSError):
            lock.unlink()


def _refuse_open_in_excel(path: Path) -> None:
    owner_file = path.with_name("~$" + path.name)
    if not owner_file.exists():
        return
    try:
        data = owner_file.read_bytes()[:200]
        who = data[1:1 + data[0]].decode("latin-1").strip() if data else ""
    except (OSError, IndexError):
        who = ""
    raise CypsError(f"is open in Excel{f' by {who}' if who else ''}; cyps-xl will not write it while it is open.",
                    file=path, hint="Close it in Excel (or ask them to), then run again; or write elsewhere with -o.")


def _take_lock(path: Path) -> Path:
    lock = path.with_name(f".~cyps-xl.{path.name}.lock")
    mine = {"user": _user(), "computer": this_computer(), "pid": os.getpid(),
            "started": dt.datetime.now().isoformat(timespec="seconds")}
    for _ in range(2):
        try:
            handle = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            holder = _holder(lock)
            if _stale(lock, holder):
                with contextlib.suppress(OSError):
                    lock.unlink()
                continue
            raise CypsError(f"is being updated by cyps-xl for {holder.get('user', 'someone')} on "
                            f"{holder.get('computer', 'another computer')} (since {holder.get('started', '?')}).",
                            file=path, hint="Wait for that run to finish, then run again.") from None
        except OSError as exc:
            raise CypsError(f"cannot be locked for writing ({exc.strerror or exc}).", file=path,
                            hint="Check you can save in that folder, or write elsewhere with -o.") from None
        import json  # here: an issue takes no lock, and need not import it

        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(json.dumps(mine))
        return lock
    raise CypsError("cannot be locked for writing.", file=path, hint="Run again.")


def _holder(lock: Path) -> dict:
    import json

    try:
        found = json.loads(lock.read_text(encoding="utf-8"))
        return found if isinstance(found, dict) else {}
    except (OSError, ValueError):
        return {}


def _stale(lock: Path, holder: dict) -> bool:
    """A run that died: on this computer, its process is gone; anywhere, the lock is hours old."""
    try:
        if time.time() - lock.stat().st_mtime > STALE_AFTER:
            return True
    except OSError:
        return True
    if holder.get("computer") == this_computer() and isinstance(holder.get("pid"), int):
        try:
            os.kill(holder["pid"], 0)
        except ProcessLookupError:
            return True
        except OSError:
            return False
    return False


def _user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "someone"


def _fingerprint(path: Path) -> tuple:
    info = path.stat()
    return info.st_size, info.st_mtime_ns, file_sha256(path)
