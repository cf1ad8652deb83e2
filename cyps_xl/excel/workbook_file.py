"""The open workbook's file on this computer, and the backup a ribbon run keeps of it first.

Desktop Excel names its file through COM (``FullName``, ``ReadOnly``, ``SaveCopyAs``); OneDrive and
SharePoint files are found through the user's own xlwings settings, never the workbook's.
"""
from __future__ import annotations

import datetime as dt
import shutil
import sys
from pathlib import Path

from cyps_xl.errors import CypsError


def _com(book):
    """The COM workbook behind ``book`` on desktop Excel; None on engines without one."""
    try:
        return book.api
    except (NotImplementedError, AttributeError):
        return None


def workbook_path(book, config: dict) -> Path:
    """The workbook's file on this computer, or one clear message why there is none to work from."""
    com = _com(book)
    full_name = getattr(com, "FullName", None) if com is not None else None
    full_name = str(full_name or book.fullname)
    if "://" in full_name:
        path = _synced_path(full_name, config)
    else:
        path = Path(full_name)
        if not path.is_absolute() or not path.parent.exists():
            raise CypsError("the workbook has not been saved yet.", file=book.name,
                            hint="Save it once (File > Save As), then press the button again.")
    if com is not None and getattr(com, "ReadOnly", False):
        raise CypsError("the workbook is open read-only (another user may have it open, or the file is read-only).",
                        file=path, hint="Ask the other user to close it, or save a copy (File > Save As) and "
                                        "press the button in that copy.")
    return path


def _synced_path(url: str, config: dict) -> Path:
    """An https FullName (OneDrive, SharePoint) as the local synced file, the way xlwings maps it."""
    from xlwings import XlwingsError
    from xlwings.utils import fullname_url_to_local_path

    suffix = "WIN" if sys.platform.startswith("win") else "MAC"  # as xlwings names them
    kind = "SHAREPOINT" if "sharepoint.com" in url.lower() else (
        "ONEDRIVE_CONSUMER" if "d.docs.live.net" in url.lower() else "ONEDRIVE_COMMERCIAL")
    key = f"{kind}_{suffix}"
    try:  # the user's own xlwings settings (xlwings.conf in the user's .xlwings folder), never the workbook's
        local = fullname_url_to_local_path(url=url)
    except (XlwingsError, OSError, ValueError):
        local = None
    if not local or not Path(local).exists():
        raise CypsError(f"the workbook is open from OneDrive or SharePoint ({url}) and its synced copy on this "
                        "computer cannot be found.", place="your xlwings settings",
                        hint=f"Add {key} with the local folder that OneDrive syncs it to "
                             "(e.g. C:\\Users\\you\\Council Name) to %USERPROFILE%\\.xlwings\\xlwings.conf "
                             "(xlwings' ribbon, Advanced), or open the file from that folder.")
    return Path(local)


def save_backup(book, source: Path) -> Path:
    """A copy of the open workbook as it is now, beside it; also what the engine reads."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    backup = source.with_name(f"{source.stem}.backup-{stamp}{source.suffix}")
    com = _com(book)
    try:
        if com is not None and hasattr(com, "SaveCopyAs"):
            com.SaveCopyAs(str(backup))  # Excel for Windows: the open state, unsaved edits included
        else:
            book.save()  # Excel for Mac has no SaveCopyAs: save, then copy the file
            shutil.copy2(source, backup)
    except OSError as exc:
        raise CypsError(f"the backup copy cannot be written beside the workbook ({exc.strerror or exc}).", file=backup,
                        hint="Check there is space and that you can save in that folder.") from None
    return backup
