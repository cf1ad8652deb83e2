"""A big workbook's sheets read on two cores: a helper process, forked from this one, reads some of the sheets (the
same code, on its copy of the same state) while this one reads the others, and hands back what it read (#27).

Reading the cells is Python's work a cell, a fifth of a big scorecard's run, and the sheets are read independently.
The helper is used only where forking is safe and pays: on Linux, in a process with no other thread (so no lock is
held in the copy), with a second core to run on, not inside a batch worker (those share the cores already), and for
sheets of enough bytes. What the helper could not read, or anything that goes wrong with it, is read here as it
always was: so the cells, the facts, and any message about a damaged cell are those of a read in turn, and a helper
never outlives the read that started it.
"""
from __future__ import annotations

import os
import pickle
import sys

MIN_BYTES = 1 << 20  # the sheets' unpacked bytes below which starting a helper costs more than it saves
# a byte read by the helper costs more: its copy of this process's memory is made page by page as it writes, it packs
# its results up, and this process unpacks them (measured: about 1.4 times, on 2 cores)
HELPER_COST = 1.4
SWITCH = "CYPS_XL_ONE_PROCESS"  # set (to anything but "" or "0") to read every sheet here (batch workers do)


def wanted(total_bytes: int) -> bool:
    """Is a helper safe and worth it here?"""
    if not sys.platform.startswith("linux") or not hasattr(os, "fork") or total_bytes < MIN_BYTES:
        return False
    if os.environ.get(SWITCH, "") not in ("", "0"):
        return False
    import threading

    if threading.active_count() != 1:
        return False  # another thread may hold a lock the copy would keep held forever
    try:
        return len(os.sched_getaffinity(0)) > 1
    except (AttributeError, OSError):
        return (os.cpu_count() or 1) > 1


def shares(sizes: dict) -> tuple[list, list]:
    """(this process's sheets, the helper's), by their bytes, each side about half; in the workbook's order."""
    mine, theirs, load = [], [], [0.0, 0.0]
    for name in sorted(sizes, key=lambda n: -sizes[n]):
        side = 0 if load[0] <= load[1] else 1
        (mine if side == 0 else theirs).append(name)
        load[side] += sizes[name] * (1.0 if side == 0 else HELPER_COST)
    order = list(sizes)
    return sorted(mine, key=order.index), sorted(theirs, key=order.index)


class Helper:
    """A forked process reading ``names`` with ``read(name)`` (None: not read, this process reads it)."""

    def __init__(self, names: list, read):
        self.names = names
        self._pid = None
        self._pipe = None
        reading, writing = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            os.close(reading)
            os.close(writing)
            self.names = []  # no helper: every sheet is read here
            return
        if pid == 0:  # the helper: its results down the pipe, then gone without running this process's exits
            try:
                os.close(reading)
                found = {}
                for name in names:
                    try:
                        result = read(name)
                    except BaseException:  # noqa: BLE001 - read here again, where the error is raised as usual
                        result = None
                    if result is not None:
                        found[name] = result
                data = pickle.dumps(found, protocol=pickle.HIGHEST_PROTOCOL)
                with os.fdopen(writing, "wb") as out:
                    out.write(data)
            finally:
                os._exit(0)
        os.close(writing)
        self._pid, self._pipe = pid, reading

    def results(self) -> dict:
        """name -> what the helper read; {} when it failed (every sheet is then read here)."""
        if self._pipe is None:
            return {}
        try:
            with os.fdopen(self._pipe, "rb") as pipe:
                self._pipe = None
                data = pipe.read()
            _, status = os.waitpid(self._pid, 0)
            self._pid = None
            if status != 0 or not data:
                return {}
            return pickle.loads(data)
        except Exception:  # noqa: BLE001 - a helper that failed is only a slower read
            return {}
        finally:
            self.close()

    def close(self) -> None:
        """Stop and reap the helper if it is still there (this process is leaving the read early)."""
        if self._pipe is not None:
            os.close(self._pipe)
            self._pipe = None
        if self._pid is not None:
            import signal

            try:
                os.kill(self._pid, signal.SIGKILL)
                os.waitpid(self._pid, 0)
            except OSError:
                pass
            self._pid = None
