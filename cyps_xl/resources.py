"""Where the bundled rules, macros and workbook templates are.

In a source checkout (and an editable install) they are the repository's own
top-level ``rules/``, ``macros/`` and ``workbook_templates/`` folders. A wheel
carries the same folders inside the package, as ``cyps_xl/data/rules`` and so
on (``[tool.setuptools]`` in pyproject.toml maps them), so ``pip install .``
works like the checkout. Both are folders on disk (the rules are read and the
templates copied as files), so they are found beside this module.
"""
from __future__ import annotations

from pathlib import Path


def bundled(name: str) -> Path:
    """The folder ``name`` (rules, macros or workbook_templates) that ships with cyps-xl."""
    here = Path(__file__).resolve().parent
    packaged = here / "data" / name
    if packaged.is_dir():  # installed from a wheel
        return packaged
    return here.parent / name  # a source checkout or an editable install


BUNDLED_RULES = bundled("rules")
MACROS = bundled("macros")
TEMPLATES = bundled("workbook_templates")
