"""The bundled benchmark library (rules/benchmarks.yaml) describes DfE's files as DfE publishes them.

Every measure it ships is checked against the real header and filter values of the file it names: the
real file where the repository ships one (tests/fixtures/dfe, workbook_templates/data/dfe), else the
header and filter values DfE publishes for it (tests/fixtures/dfe/schemas). These are read here with the
csv module and plain text parsing, never through cyps_xl's own reader.
"""
import csv
import re

import openpyxl
import pytest
import yaml

from conftest import ROOT, run_cli

FIXTURES = ROOT / "tests" / "fixtures" / "dfe"
SHIPPED = [FIXTURES, ROOT / "workbook_templates" / "data" / "dfe"]
GEOGRAPHY = {"time_period", "time_identifier", "geographic_level", "country_code", "country_name", "region_code",
             "region_name", "old_la_code", "new_la_code", "la_name", "la_code"}


def schema_of(name):
    """(columns, {filter column: [values]}) of a DfE file, from the real file or its published schema."""
    for folder in SHIPPED:
        if (folder / name).is_file():
            with (folder / name).open(newline="", encoding="utf-8-sig") as handle:
                reader = csv.DictReader(handle)
                rows = list(reader)
            columns = reader.fieldnames
            texts = {c: sorted({r[c] for r in rows}) for c in columns if c not in GEOGRAPHY
                     and not all(re.fullmatch(r"\s*[-\d.]*\s*|[a-z~:.]{1,3}|low", r[c]) for r in rows)}
            return columns, texts
    page = (FIXTURES / "schemas" / (name[:-4] + ".md")).read_text(encoding="utf-8")
    columns = re.findall(r"`([^`]+)`", page.split("Columns, in order:")[1].split("\n")[0])
    values = {}
    for block in page.split("\n## ")[1:]:
        heading, _, body = block.partition("\n")
        values[heading.strip().strip("`")] = re.findall(r"^- `(.*)`$", body, re.M)
    return columns, {k: v for k, v in values.items() if k not in GEOGRAPHY}


def bundled_measures():
    return yaml.safe_load((ROOT / "rules" / "benchmarks.yaml").read_text(encoding="utf-8"))["measures"]


@pytest.mark.parametrize("measure", bundled_measures(), ids=lambda m: f"{m['sheet']} {m['ref']}")
def test_each_bundled_measure_names_a_real_file_its_real_columns_and_filter_values(measure):
    columns, filters = schema_of(measure["file"])
    assert measure["column"] in columns, f"{measure['column']} is not a column of {measure['file']}: {columns}"
    for column, value in (measure.get("filters") or {}).items():
        assert column in columns, f"{column} is not a column of {measure['file']}"
        assert value in filters[column], f"{value!r} is not a value of {column}: {filters[column]}"
    # a filter column the measure leaves out takes its Total row, so it must have one
    for column, values in filters.items():
        if column not in (measure.get("filters") or {}) and column != measure["column"]:
            assert "Total" in values or len(values) == 1, f"{column} left out but has no Total: {values}"


def _write_from_schema(folder, name, measures):
    """A file with DfE's real header and filter values, and a figure for every authority that a test can
    predict: the file as a team would download it, but for its numbers (its data rows are not shipped)."""
    columns, filters = schema_of(name)
    with (ROOT / "rules" / "local_authorities.csv").open(encoding="utf-8") as handle:
        authorities = list(csv.DictReader(line for line in handle if not line.startswith("#")))
    lines = [",".join(columns)]
    expected, selections = {}, []
    for m in measures:
        chosen = dict(m.get("filters") or {})
        for column, values in filters.items():
            chosen.setdefault(column, "Total" if "Total" in values else values[0])
        if chosen not in selections:
            selections.append(chosen)
        k = selections.index(chosen)
        expected[m["ref"]] = 40.0 + 7 * k + columns.index(m["column"])  # the National row's figure below
    for k, chosen in enumerate(selections):
        geographies = [("National", "", "", "", "", "", 40.0 + 7 * k)]
        geographies += [("Local authority", la["region_code"], la["region_name"], la["old_la_code"], la["new_la_code"],
                         la["la_name"], 30.0 + (i % 50) + k) for i, la in enumerate(authorities)]
        for level, rcode, rname, old, new, la_name, value in geographies:
            row = {"time_period": "2021", "time_identifier": "Reporting year", "geographic_level": level,
                   "country_code": "E92000001", "country_name": "England", "region_code": rcode, "region_name": rname,
                   "old_la_code": old, "new_la_code": new, "la_name": la_name, **chosen}
            row.update({c: str(value + i) for i, c in enumerate(columns) if c not in row})
            lines.append(",".join(f'"{row[c]}"' if "," in row[c] else row[c] for c in columns))
    path = folder / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    return path, expected


def test_the_bundled_library_fills_every_measure_from_files_shaped_as_published(template, tmp_path):
    """The real CLI, the bundled rules, the three real files the repository ships and files made from the
    published schemas of the others: every measure of the library fills its row, nothing is refused."""
    folder = tmp_path / "downloads"
    folder.mkdir()
    by_file = {}
    for m in bundled_measures():
        by_file.setdefault(m["file"], []).append(m)
    expected = {}
    for name, group in by_file.items():
        real = next((f / name for f in SHIPPED if (f / name).is_file()), None)
        if real is not None:
            (folder / name).write_bytes(real.read_bytes())
        else:
            _, figures = _write_from_schema(folder, name, group)
            expected.update(figures)
    out = tmp_path / "issued.xlsx"
    result = run_cli("issue", template, "--benchmarks", folder, "-o", out)
    assert result.returncode == 0, result.stderr
    ws = openpyxl.load_workbook(out)["Social Care"]
    rows = {str(ws.cell(r, 1).value): r for r in range(13, ws.max_row + 1) if ws.cell(r, 1).value}
    national = next(c for c in range(1, ws.max_column + 1) if str(ws.cell(12, c).value or "").startswith("Nat av"))
    for ref, value in expected.items():
        scale = 100 if next(m for m in bundled_measures() if m["ref"] == ref)["unit"] == "percent" else 1
        assert ws.cell(rows[ref], national).value * scale == pytest.approx(value), ref
    assert expected.keys() >= {"3.14", "3.15", "3.25", "3.26", "4.1", "4.2"}
