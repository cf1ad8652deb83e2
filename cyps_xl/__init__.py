"""cyps-xl: the CYPS performance scorecard engine.

One engine, several front doors: the CLI (``cyps-xl``), the library calls
below, and (in a later step) the Excel ribbon and ``CYPS_*`` cell functions.
"""
__version__ = "0.1.0"

from .errors import CypsError  # noqa: E402


def issue(source, output=None, *, rules=None, benchmarks=None, today=None):
    """Produce the issued workbook (see :func:`cyps_xl.api.issue`)."""
    from .api import issue as _issue

    return _issue(source, output, rules=rules, benchmarks=benchmarks, today=today)


def refresh(source, output=None, *, rules=None, benchmarks=None, backup=True):
    """Fill the working copy in place, keeping everything (see :func:`cyps_xl.api.refresh`)."""
    from .api import refresh as _refresh

    return _refresh(source, output, rules=rules, benchmarks=benchmarks, backup=backup)


__all__ = ["CypsError", "issue", "refresh", "__version__"]
