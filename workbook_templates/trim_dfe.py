"""Trim DfE open-data files to the years the demo needs, bytes otherwise unchanged.

    python workbook_templates/trim_dfe.py ../shared/dfe/c1_....csv 2020 2021 2022

Keeps the header line and every line whose ``time_period`` is one of the
years given, byte for byte (BOM, quoting, CRLF/LF and row order as published),
and writes it under ``workbook_templates/data/dfe/`` with the same name.
"""
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent / "data" / "dfe"


def trim(source: Path, years: set) -> Path:
    lines = source.read_bytes().splitlines(keepends=True)
    kept = [lines[0]] + [line for line in lines[1:] if line.split(b",", 1)[0].strip(b'"') in years]
    target = OUT / source.name
    target.write_bytes(b"".join(kept))
    return target


if __name__ == "__main__":
    print(trim(Path(sys.argv[1]), {y.encode() for y in sys.argv[2:]}))
