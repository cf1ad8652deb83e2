"""Parsed YAML files kept between runs: a run that reads the same rules as the last one parses nothing and
never loads PyYAML, which takes longer to load than a small scorecard takes to rate.

Each file's parsed form is kept in the user's cache folder (``CYPS_XL_CACHE``, else
``$XDG_CACHE_HOME/cyps-xl``, ``~/.cache/cyps-xl``, or ``%LOCALAPPDATA%\\cyps-xl`` on Windows), under a
checksum of its bytes and together with those bytes: it is used only for a file of exactly those bytes,
so an edited rules file is always parsed afresh. Values are stored with :mod:`marshal` as plain tuples,
lists and scalars, and taken back only if they are nothing else. Whatever goes wrong (no folder, no room,
a damaged entry) the file is simply parsed, as it would be with no cache; the folder keeps the most
recent :data:`KEEP` files.
"""
from __future__ import annotations

import marshal
import os
import sys
import zlib
from pathlib import Path

FORMAT = 1  # the stored form's version: a change to it leaves the old entries unread
KEEP = 64  # entries kept in the folder; the least recently written go
MISS = object()  # nothing kept for these bytes


def folder() -> Path | None:
    """Where parsed files are kept (None: nowhere to keep them, or nowhere safe)."""
    chosen = os.environ.get("CYPS_XL_CACHE")
    if chosen:
        return _safe(Path(chosen))
    if os.name == "nt":
        base = os.environ.get("LOCALAPPDATA")
        return _safe(Path(base) / "cyps-xl") if base else None
    base = os.environ.get("XDG_CACHE_HOME") or (os.path.join(os.path.expanduser("~"), ".cache")
                                                if os.path.expanduser("~") != "~" else None)
    return _safe(Path(base) / "cyps-xl") if base else None


def _safe(where: Path) -> Path | None:
    """The folder if only its owner can change what it holds, as SSH asks of ~/.ssh: an entry is trusted as the
    parse of its file, so a folder another user could write to (or owns) is no cache at all. A folder not made
    yet is made private. On Windows the user's own LOCALAPPDATA is private already."""
    if os.name == "nt":
        return where
    try:
        if not where.exists():
            where.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = where.lstat()
    except OSError:
        return None
    import stat

    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o022:
        return None
    return where


def _name(data: bytes) -> str:
    return f"yaml-{FORMAT}-py{sys.version_info[0]}{sys.version_info[1]}-{zlib.crc32(data):08x}-{len(data)}.marshal"


def kept(data: bytes, line_dict: type, line_list: type):
    """The parsed value kept for a file of exactly ``data`` (its mappings and lists rebuilt as ``line_dict``
    and ``line_list``, lines and all), else :data:`MISS`."""
    where = folder()
    if where is None:
        return MISS
    entry = where / _name(data)
    try:
        info = entry.lstat()
        if os.name != "nt" and (info.st_uid != os.getuid() or info.st_mode & 0o022):
            return MISS  # an entry someone else could have written is not trusted
        stored = marshal.loads(entry.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return MISS
    if not (type(stored) is tuple and len(stored) == 3 and stored[0] == FORMAT and stored[1] == data):
        return MISS
    try:
        return _decoded(stored[2], line_dict, line_list)
    except (TypeError, ValueError, AttributeError):
        return MISS


def keep(data: bytes, value) -> None:
    """Keep ``value``, parsed from ``data``, for the next run (nothing kept if it holds what cannot be)."""
    where = folder()
    if where is None:
        return
    try:
        encoded = _encoded(value)
    except TypeError:
        return  # a date or a set: parsed each time
    target = where / _name(data)
    temp = where / f".{target.name}.{os.getpid()}.tmp"
    try:
        handle = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # only its owner reads or writes it
        with os.fdopen(handle, "wb") as out:
            out.write(marshal.dumps((FORMAT, data, encoded)))
        os.replace(temp, target)
        entries = sorted(where.glob("yaml-*.marshal"), key=lambda p: p.stat().st_mtime)
        for old in entries[:-KEEP]:
            old.unlink()
    except OSError:
        try:
            temp.unlink()
        except OSError:
            pass


_SCALARS = (str, int, float, bool, type(None))


def _encoded(value):
    """Mappings as ("d", line, ((key, key's line, value), ...)), lists as ("l", line, lines, (items...))."""
    if isinstance(value, dict):
        lines = getattr(value, "key_lines", {})
        return ("d", getattr(value, "line", 0),
                tuple((_encoded(k), lines.get(k, 0), _encoded(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ("l", getattr(value, "line", 0), tuple(getattr(value, "lines", ())), tuple(_encoded(v) for v in value))
    if type(value) in _SCALARS:
        return value
    raise TypeError(f"{type(value).__name__} is not kept")


def _decoded(value, line_dict: type, line_list: type):
    if type(value) in _SCALARS:
        return value
    if type(value) is not tuple:
        raise TypeError("not a stored form")
    if value[0] == "d":
        _, line, items = value
        result = line_dict()
        result.line, result.key_lines = line, {}
        for key, key_line, item in items:
            key = _decoded(key, line_dict, line_list)
            result[key] = _decoded(item, line_dict, line_list)
            result.key_lines[key] = key_line
        return result
    if value[0] == "l":
        _, line, lines, items = value
        result = line_list(_decoded(item, line_dict, line_list) for item in items)
        result.line, result.lines = line, list(lines)
        return result
    raise ValueError("not a stored form")
