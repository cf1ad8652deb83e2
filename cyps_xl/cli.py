"""The ``cyps-xl`` command line.

Every user error ends in one line on stderr naming the file and the place,
and a non-zero exit; a traceback means a bug in cyps-xl.
"""
from __future__ import annotations

import argparse
import gc
import os
import sys
from pathlib import Path

from cyps_xl import __version__
from cyps_xl.errors import CypsError

EXIT_USER_ERROR = 2


def _jobs(text: str) -> int:
    try:
        jobs = int(text)
    except ValueError:
        jobs = 0
    if jobs < 1:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of processes: give 1 or more (or leave -j out "
                                         "for all cores)")
    return jobs


class _Parser(argparse.ArgumentParser):
    """argparse's parser, with help as wide as the terminal, as argparse lays it out, measured without shutil:
    argparse imports it (and bz2 and lzma with it, 3 ms) for every formatter it makes while the parser is built,
    though a run that prints no help never uses one. Its subcommands' parsers are of this class too."""

    def _get_formatter(self):
        return self.formatter_class(prog=self.prog, width=_help_width())


def _help_width() -> int:
    """What argparse's HelpFormatter takes: shutil.get_terminal_size's columns (COLUMNS, else the terminal's,
    else 80), less 2."""
    try:
        columns = int(os.environ.get("COLUMNS", 0))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns
        except (AttributeError, ValueError, OSError):
            columns = 0
    return (columns or 80) - 2


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="cyps-xl", description="Rate, format and issue the CYPS performance scorecard.")
    parser.add_argument("--version", action="version", version=f"cyps-xl {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    issue = sub.add_parser("issue", help="write the issued workbook: rated, values only, no macros, next issue number")
    issue.add_argument("scorecard", type=Path)
    issue.add_argument("-o", "--output", type=Path, help="issued .xlsx (default: '<name> Issue N.xlsx' beside the source)")
    issue.add_argument("--rules", type=Path, help="rules folder or YAML file (default: the bundled rules/)")
    issue.add_argument("--keep-data-quality", action="store_true", help="keep the 'Data quality' sheet in the issue")
    issue.add_argument("--pdf", action="store_true", help="also write the PDF (LibreOffice headless)")
    issue.add_argument("--report", help="a report of rules/reports.yaml, e.g. corporate_parenting (default: monthly)")
    issue.add_argument("--plain", action="store_true", help="no summary page, commentary or print settings")
    issue.add_argument("--force", action="store_true", help="replace an existing file that cyps-xl did not write")
    issue.add_argument("--allow-protected", action="store_true", help="write a protected workbook or sheet all the same")
    issue.add_argument("--benchmarks", type=Path, action="append",
                       help="benchmark source: DfE open-data CSV files (or a folder of them) read by the measures of "
                            "benchmarks.yaml, or published figures (CSV/YAML); repeatable")

    refresh = sub.add_parser("refresh", help="fill ratings, tolerances and formats in the working copy, keeping everything")
    refresh.add_argument("scorecard", type=Path)
    refresh.add_argument("-o", "--output", type=Path, help="write here instead of in place")
    refresh.add_argument("--rules", type=Path)
    refresh.add_argument("--benchmarks", type=Path, action="append", help="as for issue")
    refresh.add_argument("--force", action="store_true", help="replace an existing file that cyps-xl did not write")
    refresh.add_argument("--allow-protected", action="store_true", help="write a protected workbook or sheet all the same")
    refresh.add_argument("--no-backup", action="store_true", help="do not keep a backup when writing in place")

    check = sub.add_parser("check", help="data-quality report: printed, and a 'Data quality' sheet in the working copy")
    check.add_argument("scorecard", type=Path)
    check.add_argument("--previous", type=Path, help="the previous issue, to list revised months")
    check.add_argument("--rules", type=Path)
    check.add_argument("--benchmarks", type=Path, action="append")
    check.add_argument("--allow-protected", action="store_true", help="write a protected workbook or sheet all the same")
    check.add_argument("--no-write", action="store_true", help="only print; leave the workbook as it is")

    batch = sub.add_parser("batch", help="issue every scorecard in a folder, using all cores")
    batch.add_argument("folder", type=Path)
    batch.add_argument("-o", "--output-dir", type=Path, help="where the issues go (default: beside each scorecard)")
    batch.add_argument("-j", "--jobs", type=_jobs, help="processes, 1 or more (default: all cores)")
    batch.add_argument("--rules", type=Path)
    batch.add_argument("--benchmarks", type=Path, action="append")

    init = sub.add_parser("init", help="write a team's own rules folder: every setting, the library, your authority")
    init.add_argument("folder", type=Path, help="the folder for the rules (made if need be; no file there is replaced)")
    init.add_argument("--authority", required=True, help="your authority: a name ('Hull', 'Telford'), old or new code")
    init.add_argument("--neighbours", type=Path, metavar="GROUPINGS.csv",
                      help="DfE's statistical-neighbour groupings file, e.g. sn_model_2025_wide.csv")
    init.add_argument("--adopted", help="with --neighbours: the date your team starts to use the set, YYYY-MM-DD")

    demo = sub.add_parser("demo", help="run the whole job on the bundled template, rules and real DfE benchmark files")
    demo.add_argument("-o", "--output-dir", type=Path, default=Path("cyps-xl-demo"))

    addin = sub.add_parser("addin", help="build or install the Excel add-in (the CYPS ribbon tab)")
    addin_sub = addin.add_subparsers(dest="addin_command", required=True, metavar="ACTION")
    build = addin_sub.add_parser("build", help="assemble cyps_xl.xlam from macros/ribbon.xml and macros/*.bas")
    build.add_argument("--force", action="store_true", help="replace an existing file that cyps-xl did not write")
    build.add_argument("-o", "--output", type=Path, default=Path("cyps_xl.xlam"))
    install = addin_sub.add_parser("install", help="build the add-in into Excel's add-in folder and write your settings "
                                                   "(Windows)")
    install.add_argument("addin", type=Path, nargs="?", help="an add-in already built (by default one is built "
                                                            "against this Python's xlwings)")
    install.add_argument("--rules", type=Path, help="the team's rules folder, for every scorecard (CYPS_RULES)")
    install.add_argument("--benchmarks", type=Path, help="the folder of DfE's files (CYPS_BENCHMARKS)")
    install.add_argument("--machine", action="store_true", help="write the machine's settings file (for IT, as "
                                                                "administrator) rather than your own")

    doctor = sub.add_parser("doctor", help="check the set-up line by line: settings, Python, xlwings, rules, trust")
    doctor.add_argument("--workbook", type=Path, help="also check this scorecard (Mark of the Web)")
    doctor.add_argument("--addin", type=Path, help="the add-in to check (default: the one installed)")

    lite = sub.add_parser("lite", help="print (or write) the main.py and requirements.txt for xlwings Lite")
    lite.add_argument("-o", "--output-dir", type=Path, help="write main.py, requirements.txt (and the rules sheet) here")
    lite.add_argument("--rules", type=Path, help="with -o: this rules folder as a cyps_xl.rules sheet, in cyps_xl.rules.xlsx")
    lite.add_argument("--wheel-url", help="the address of cyps-xl's wheel, where it is not on the package index Lite uses")
    lite.add_argument("--force", action="store_true", help="replace existing files that cyps-xl did not write")

    bench = sub.add_parser("benchmarks", help="set up benchmarking from DfE's own files")
    bench_sub = bench.add_subparsers(dest="benchmarks_command", required=True, metavar="ACTION")
    neighbours = bench_sub.add_parser("neighbours", help="a neighbour set from DfE's statistical-neighbour groupings CSV")
    neighbours.add_argument("groupings", type=Path, help="DfE's groupings file, e.g. sn_model_2025_wide.csv")
    neighbours.add_argument("--authority", required=True, help="your authority: name, old or new code")
    neighbours.add_argument("--name", help="the set's name (default: 'DfE statistical neighbours (<file>)')")
    neighbours.add_argument("--adopted", help="the date the team starts to use the set, YYYY-MM-DD (required)")
    neighbours.add_argument("--write", type=Path, metavar="BENCHMARKS_YAML", help="add the set to this benchmarks.yaml")
    inspect = bench_sub.add_parser("inspect", help="list a DfE file's filters, indicators and years; print a measure")
    inspect.add_argument("file", type=Path)
    inspect.add_argument("--filter", action="append", default=None, metavar="COLUMN=VALUE", help="repeatable")
    inspect.add_argument("--column", help="the indicator column of the measure")
    inspect.add_argument("--sheet", help="the scorecard sheet of the measure")
    inspect.add_argument("--ref", help="the scorecard REF NO. of the measure")

    rules = sub.add_parser("rules", help="work with the YAML rules")
    rules_sub = rules.add_subparsers(dest="rules_command", required=True, metavar="ACTION")
    imp = rules_sub.add_parser("import", help="migrate a scorecard's Good perf is / Red / Amber / Green columns to YAML")
    imp.add_argument("scorecard", type=Path)
    imp.add_argument("--force", action="store_true", help="replace an existing file that cyps-xl did not write")
    imp.add_argument("-o", "--output", type=Path, required=True)
    check = rules_sub.add_parser("check", help="validate a rules folder or file")
    check.add_argument("path", type=Path, nargs="?")
    schema = rules_sub.add_parser("schema", help="print the JSON Schema for indicator rules files")
    schema.add_argument("-o", "--output", type=Path)
    schema.add_argument("--force", action="store_true", help="replace an existing file that cyps-xl did not write")
    schema.add_argument("--benchmarks", action="store_true", help="the schema of benchmarks.yaml instead")
    return parser


def main(argv: list[str] | None = None, *, process_ends: bool = False) -> int:
    """Run one command; ``process_ends``: the process ends right after it (the ``cyps-xl`` command)."""
    args = _parser().parse_args(argv)
    if process_ends and args.command != "batch":
        # One run and the process ends: the cycle collector, paused for the run (evaluation._collector_paused),
        # would only walk every object the run made, once, on its first allocation after (a 3,000-indicator
        # issue's 20 ms), to free what the end frees anyway. A batch rates many scorecards in one process.
        gc.disable()
    try:
        status = _run(args)
        sys.stdout.flush()  # inside the try: a reader gone away is met here, not at exit
        return status
    except BrokenPipeError:
        # the reader went away (`cyps-xl benchmarks inspect FILE | head`): end quietly, as other tools do
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    except CypsError as exc:
        print(f"cyps-xl: error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("cyps-xl: interrupted; no output was written.", file=sys.stderr)
        return 130


def run() -> None:
    """The ``cyps-xl`` command (and ``python -m cyps_xl``): :func:`main`, then the process ends without Python
    taking apart, object by object, what the run built: a large scorecard's model takes a tenth of a second to
    free, and the system takes the memory back at once. The output is flushed and exit handlers run first;
    when a thread is still running, or the output cannot be flushed, Python's own exit sees to it."""
    status = main(process_ends=True)
    import atexit
    import threading

    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        sys.exit(status)  # Python's exit reports it as it always has
    if any(thread.is_alive() and not thread.daemon for thread in threading.enumerate()
           if thread is not threading.main_thread()):
        sys.exit(status)  # Python's exit waits for it
    run_handlers = getattr(atexit, "_run_exitfuncs", None)
    if run_handlers is None:  # not CPython
        sys.exit(status)
    run_handlers()
    try:
        sys.stdout.flush()  # what a handler wrote
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
    os._exit(status)


def _run(args) -> int:
    from cyps_xl import api

    if args.command == "issue":
        if args.plain and (args.pdf or args.report):
            given = " and ".join(flag for flag, on in (("--pdf", args.pdf), ("--report", args.report)) if on)
            print(f"cyps-xl: note: --plain is ignored with {given}, which need the summary, commentary and "
                  "print settings.", file=sys.stderr)
        report = api.issue(args.scorecard, args.output, rules=args.rules, benchmarks=args.benchmarks,
                           keep_data_quality=args.keep_data_quality, pdf=args.pdf, report=args.report,
                           presentation=not args.plain, force=args.force, allow_protected=args.allow_protected)
        print(report.summary())
        print(f"Issued: {report.output} (Issue {report.issue_number})")
        if report.pdf:
            print(f"PDF: {report.pdf}")
        return 0
    if args.command == "refresh":
        report = api.refresh(args.scorecard, args.output, rules=args.rules, benchmarks=args.benchmarks,
                             backup=not args.no_backup, force=args.force, allow_protected=args.allow_protected)
        print(report.summary())
        print(f"Refreshed: {report.output}")
        return 0
    if args.command == "check":
        from cyps_xl.report.check import check as run_check

        report = run_check(args.scorecard, args.previous, rules=args.rules, benchmarks=args.benchmarks,
                           write=not args.no_write, allow_protected=args.allow_protected)
        print("\n".join(report.lines()))
        if not args.no_write:
            print(f"Written to the '{report.sheet}' sheet of {args.scorecard} (a backup was kept).")
        return 0
    if args.command == "batch":
        from cyps_xl.batch import run_batch

        report = run_batch(args.folder, args.output_dir, jobs=args.jobs, rules=args.rules, benchmarks=args.benchmarks)
        for name, why in report.skipped:
            print(f"Passed over: {name} ({why}).")
        if report.interrupted:
            print(f"Interrupted: {len(report.issued)} of {report.total} scorecard(s) were issued before stopping"
                  + (":" if report.issued else "."))
        else:
            print(f"Issued {len(report.issued)} scorecard(s) in {report.seconds:.1f} s.")
        for path in report.issued if report.interrupted else []:
            print(f"  {path}")
        for _, message in report.failed:
            print(f"cyps-xl: error: {message}", file=sys.stderr)
        if report.interrupted:
            return 130
        return EXIT_USER_ERROR if report.failed else 0
    if args.command == "demo":
        from cyps_xl.demo import run_demo

        report = run_demo(args.output_dir)
        print(report.summary())
        print(f"Issued workbook: {report.output.resolve()}")
        if report.pdf:
            print(f"PDF: {report.pdf.resolve()}")
        return 0
    if args.command == "init":
        from cyps_xl.starter import init_rules

        report = init_rules(args.folder, args.authority, args.neighbours, _date(args.adopted, "--adopted"))
        print("\n".join(report.lines()))
        return 0
    if args.command == "rules":
        return _rules(args)
    if args.command == "benchmarks":
        return _benchmarks(args)
    if args.command == "lite":
        from cyps_xl.excel import lite_setup

        if args.output_dir is None:
            if args.rules is not None:
                raise CypsError("--rules makes a workbook, so it needs a folder to write it in.", place="--rules",
                                hint="Add -o FOLDER.")
            print(lite_setup.printed(args.wheel_url), end="")
            return 0
        for path in lite_setup.write_files(args.output_dir, args.rules, args.wheel_url, args.force):
            print(f"Written: {path}")
        return 0
    if args.command == "addin":
        from cyps_xl import __version__
        from cyps_xl.excel.addin import build_addin, built_with, install_addin

        if args.addin_command == "build":
            from cyps_xl.workbook.saving import file_sha256

            built = build_addin(args.output, force=args.force)
            print(f"Built {built} (cyps-xl {__version__}, xlwings {built_with(built)}; SHA-256 {file_sha256(built)})")
        else:
            print(install_addin(args.addin, rules=args.rules, benchmarks=args.benchmarks, machine=args.machine))
        return 0
    if args.command == "doctor":
        from cyps_xl.excel.doctor import FAIL, diagnose, report_text

        findings = diagnose(args.workbook, addin=args.addin)
        print(report_text(findings))
        return EXIT_USER_ERROR if any(f.status == FAIL for f in findings) else 0
    raise AssertionError(args.command)


def _benchmarks(args) -> int:
    if args.benchmarks_command == "inspect":
        from cyps_xl.benchmarks.inspect import inspect

        print(inspect(args.file, args.filter, args.column, args.sheet, args.ref))
        return 0
    from cyps_xl.benchmarks.neighbours import add_to_config, needs_adopted, neighbour_set_yaml, read_grouping

    adopted = _date(args.adopted, "--adopted")
    if adopted is None:
        raise needs_adopted()
    grouping = read_grouping(args.groupings, args.authority)
    if args.write:
        name = add_to_config(args.write, grouping, args.name, adopted)
        print(f"Added the neighbour set '{name}' ({len(grouping.members)} authorities) to {args.write}.")
    else:
        print(f"# {grouping.authority.name}'s statistical neighbours from {grouping.file.name}; paste under neighbour_sets:")
        print(neighbour_set_yaml(grouping, args.name, adopted), end="")
    if grouping.unknown:
        print(f"Note: {', '.join(grouping.unknown)} are not current authorities and were left out.", file=sys.stderr)
    return 0


def _date(text: str | None, option: str):
    import datetime as dt

    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        raise CypsError(f"{option} '{text}' is not a date.", hint="Write it as YYYY-MM-DD, e.g. 2025-05-01.") from None


def _rules(args) -> int:
    if args.rules_command == "import":
        from cyps_xl.workbook.rules_import import import_rules

        report = import_rules(args.scorecard, args.output, force=args.force)
        print(f"Wrote {report.indicators} indicator rules to {report.output}.")
        if report.skipped:
            print(f"{len(report.skipped)} cell(s) could not be imported; add them by hand:")
            for line in report.skipped:
                print(f"  {line}")
        return 0
    if args.rules_command == "check":
        from cyps_xl.workbook.layout import load_layout
        from cyps_xl.engine.rules import load_rules

        book = load_rules(args.path)
        load_layout(book.layout_file)
        print(f"OK: {len(book.rules)} indicator rules in {len(book.files)} file(s).")
        return 0
    if args.rules_command == "schema":
        from cyps_xl.engine.schema import benchmarks_schema, rules_schema

        import json

        text = json.dumps(benchmarks_schema() if args.benchmarks else rules_schema(), indent=2, ensure_ascii=False)
        if args.output:
            from cyps_xl.workbook.outputs import may_replace, remember
            from cyps_xl.workbook.saving import write_text_atomically

            may_replace(args.output, args.force)
            write_text_atomically(args.output, text + "\n")
            remember(args.output)
            what = "benchmarks.yaml" if args.benchmarks else "indicator rules files"
            print(f"Wrote the JSON Schema for {what} to {args.output}.")
        else:
            print(text)
        return 0
    raise AssertionError(args.rules_command)


if __name__ == "__main__":
    sys.exit(main())
