"""The add-in's settings: one format, two files, read in the same order by the add-in's VBA and by Python.

A settings file is xlwings' own format, one ``"KEY","value"`` line a setting (VBA reads it with
``Input #``): keys in any case, the first line of a key wins, ``%NAME%`` in a value is the environment
variable. The files, first found wins:

1. **the user's**, ``%USERPROFILE%\\.cyps_xl\\cyps_xl.conf``, written by ``cyps-xl addin install`` with the
   interpreter it ran under and the rules and benchmarks folders;
2. **the machine's**, ``%PROGRAMDATA%\\cyps_xl\\cyps_xl.conf``, where IT sets the same for every user
   (``cyps-xl addin install --machine``).

The add-in's VBA (xlwings' module, patched in ``addin.py``) reads exactly these two, in this order, for
the interpreter and the rest; it never reads the open workbook. Python reads the same two in the same
order, after the scorecard's own ``cyps_xl.conf`` sheet (which may only name folders inside its own
folder, see ``ribbon.setting``) and the ``CYPS_XL_*`` environment variables (a run's own choice). On other systems the files are
``~/.cyps_xl/cyps_xl.conf`` and ``/etc/cyps_xl/cyps_xl.conf``.
"""
from __future__ import annotations

import csv
import os
import re
import sys
from pathlib import Path, PurePath

FILE_NAME = "cyps_xl.conf"
FOLDER = "cyps_xl"
# settings the ribbon reads -> the environment variable used when no file sets one
ENVIRONMENT = {"CYPS_RULES": "CYPS_XL_RULES", "CYPS_BENCHMARKS": "CYPS_XL_BENCHMARKS",
               "CYPS_PREVIOUS_ISSUE": "CYPS_XL_PREVIOUS_ISSUE"}
INTERPRETER = "INTERPRETER_WIN"  # the key xlwings' VBA reads on Windows


def setting_files(environ=None, platform: str | None = None) -> list[tuple[str, PurePath]]:
    """[("user", path), ("machine", path)]: where the settings are looked for, in order."""
    environ = os.environ if environ is None else environ
    platform = platform or sys.platform
    if platform == "win32":  # as the add-in's VBA builds them (Environ("USERPROFILE") & "\.cyps_xl\...")
        user = Path(environ.get("USERPROFILE") or os.path.expanduser("~")) / f".{FOLDER}" / FILE_NAME
        machine = Path(environ.get("PROGRAMDATA") or r"C:\ProgramData") / FOLDER / FILE_NAME
        return [("user", user), ("machine", machine)]
    home = environ.get("HOME") or os.path.expanduser("~")
    return [("user", Path(home) / f".{FOLDER}" / FILE_NAME), ("machine", Path("/etc") / FOLDER / FILE_NAME)]


def read_file(path, environ=None) -> dict:
    """KEY -> value of one settings file, as VBA's ``Input #`` reads it (a missing file is no settings)."""
    environ = os.environ if environ is None else environ
    try:
        text = Path(path).read_text(encoding="utf-8-sig", errors="replace")
    except (FileNotFoundError, NotADirectoryError, PermissionError):
        return {}
    found: dict = {}
    for row in csv.reader(text.splitlines(), skipinitialspace=True):
        if len(row) >= 2 and row[0].strip():
            found.setdefault(row[0].strip().upper(), _expanded(row[1], environ))
    return found


def _expanded(value: str, environ) -> str:
    """%NAME% as Windows expands it (an unknown name is left as it is)."""
    return re.sub(r"%([^%]+)%", lambda m: environ.get(m.group(1), m.group(0)), value)


def lookup(key: str, environ=None, platform: str | None = None) -> tuple[str | None, str | None]:
    """(value, where it came from) of ``key`` in the files, the first found; (None, None) if neither sets it."""
    for name, path in setting_files(environ, platform):
        value = read_file(path, environ).get(key.upper())
        if value not in (None, ""):
            return value, f"the {name}'s settings file ({path})"
    return None, None


def value(key: str, environ=None) -> str | None:
    """A setting: its environment variable (``CYPS_XL_...``), else the files, else None."""
    environ = os.environ if environ is None else environ
    if key in ENVIRONMENT and environ.get(ENVIRONMENT[key]):
        return environ[ENVIRONMENT[key]]
    return lookup(key, environ)[0]


def write_settings(path: Path, values: dict) -> Path:
    """Set ``values`` in the settings file at ``path``, keeping every other line the file has."""
    from cyps_xl.workbook.saving import write_text_atomically

    path = Path(path)
    keep = []
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except FileNotFoundError:
        lines = []
    wanted = {k.upper() for k in values}
    for line in lines:
        row = next(csv.reader([line], skipinitialspace=True), [])
        if not row or row[0].strip().upper() not in wanted:
            keep.append(line)
    keep += [f'"{key}","{str(v).replace(chr(34), "")}"' for key, v in values.items() if v not in (None, "")]
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomically(path, "\r\n".join(keep) + "\r\n")
    return path


def interpreter_for_excel(executable: str | None = None) -> str:
    """The interpreter the add-in should run: this one, as its windowless pythonw.exe where there is one (no
    console window flashing up at each click)."""
    executable = executable or sys.executable
    path = Path(executable)
    windowless = path.with_name("pythonw.exe") if path.name.lower() == "python.exe" else None
    return str(windowless) if windowless is not None and windowless.exists() else executable
