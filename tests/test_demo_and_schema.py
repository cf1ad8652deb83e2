import json

import jsonschema
import openpyxl
import pytest
import yaml

from conftest import ROOT, run_cli


def test_demo_writes_the_issued_workbook(tmp_path):
    result = run_cli("demo", "-o", tmp_path / "demo")
    assert result.returncode == 0, result.stderr
    out = tmp_path / "demo" / "CYPS Scorecard March 2022 Issue 2.xlsx"
    assert f"Issued workbook: {out}" in result.stdout
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Summary", "Early Help", "Social Care", "Commentary"]
    assert wb["Early Help"]["A4"].value == "Status: Issue 2"


def test_library_call_matches_the_cli(template, tmp_path):
    import cyps_xl

    via_api = cyps_xl.issue(template, tmp_path / "api.xlsx")
    assert run_cli("issue", template, "-o", tmp_path / "cli.xlsx").returncode == 0
    a, b = (openpyxl.load_workbook(p)["Social Care"] for p in (via_api.output, tmp_path / "cli.xlsx"))
    assert [[c.value for c in row] for row in a.iter_rows()] == [[c.value for c in row] for row in b.iter_rows()]


@pytest.mark.parametrize("name", ["early_help.yaml", "social_care.yaml"])
def test_bundled_rules_follow_the_published_schema(name):
    schema = json.loads((ROOT / "rules" / "rules.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(yaml.safe_load((ROOT / "rules" / name).read_text(encoding="utf-8")), schema)


def test_schema_file_is_current(tmp_path):
    assert run_cli("rules", "schema", "-o", tmp_path / "s.json").returncode == 0
    assert (tmp_path / "s.json").read_text() == (ROOT / "rules" / "rules.schema.json").read_text()


def test_schema_rejects_an_unknown_polarity():
    schema = json.loads((ROOT / "rules" / "rules.schema.json").read_text(encoding="utf-8"))
    bad = {"sheets": {"Social Care": {"indicators": [{"ref": "1.1", "polarity": "up"}]}}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)


def _dates_as_text(value):
    """YAML reads 2021-04-01 as a date; JSON (and so the schema) has only text for it."""
    import datetime as dt

    if isinstance(value, dict):
        return {k: _dates_as_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_dates_as_text(v) for v in value]
    return value.isoformat() if isinstance(value, dt.date) else value


def test_bundled_benchmarks_follow_their_schema_and_the_file_is_current(tmp_path):
    schema = json.loads((ROOT / "rules" / "benchmarks.schema.json").read_text(encoding="utf-8"))
    bundled = _dates_as_text(yaml.safe_load((ROOT / "rules" / "benchmarks.yaml").read_text(encoding="utf-8")))
    jsonschema.validate(bundled, schema)
    assert len(bundled["measures"]) >= 3 and all("file" in m for m in bundled["measures"])
    assert run_cli("rules", "schema", "--benchmarks", "-o", tmp_path / "b.json").returncode == 0
    assert (tmp_path / "b.json").read_text() == (ROOT / "rules" / "benchmarks.schema.json").read_text()
    for bad in ({"unit": "percentage"}, {"colour": "red"}, {"ref": 3.1}, {"top_quartile": "above"}):
        measure = dict(bundled["measures"][0], **bad)
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(dict(bundled, measures=[measure]), schema)
