"""``cyps-xl doctor`` and the ribbon's *Check set-up*: what the add-in needs, found line by line, with what to do.

Both front doors give the same report (:func:`diagnose`): which settings file was used, the interpreter
and whether it runs, whether the ``cyps_xl`` it imports is the installed package, the xlwings of each
side, the rules, a trial rating, and whether the workbook and the add-in carry the Mark of the Web.
The command runs the configured interpreter to find out; the button is already running in it.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from cyps_xl.errors import CypsError
from cyps_xl.excel import settings

OK, FAIL, NOTE = "ok", "FAIL", "note"
# what the interpreter is asked, in the folder a button runs in: which cyps_xl and xlwings it imports
PROBE = """
import json, sys
from importlib import metadata
import cyps_xl, xlwings
try:
    dist = metadata.distribution("cyps-xl")
    installed = [str(dist.locate_file(f)) for f in (dist.files or []) if str(f).endswith("__init__.py")]
    direct = dist.read_text("direct_url.json") or ""
except metadata.PackageNotFoundError:
    installed, direct = [], ""
print(json.dumps({"executable": sys.executable, "cyps_xl": cyps_xl.__file__, "version": cyps_xl.__version__,
                  "xlwings": xlwings.__version__, "installed": installed, "direct_url": direct}))
"""


@dataclass(frozen=True)
class Finding:
    status: str  # ok, FAIL or note
    what: str
    found: str
    todo: str = ""

    def line(self) -> str:
        return f"[{self.status}] {self.what}: {self.found}" + (f" {self.todo}" if self.todo else "")


def here() -> dict:
    """The probe's answer for the interpreter running now (the ribbon's)."""
    namespace: dict = {}
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(PROBE, namespace)  # noqa: S102 - our own constant text, run in-process as the command runs it
    return json.loads(out.getvalue())


def run_probe(interpreter: str) -> dict:
    """Run the probe in ``interpreter`` as the add-in starts it (``-c``, in the interpreter's own folder, where
    xlwings' RunPython changes to); CypsError if it cannot."""
    folder = Path(interpreter).parent
    try:
        done = subprocess.run([interpreter, "-B", "-c", PROBE], capture_output=True, text=True, timeout=120,
                              cwd=str(folder) if folder.is_dir() else None,
                              env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise CypsError(f"does not run ({exc}).", file=interpreter) from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise CypsError(f"runs, but cannot import cyps-xl and xlwings ({last}).", file=interpreter)
    return json.loads(done.stdout.strip().splitlines()[-1])


def diagnose(workbook: Path | None = None, *, built_with: str | None = None, probe: dict | None = None,
             addin: Path | None = None, environ=None, platform: str | None = None) -> list[Finding]:
    """Every check, in order. ``probe``: what the running interpreter is (the ribbon); without it the
    configured interpreter is run. ``built_with``: the xlwings the add-in was built with (the ribbon knows it;
    the command reads it from ``addin`` or the installed add-in)."""
    environ = os.environ if environ is None else environ
    platform = platform or sys.platform
    found: list[Finding] = []
    files = settings.setting_files(environ, platform)
    present = [(name, path) for name, path in files if Path(path).is_file()]
    if present:
        found.append(Finding(OK, "settings", "; ".join(f"the {n}'s file {p}" for n, p in present)))
    else:
        found.append(Finding(FAIL, "settings", f"no settings file ({' or '.join(str(p) for _, p in files)}).",
                             "Run 'cyps-xl addin install' with the Python you installed cyps-xl into."))
    interpreter, where = settings.lookup(settings.INTERPRETER, environ, platform)
    if probe is None:
        probe = _probe_configured(found, interpreter, where, workbook)
    else:
        found.append(Finding(OK, "interpreter", f"{probe['executable']} (running this check)"))
    addin = addin or _installed_addin(environ, platform)
    if probe is not None:
        from cyps_xl.excel.addin import built_with as addin_built_with

        found.append(_which_cyps_xl(probe, workbook))
        found.append(_xlwings(probe["xlwings"], built_with or (addin_built_with(addin) if addin is not None else None)))
    found += _rules(environ)
    found += _trusted(workbook, "the workbook", platform) + _trusted(addin, "the add-in", platform)
    return found


def _probe_configured(found: list, interpreter: str | None, where: str | None, workbook) -> dict | None:
    if not interpreter:
        found.append(Finding(FAIL, "interpreter", f"none is set ({settings.INTERPRETER}), so the add-in would run "
                             "whatever 'python' is on the PATH: on many desktops the Microsoft Store's alias, and a "
                             "click does nothing.", "Run 'cyps-xl addin install' with the Python you installed "
                             "cyps-xl into: it writes that Python into your settings file."))
        return None
    try:
        probe = run_probe(interpreter)
    except CypsError as exc:
        found.append(Finding(FAIL, "interpreter", f"{exc} (set in {where})",
                             "Install cyps-xl into it (python -m pip install cyps-xl), or run 'cyps-xl addin install' "
                             "with the Python that has it."))
        return None
    found.append(Finding(OK, "interpreter", f"{interpreter} runs, with cyps-xl {probe['version']} (set in {where})"))
    return probe


def _which_cyps_xl(probe: dict, workbook) -> Finding:
    """The cyps_xl a button imports must be the installed package, not a file planted beside a workbook or in the
    folder the add-in starts Python in."""
    module = Path(probe["cyps_xl"]).resolve()
    package = module.parent if module.name == "__init__.py" else module
    beside = {Path(probe["executable"]).resolve().parent} | ({Path(workbook).resolve().parent} if workbook else set())
    planted = bool(beside & {package, package.parent, module.parent})
    installed = any(Path(p).resolve() == module for p in probe["installed"])
    try:  # an editable install (pip install -e) says so in its direct_url.json
        editable = bool(json.loads(probe.get("direct_url") or "{}").get("dir_info", {}).get("editable"))
    except ValueError:
        editable = False
    if planted or not (installed or editable):
        return Finding(FAIL, "cyps_xl imported", f"{module}, which is not the installed cyps-xl package.",
                       "Remove that cyps_xl file or folder, and install cyps-xl with pip.")
    return Finding(OK, "cyps_xl imported", f"{module} (the installed package{', editable' if editable else ''})")


def _xlwings(python: str, addin: str | None) -> Finding:
    if addin is None:
        return Finding(NOTE, "xlwings", f"{python} in Python; the add-in's own version is not known here.",
                       "Run 'cyps-xl addin install' so that both are the same.")
    if addin != python:
        return Finding(FAIL, "xlwings", f"the add-in was built with xlwings {addin}, this Python has {python}.",
                       "Run 'cyps-xl addin install' with this Python (it builds the add-in against its xlwings), "
                       "then restart Excel.")
    return Finding(OK, "xlwings", f"{python} on both sides")


def refuse_other_xlwings(built_with: str | None) -> None:
    """A button of an add-in built against another xlwings stops here, with both versions and the fix."""
    import xlwings

    if built_with and built_with != xlwings.__version__:
        raise CypsError(f"the CYPS add-in was built with xlwings {built_with}, but this Python has xlwings "
                        f"{xlwings.__version__}, so its buttons may fail part-way.",
                        hint="Run 'cyps-xl addin install' with this Python (it rebuilds the add-in against its "
                             "xlwings), then restart Excel.")


def _rules(environ) -> list[Finding]:
    from cyps_xl.engine.rating import Measure, rag_rating
    from cyps_xl.engine.rules import BUNDLED_RULES, load_rules
    from cyps_xl.engine.tolerances import Tolerances, parse_band
    from cyps_xl.engine.values import read_cell

    chosen = settings.value("CYPS_RULES", environ)
    try:
        book = load_rules(chosen)
    except CypsError as exc:
        return [Finding(FAIL, "rules", str(exc), "Correct the file, or set CYPS_RULES to the team's rules folder.")]
    found = [Finding(OK, "rules", f"{len(book.rules)} indicators from {chosen or BUNDLED_RULES}"
                                  + ("" if chosen else " (cyps-xl's own: CYPS_RULES is not set)"))]
    bands = Tolerances(parse_band("<87%"), parse_band("87%+"), parse_band("95%+"))
    band = rag_rating(read_cell(0.969), Measure("high", bands, "0.0%", None)).band
    trial = f"96.9% against <87% / 87%+ / 95%+ is {book.style.labels.get(band, band)}"
    if band != "green":
        return found + [Finding(FAIL, "trial rating", trial, "The engine is not working as it should: reinstall cyps-xl.")]
    return found + [Finding(OK, "trial rating", trial)]


def _trusted(path: Path | None, what: str, platform: str) -> list[Finding]:
    """The Mark of the Web (the Zone.Identifier stream Windows adds to a download): Excel opens such a workbook in
    Protected View and blocks an add-in's macros."""
    if path is None:
        return []
    if platform != "win32":
        return [Finding(NOTE, f"{what} trusted", f"the Mark of the Web is a Windows mark, not checked here ({path}).")]
    try:
        zone = Path(f"{path}:Zone.Identifier").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return [Finding(OK, f"{what} trusted", f"{path} has no Mark of the Web")]
    if any(f"ZoneId={n}" in zone.replace(" ", "") for n in (3, 4)):
        return [Finding(FAIL, f"{what} trusted", f"{path} came from the internet (Mark of the Web): Excel opens it in "
                        "Protected View and blocks its macros.", "Right-click it in Explorer, Properties, tick "
                        "Unblock, OK; or keep it in a trusted location (see README, 'For the council's IT').")]
    return [Finding(OK, f"{what} trusted", f"{path} is marked as from this computer or the intranet")]


def _installed_addin(environ, platform: str) -> Path | None:
    from cyps_xl.excel.addin import ADDIN_NAME, addin_folder

    folder = addin_folder(environ, platform)
    return folder / ADDIN_NAME if folder is not None and (folder / ADDIN_NAME).is_file() else None


def report_text(findings: list[Finding]) -> str:
    failed = [f for f in findings if f.status == FAIL]
    head = (f"cyps-xl set-up: {len(failed)} problem(s) to fix." if failed else "cyps-xl set-up: everything needed is in place.")
    return "\n".join([head, *(f.line() for f in findings)])
