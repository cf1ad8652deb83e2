"""A sweep of damaged inputs: 200 generated variants of the real scorecard and of its rules.

Each variant goes through issue, refresh, check and rules import, as the CLI
runs them. Whatever the damage, each ends in a result or in one message (exit
2) - never a traceback - within 10 s and 1 GB, and the input is left as it was.
"""
import contextlib
import hashlib
import io
import random
import re
import resource
import shutil
import time
import zipfile

import pytest

from cyps_xl.cli import main
from conftest import ROOT

TEMPLATE = ROOT / "workbook_templates" / "cyps_scorecard_template.xlsx"
SHEET = "xl/worksheets/sheet2.xml"
JUNK_VALUES = ["NaN", "1E+400", "-1E+400", "", "abc", "1e-400", "9" * 400, "0x1F", "  ", "1,5", "&amp;", "-0"]
JUNK_INDEX = ["99999", "-1", "x", "", "1.5", "4294967296"]
JUNK_REF = ["1A", "A0", "XFE1", "", "A1048577", "AAAA1", "a1", "A-1"]


def _mutate(data: dict, rng: random.Random) -> str:
    """One kind of damage, applied to the package's parts in place; returns what it was."""
    kind = rng.choice(["value", "string index", "style index", "cell ref", "row number", "truncate", "drop part",
                       "workbook", "content types", "rels"])
    sheet = data[SHEET].decode()
    if kind in ("value", "string index", "style index", "cell ref", "row number"):
        pattern = {"value": r"<v>[^<]*</v>", "string index": r'(?<=t="s"><v>)\d+(?=</v>)', "style index": r'(?<= s=")\d+',
                   "cell ref": r'(?<=<c r=")[A-Z]+\d+', "row number": r'(?<=<row r=")\d+'}[kind]
        spots = list(re.finditer(pattern, sheet))
        spot = rng.choice(spots)
        junk = {"value": lambda: f"<v>{rng.choice(JUNK_VALUES)}</v>", "string index": lambda: rng.choice(JUNK_INDEX),
                "style index": lambda: rng.choice(JUNK_INDEX), "cell ref": lambda: rng.choice(JUNK_REF),
                "row number": lambda: rng.choice(JUNK_INDEX)}[kind]()
        data[SHEET] = (sheet[:spot.start()] + junk + sheet[spot.end():]).encode()
    elif kind == "truncate":
        name = rng.choice([n for n in data if n.endswith(".xml")])
        data[name] = data[name][: rng.randrange(1, max(2, len(data[name])))]
        kind += f" {name}"
    elif kind == "drop part":
        name = rng.choice(["xl/styles.xml", "xl/sharedStrings.xml", "xl/_rels/workbook.xml.rels", SHEET,
                           "[Content_Types].xml", "_rels/.rels", "xl/workbook.xml"])
        data.pop(name, None)
        kind += f" {name}"
    elif kind == "workbook":
        text = data["xl/workbook.xml"].decode()
        change = rng.choice([('r:id="rId2"', 'r:id="rId99"'), ('name="Social Care"', 'name=""'),
                             ('name="Social Care"', 'name="Early Help"'), ("<sheets>", "<sheets><sheet/>")])
        data["xl/workbook.xml"] = text.replace(*change, 1).encode()
        kind += f" {change[1]}"
    elif kind == "content types":
        data["[Content_Types].xml"] = data["[Content_Types].xml"].replace(b"spreadsheetml.sheet.main", b"nonsense", 1)
    else:
        name = "xl/_rels/workbook.xml.rels"
        data[name] = re.sub(rb'Target="[^"]+"', b'Target="../../nowhere.xml"', data[name], count=1)
    return kind


def scorecard_variants(folder, count):
    rng = random.Random(20261127)
    with zipfile.ZipFile(TEMPLATE) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    for i in range(count):
        data = dict(parts)
        kinds = [_mutate(data, rng) for _ in range(rng.choice([1, 1, 2]))]
        path = folder / f"variant {i:03d}.xlsx"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            for name, body in data.items():
                z.writestr(name, body)
        yield path, " + ".join(kinds)


YAML_DAMAGE = [("polarity: high", "polarity: [high, low]"), ("polarity: low", "polarity: {a: 1}"),
               ("ref: '3.14'", "ref: [3.14]"), ("green: 95%+", "green: 95"), ("red: <87%", "red: [1, 2]"),
               ("tolerances:", "tolerances: 5\n      x:"), ("indicators:", "indicators: none\n    y:"),
               ("sheets:", "sheets: []\nz:"), ("title: ", "title: !!binary aGk= #"), ("polarity: info", "polarity: 7")]


def rules_variants(folder, count):
    rng = random.Random(1127)
    original = (ROOT / "rules" / "social_care.yaml").read_text(encoding="utf-8")
    settings = (ROOT / "rules" / "settings.yaml").read_text(encoding="utf-8")
    for i in range(count):
        target = folder / f"rules {i:03d}"
        shutil.copytree(ROOT / "rules", target)
        text = original
        for find, replace in rng.sample(YAML_DAMAGE, rng.choice([1, 2])):
            if find in text:
                positions = [m.start() for m in re.finditer(re.escape(find), text)]
                at = rng.choice(positions)
                text = text[:at] + replace + text[at + len(find):]
        (target / "social_care.yaml").write_text(text, encoding="utf-8")
        if rng.random() < 0.3:
            key = rng.choice(["jump_factor: 3", "default_number_format: General", "created_by: Performance & Quality Team"])
            (target / "settings.yaml").write_text(settings.replace(key, key.split(":")[0] + ": [1, 2]"), encoding="utf-8")
        yield target


def run(argv) -> tuple[int, str, float]:
    """The CLI in this process: a traceback would be an exception escaping main()."""
    out, err = io.StringIO(), io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in argv])
    return code, err.getvalue(), time.perf_counter() - start


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


@pytest.mark.parametrize("batch", range(4))
def test_damaged_scorecards_end_in_one_message_or_a_result(tmp_path, batch):
    problems = []
    for path, kinds in list(scorecard_variants(tmp_path, 160))[batch * 40:(batch + 1) * 40]:
        before = digest(path)
        for argv in (["issue", path, "-o", tmp_path / "issued.xlsx", "--plain"], ["refresh", path, "-o", tmp_path / "r.xlsx"],
                     ["check", path, "--no-write"], ["rules", "import", path, "-o", tmp_path / "imported.yaml"]):
            try:
                code, err, seconds = run(argv)
            except Exception as exc:  # noqa: BLE001 - the finding this test exists for
                problems.append(f"{path.name} ({kinds}) {argv[0]}: {type(exc).__name__}: {exc}")
                continue
            if code not in (0, 2) or (code == 2 and len(err.strip().splitlines()) != 1) or seconds > 10:
                problems.append(f"{path.name} ({kinds}) {argv[0]}: exit {code} in {seconds:.1f} s: {err[:200]}")
        if digest(path) != before:
            problems.append(f"{path.name} was changed")
    assert problems == []
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss < 1 << 20  # KB: the whole sweep under 1 GB


def test_damaged_rules_end_in_one_message(template, tmp_path):
    problems = []
    for rules in rules_variants(tmp_path, 40):
        for argv in (["issue", template, "--rules", rules, "-o", tmp_path / "issued.xlsx", "--plain"],
                     ["rules", "check", rules]):
            try:
                code, err, _ = run(argv)
            except Exception as exc:  # noqa: BLE001
                problems.append(f"{rules.name} {argv[0]}: {type(exc).__name__}: {exc}")
                continue
            if code not in (0, 2) or (code == 2 and len(err.strip().splitlines()) != 1):
                problems.append(f"{rules.name} {argv[0]}: exit {code}: {err[:200]}")
    assert problems == []
