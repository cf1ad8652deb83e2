import shutil

import openpyxl
import pytest

from cyps_xl.workbook.layout import load_layout
from cyps_xl.engine.rules import load_rules
from conftest import ROOT, run_cli


@pytest.mark.parametrize("title, key", [
    ("DOT*", "dot_month"), ("DOT* (month)", "dot_month"), ("DOT (Yr on Yr)", "dot_year"),
    ("RAG (month)", "rag_month"), ("RAG (Yr End)", "rag_year"), ("Good perf is", "polarity"),
    ("Good per is", "polarity"), ("Green (target)", "green"), ("Stat neigh av.", "sn_average"),
    ("Best stat neigh", "sn_best"), ("Nat av.", "national"), ("Nat av. 2021/22", "national"),
    ("Top qtile threshold", "top_quartile"), ("RIA 2022/23", "regional"), ("RIA 2019/20", "regional"),
    ("Yorkshire & Humb", "regional"), ("2021/22", "previous_year"), ("2020 / 21", "previous_year"),
    ("2021/22 Outturn", "outturn"), ("REF NO.", "ref"), ("DATA NOTE (Monthly)", "data_note"), ("Yellow", "amber"),
])
def test_column_title_variants(title, key):
    assert load_layout().classify(title) == key


@pytest.mark.parametrize("title", ["Mar-23 (Q4)", "Term 1", "Jun-22", "Q2 2022/23"])
def test_month_title_variants(title):
    assert load_layout().is_month_title(title)


def test_rules_match_by_title_when_references_differ():
    book = load_rules()
    rule = book.match("Social Care", "LAC-7", None, "% of LAC who have had 3 or more placements - rolling 12 months")
    assert rule is not None and rule.ref == "3.15" and rule.polarity == "low"


def test_rules_match_the_rows_of_a_multi_row_indicator():
    book = load_rules()
    families = book.match("Early Help", "1.7", "Families", "Open families/children at the end of the reporting period")
    children = book.match("Early Help", "1.7", "Children", "Open families/children at the end of the reporting period")
    assert families.part == "Families" and children.part == "Children"
    count = book.match("Early Help", "1.9", None, "Re-referrals where early help has already worked a case in the last 12 months")
    percent = book.match("Early Help", "1.9", "%", "Re-referrals where early help has already worked a case in the last 12 months")
    assert (count.part, percent.part) == (None, "%")


def test_labels_and_colours_come_from_settings(template, tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    settings = (rules / "settings.yaml").read_text(encoding="utf-8")
    (rules / "settings.yaml").write_text(settings.replace("amber: Amber", "amber: Yellow")
                                         .replace('amber: "FFC000"', 'amber: "FFFF00"'), encoding="utf-8")
    out = tmp_path / "o.xlsx"
    assert run_cli("issue", template, "--rules", rules, "-o", out).returncode == 0
    ws = openpyxl.load_workbook(out)["Social Care"]
    cells = [ws.cell(r, 21) for r in range(13, ws.max_row + 1) if ws.cell(r, 21).value in ("Yellow", "Amber")]
    assert cells and {c.value for c in cells} == {"Yellow"} and {c.fill.fgColor.rgb for c in cells} == {"FFFFFF00"}


def test_an_unquoted_reference_in_the_rules_stays_as_typed(tmp_path):
    """ref: 3.10 unquoted is the number 3.1 to YAML: the rule must still be 3.10's, and 3.1 untouched."""
    rules = tmp_path / "rules.yaml"
    rules.write_text("sheets:\n  Social Care:\n    indicators:\n      - ref: 3.10\n        polarity: low\n"
                     "        tolerances: {red: '40+', amber: '30+', green: '<30'}\n", encoding="utf-8")
    book = load_rules(rules)
    assert [r.ref for r in book.rules] == ["3.10"]
    assert book.match("Social Care", "3.10", None, None) is not None
    assert book.match("Social Care", "3.1", None, None) is None


def test_a_number_format_typed_without_quotes_stays_the_format_typed(tmp_path):
    rules = tmp_path / "rules.yaml"
    rules.write_text("sheets:\n  Social Care:\n    indicators:\n      - ref: '3.2'\n        polarity: low\n"
                     "        number_format: 0.0\n      - ref: '3.1'\n        polarity: info\n        number_format: 0\n",
                     encoding="utf-8")
    book = load_rules(rules)
    assert [(r.ref, r.number_format) for r in book.rules] == [("3.2", "0.0"), ("3.1", "0")]
