"""``cyps-xl batch``: issue a folder of scorecards (one per authority) on all cores, with a progress bar."""
from __future__ import annotations

import glob
import os
import re
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from cyps_xl.errors import CypsError

OWN_OUTPUT = re.compile(r"^(?P<stem>.+?)(?: Issue \d+|\.backup-\d{8}-\d{6}(?:-\d+)?)$")  # what cyps-xl writes beside one


@dataclass
class BatchReport:
    issued: list = field(default_factory=list)
    failed: list = field(default_factory=list)  # (file, message)
    seconds: float = 0.0
    interrupted: bool = False  # Ctrl-C: the workers were stopped; ``issued`` is what was written before
    total: int = 0
    skipped: list = field(default_factory=list)  # (file name, why): every file of the folder not issued is named


def scorecards(folder: Path) -> tuple[list[Path], list[tuple[str, str]]]:
    """The workbooks to issue, and every other workbook of the folder with why it is passed over: only what
    cyps-xl itself wrote beside a scorecard here (its issues and backups) and Excel's own files are."""
    folder = Path(folder)
    if not folder.is_dir():
        raise CypsError("is not a folder.", file=folder, hint="Give the folder that holds the scorecards.")
    books = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".xlsx", ".xlsm") and p.is_file())
    names = {p.name.lower() for p in books}
    found, skipped = [], []
    for path in books:
        own = OWN_OUTPUT.match(path.stem)
        sources = [f"{own.group('stem')}{suffix}" for suffix in (".xlsx", ".xlsm")] if own else []
        source = next((s for s in sources if s.lower() in names), None)
        if path.name.startswith("~$"):
            skipped.append((path.name, "Excel's lock file: a workbook of that name is open in Excel"))
        elif path.name.startswith("."):
            skipped.append((path.name, "a hidden or temporary file"))
        elif source is not None:
            what = "an issue" if " Issue " in path.stem else "a backup"
            skipped.append((path.name, f"{what} of {source}, written by cyps-xl"))
        else:
            found.append(path)
    if not found:
        raise CypsError("holds no scorecards (.xlsx or .xlsm).", file=folder)
    return found, skipped


def _one(source: str, output_dir: str | None, rules, benchmarks):
    """One scorecard, in a worker process; any failure is reported with the file, never raised."""
    from cyps_xl.api import issue

    try:
        report = issue(source, rules=rules, benchmarks=benchmarks, output_dir=output_dir)
        return source, str(report.output), None
    except CypsError as exc:
        return source, None, str(exc)
    except Exception as exc:  # noqa: BLE001 - a damaged file must not stop the others
        return source, None, f"{source}: could not be issued ({type(exc).__name__}: {exc})."


def _ignore_interrupts() -> None:
    """Workers leave Ctrl-C to the batch, which stops them and says what was written."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def run_batch(folder: Path, output_dir: Path | None = None, *, jobs: int | None = None, rules=None, benchmarks=None,
              progress=sys.stderr) -> BatchReport:
    files, skipped = scorecards(folder)
    if output_dir is not None:
        Path(output_dir).mkdir(parents=True, exist_ok=True)
    jobs = jobs or os.cpu_count() or 1
    report = BatchReport(skipped=skipped)
    start = time.perf_counter()
    wall_start = time.time()
    out = None if output_dir is None else str(output_dir)
    rules = None if rules is None else str(rules)
    benchmarks = None if benchmarks is None else [str(b) for b in benchmarks]
    done = 0
    report.total = len(files)
    if jobs == 1:
        try:
            for f in files:
                result = _one(str(f), out, rules, benchmarks)
                done += 1
                _record(report, result, done, len(files), progress)
        except KeyboardInterrupt:
            report.interrupted = True
    else:
        # what every issue imports, imported once here: on Linux the workers are forked from this process (no
        # thread runs here then) and start with it loaded, rather than each importing it for its first file.
        # Elsewhere (Windows, macOS) they are spawned, as Python does there.
        import multiprocessing

        import cyps_xl.api  # noqa: F401
        import cyps_xl.report.printing  # noqa: F401
        import cyps_xl.report.summary  # noqa: F401

        fork = multiprocessing.get_context("fork") if sys.platform.startswith("linux") else None
        jobs = min(jobs, len(files))  # no worker for no work
        pool = ProcessPoolExecutor(max_workers=jobs, initializer=_ignore_interrupts, mp_context=fork)
        try:
            futures = [pool.submit(_one, str(f), out, rules, benchmarks) for f in files]
            for future in as_completed(futures):
                done += 1
                _record(report, future.result(), done, len(files), progress)
        except KeyboardInterrupt:
            report.interrupted = True
            workers = list((getattr(pool, "_processes", None) or {}).values())
            manager = getattr(pool, "_executor_manager_thread", None)  # shutdown() lets go of both
            # told to stop while its workers still run, the pool's own thread is not yet closing its wake-up pipe
            # (Python 3.11 races a wake-up call against that close: "Bad file descriptor", in a traceback)
            pool.shutdown(wait=False, cancel_futures=True)
            for worker in workers:
                worker.terminate()  # a half-written issue is a temporary file, never the target
            if manager is not None:
                manager.join(timeout=3)  # done before the interpreter's exit wakes it again
            _written_meanwhile(report, files, output_dir, wall_start)
        else:
            pool.shutdown()
    if progress is not None:
        progress.write("\n")
    report.seconds = time.perf_counter() - start
    return report


def _written_meanwhile(report: BatchReport, files, output_dir, start: float) -> None:
    """Issues a worker finished just as Ctrl-C came (written whole, atomically) but had not yet reported."""
    listed = set(report.issued) | {source for source, _ in report.failed}
    for source in files:
        if str(source) in listed:
            continue
        folder = Path(output_dir) if output_dir is not None else source.parent
        stem = re.sub(r"\s*issue\s*\d+\s*$", "", source.stem, flags=re.IGNORECASE)
        for candidate in sorted(folder.glob(f"{glob.escape(stem)} Issue *.xlsx")):
            if candidate.stat().st_mtime >= start - 1 and str(candidate) not in listed:
                report.issued.append(str(candidate))


def _record(report: BatchReport, result, done: int, total: int, progress) -> None:
    source, output, error = result
    if error:
        report.failed.append((source, error))
    else:
        report.issued.append(output)
    if progress is not None:
        width = 30
        filled = int(width * done / total)
        progress.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {Path(source).name[:40]:<40}")
        progress.flush()
