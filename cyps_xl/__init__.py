"""cyps-xl: the CYPS performance scorecard engine.

One engine, several front doors: the CLI (``cyps-xl``), the library calls
below, the Excel ribbon and ``CYPS_*`` cell functions, and xlwings Lite.
"""
__version__ = "0.1.0"

from cyps_xl.errors import CypsError  # noqa: E402


def issue(source, output=None, **options):
    """Produce the issued workbook (see :func:`cyps_xl.api.issue` for the options)."""
    from cyps_xl.api import issue as _issue

    return _issue(source, output, **options)


def refresh(source, output=None, *, rules=None, benchmarks=None, backup=True):
    """Fill the working copy in place, keeping everything (see :func:`cyps_xl.api.refresh`)."""
    from cyps_xl.api import refresh as _refresh

    return _refresh(source, output, rules=rules, benchmarks=benchmarks, backup=backup)


def main(book=None):
    """xlwings RunPython entry point: Refresh ratings on the calling workbook."""
    from cyps_xl.excel.ribbon import main as _main

    return _main(book)


def refresh_ratings(book=None, built_with=None):
    """Ribbon: Refresh ratings."""
    from cyps_xl.excel.ribbon import refresh_ratings as _action

    return _action(book, built_with=built_with)


def produce_issue(book=None, built_with=None):
    """Ribbon: Produce issue."""
    from cyps_xl.excel.ribbon import produce_issue as _action

    return _action(book, built_with=built_with)


def check_data(book=None, built_with=None):
    """Ribbon: Check data."""
    from cyps_xl.excel.ribbon import check_data as _action

    return _action(book, built_with=built_with)


def update_benchmarks(book=None, built_with=None):
    """Ribbon: Update benchmarks."""
    from cyps_xl.excel.ribbon import update_benchmarks as _action

    return _action(book, built_with=built_with)


def check_setup(book=None, built_with=None):
    """Ribbon: Check set-up (the report 'cyps-xl doctor' prints, in a message box)."""
    from cyps_xl.excel.ribbon import check_setup as _action

    return _action(book, built_with=built_with)


__all__ = ["CypsError", "issue", "refresh", "main", "refresh_ratings", "produce_issue", "check_data",
           "update_benchmarks", "check_setup", "__version__"]
