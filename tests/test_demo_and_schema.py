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
