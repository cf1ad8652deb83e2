"""Parsed YAML is kept between runs (cyps_xl.engine.yamlcache): a file read before comes back as it was
parsed, lines and all, without PyYAML; a file that changed by a byte is parsed afresh; a damaged entry or a
folder that cannot be written to is the same as no cache; and errors still name the file and line."""
import marshal
import os
import subprocess
import sys

import pytest

from cyps_xl.engine import yamlcache
from cyps_xl.engine.yamlfile import LineDict, load_yaml
from cyps_xl.errors import CypsError
from cyps_xl.resources import BUNDLED_RULES

RULES = """\
sheets:
  Social Care:
    - ref: 3.10
      title: Re-referrals
      polarity: low
      tolerances: {red: "<87%", amber: "87%+", green: "95%+"}
      flags: [true, null, 1.5]
"""


def _shape(value):
    """The value with every mapping's and list's lines, to compare a kept value with a parsed one."""
    if isinstance(value, dict):
        return ("d", value.line, sorted((k, value.line_of(k), _shape(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ("l", value.line, list(value.lines), [_shape(v) for v in value])
    return value


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("CYPS_XL_CACHE", str(folder))
    return folder


def test_a_file_read_again_comes_back_as_parsed_lines_and_all(tmp_path, cache):
    path = tmp_path / "rules.yaml"
    path.write_text(RULES, encoding="utf-8")
    parsed = load_yaml(path)
    assert len(list(cache.glob("yaml-*.marshal"))) == 1
    again = load_yaml(path)
    assert _shape(again) == _shape(parsed) and isinstance(again, LineDict)
    assert again["sheets"]["Social Care"][0]["ref"] == "3.10"  # as typed, not 3.1
    assert again["sheets"]["Social Care"][0].line_of("polarity") == 5  # the file's own line
    for name in sorted(os.listdir(BUNDLED_RULES)):
        if name.endswith(".yaml"):
            first = load_yaml(BUNDLED_RULES / name)
            assert _shape(load_yaml(BUNDLED_RULES / name)) == _shape(first), name


def test_a_run_with_its_rules_kept_does_not_load_pyyaml(template, tmp_path, cache):
    code = ("import sys, cyps_xl; cyps_xl.issue(sys.argv[1], sys.argv[2]); "
            "print('yaml' in sys.modules)")
    env = {**os.environ, "CYPS_XL_CACHE": str(cache)}
    runs = [subprocess.run([sys.executable, "-c", code, str(template), str(tmp_path / f"{n}.xlsx")],
                           capture_output=True, text=True, env=env) for n in (1, 2)]
    assert [r.stdout.strip() for r in runs] == ["True", "False"], runs[1].stderr
    assert (tmp_path / "1.xlsx").read_bytes() == (tmp_path / "2.xlsx").read_bytes()


def test_a_file_changed_by_a_byte_is_parsed_again(tmp_path, cache):
    path = tmp_path / "rules.yaml"
    path.write_text(RULES, encoding="utf-8")
    load_yaml(path)
    path.write_text(RULES.replace('"95%+"', '"96%+"'), encoding="utf-8")  # the same length
    assert load_yaml(path)["sheets"]["Social Care"][0]["tolerances"]["green"] == "96%+"


def test_a_damaged_entry_or_a_folder_that_cannot_be_written_is_no_cache(tmp_path, cache, monkeypatch):
    path = tmp_path / "rules.yaml"
    path.write_text(RULES, encoding="utf-8")
    expected = _shape(load_yaml(path))
    entry = next(cache.glob("yaml-*.marshal"))
    entry.write_bytes(b"\x00 not marshal")
    assert _shape(load_yaml(path)) == expected
    entry.write_bytes(marshal.dumps((yamlcache.FORMAT, path.read_bytes(), ("x", 1))))
    assert _shape(load_yaml(path)) == expected  # not a stored form: parsed
    entry.write_bytes(marshal.dumps((yamlcache.FORMAT, b"other bytes", ("d", 1, (("x", 1, 2),)))))
    assert _shape(load_yaml(path)) == expected  # kept for other bytes (a checksum's collision): parsed
    blocked = tmp_path / "a file, not a folder"
    blocked.write_text("")
    monkeypatch.setenv("CYPS_XL_CACHE", str(blocked / "cache"))
    assert _shape(load_yaml(path)) == expected


def test_a_syntax_error_names_the_file_and_line_every_time(tmp_path, cache):
    path = tmp_path / "rules.yaml"
    path.write_text("sheets:\n  - a\n  b: [\n", encoding="utf-8")
    for _ in range(2):
        with pytest.raises(CypsError, match="line"):
            load_yaml(path)
    assert not list(cache.glob("yaml-*.marshal"))


def test_the_folder_keeps_only_the_most_recent_files(tmp_path, cache, monkeypatch):
    monkeypatch.setattr(yamlcache, "KEEP", 3)
    for n in range(6):
        path = tmp_path / f"rules{n}.yaml"
        path.write_text(f"n: {n}\n", encoding="utf-8")
        load_yaml(path)
    assert len(list(cache.glob("yaml-*.marshal"))) == 3
