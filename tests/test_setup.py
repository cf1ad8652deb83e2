"""Issue #30: one set of settings for the add-in's VBA and for Python, ``cyps-xl doctor`` and the ribbon's Check
set-up, versions that agree, the name Excel lists, and a build IT can sign once.

No Excel or Windows here: the VBA side is read from the built add-in's source, its reading order and paths
worked out from that text; the Windows folders are made under a temporary folder.
"""
import re
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT, run_cli
from cyps_xl.excel import addin, doctor, settings


def vba_function(text: str, name: str) -> str:
    start = re.search(rf"^(?:Public |Private )?Function {name}\(", text, re.M)
    return text[start.start(): text.index("End Function", start.start())]


def live_lines(body: str, mac: bool = False):
    """The lines of a VBA body that run on Windows Excel: #If branches chosen, and nothing under 'If False Then'."""
    out, pre, blocks = [], [], []
    for line in body.splitlines():
        text = line.strip()
        if text.startswith("#If "):
            pre.append(("Mac" in text) == mac or 'App = "Microsoft Excel"' in text)
            continue
        if text.startswith("#Else"):
            pre[-1] = not pre[-1]
            continue
        if text.startswith("#End If"):
            pre.pop()
            continue
        if not all(pre):
            continue
        if re.match(r"If .* Then(\s*'.*)?$", text):
            blocks.append(text.startswith("If False Then"))
        elif text == "End If":
            blocks.pop()
        elif not any(blocks):
            out.append(text)
        if re.match(r"If .* Then(\s*'.*)?$", text) and not any(blocks[:-1]) and not blocks[-1]:
            out.append(text)
    return out


def vba_string(expression: str, environ: dict) -> str:
    """A VBA string expression of literals, Environ("X") and PROJECT_NAME joined with &."""
    value = ""
    for term in (t.strip() for t in expression.split("&")):
        if term.startswith('"'):
            value += term[1:-1].replace('""', '"')
        elif term == "PROJECT_NAME":
            value += addin.PROJECT_NAME
        else:
            value += environ[re.fullmatch(r'Environ\("(\w+)"\)', term).group(1)]
    return value


def vba_layers(environ: dict) -> list:
    """The settings files the add-in's GetConfig reads, in order, as paths worked out from its VBA text."""
    text = addin.xlwings_module_source()
    layers = []
    for line in live_lines(vba_function(text, "GetConfig")):
        found = re.search(r"GetConfigFromFile\((\w+)\(\),", line)
        assert "GetConfigFromSheet" not in line, "the add-in reads a workbook's settings sheet"
        if found:
            body = live_lines(vba_function(text, found.group(1)))
            assignment = next(l for l in body if l.startswith(f"{found.group(1)} = "))
            layers.append(vba_string(assignment.split("=", 1)[1], environ))
    return layers


def windows(path) -> str:
    return str(path).replace("/", "\\")


def test_vba_and_python_read_the_same_settings_files_in_the_same_order():
    environ = {"USERPROFILE": r"C:\Users\ann", "PROGRAMDATA": r"C:\ProgramData", "APPDATA": r"C:\Users\ann\AppData"}
    python = [windows(p) for _, p in settings.setting_files(environ, "win32")]
    assert vba_layers(environ) == python == [r"C:\Users\ann\.cyps_xl\cyps_xl.conf", r"C:\ProgramData\cyps_xl\cyps_xl.conf"]


def test_vba_and_python_give_the_same_value_over_the_same_files(tmp_path, monkeypatch):
    """Keys in any case, the first line of a key wins in a file, the user's file before the machine's."""
    user, machine = tmp_path / "user.conf", tmp_path / "machine.conf"
    user.write_text('"interpreter_win","C:\\Python\\pythonw.exe"\r\n"CYPS_RULES","%TEAM%\\rules"\r\n'
                    '"CYPS_RULES","second"\r\n', encoding="utf-8")
    machine.write_text('"INTERPRETER_WIN","C:\\IT\\pythonw.exe"\r\n"CYPS_BENCHMARKS","\\\\share\\dfe"\r\n',
                       encoding="utf-8")
    environ = {"USERPROFILE": r"C:\Users\ann", "PROGRAMDATA": r"C:\ProgramData", "TEAM": r"S:\CYPS"}
    local = dict(zip(vba_layers(environ), (user, machine)))

    def vba_get_config(key):  # GetConfig: each layer in turn, GetConfigFromFile's first match, %X% expanded
        for layer in vba_layers(environ):
            for line in local[layer].read_text(encoding="utf-8").splitlines():
                name, value = [part.strip('"') for part in line.split('","')]
                if name.lower() == key.lower():
                    return re.sub(r"%(\w+)%", lambda m: environ.get(m.group(1), m.group(0)), value)
        return None

    python_files = [(name, local[windows(path)]) for name, path in settings.setting_files(environ, "win32")]
    monkeypatch.setattr(settings, "setting_files", lambda *a, **k: python_files)
    for key in ("INTERPRETER_WIN", "CYPS_RULES", "CYPS_BENCHMARKS", "NOT_SET"):
        assert settings.lookup(key, environ)[0] == vba_get_config(key), key
    assert settings.lookup("CYPS_RULES", environ)[0] == r"S:\CYPS\rules"


def test_install_builds_against_this_xlwings_and_writes_the_one_settings_file(tmp_path, monkeypatch):
    import xlwings

    environ = {"APPDATA": str(tmp_path / "AppData"), "USERPROFILE": str(tmp_path / "ann"),
               "PROGRAMDATA": str(tmp_path / "ProgramData")}
    rules = tmp_path / "team rules"
    rules.mkdir()
    (tmp_path / "ann" / ".cyps_xl").mkdir(parents=True)
    (tmp_path / "ann" / ".cyps_xl" / "cyps_xl.conf").write_text('"SHOW CONSOLE","True"\r\n"INTERPRETER_WIN","old"\r\n')
    message = addin.install_addin(rules=rules, environ=environ, platform="win32")
    built = tmp_path / "AppData" / "Microsoft" / "AddIns" / "cyps_xl.xlam"
    assert addin.built_with(built) == xlwings.__version__ and built.name in message
    written = settings.read_file(tmp_path / "ann" / ".cyps_xl" / "cyps_xl.conf", environ)
    assert written == {"SHOW CONSOLE": "True", "INTERPRETER_WIN": settings.interpreter_for_excel(),
                       "CYPS_RULES": str(rules.resolve())}
    assert settings.lookup("INTERPRETER_WIN", environ, "win32")[0] == sys.executable
    # IT's machine-wide file, for every user
    addin.install_addin(environ=environ, platform="win32", machine=True)
    assert settings.read_file(tmp_path / "ProgramData" / "cyps_xl" / "cyps_xl.conf")["INTERPRETER_WIN"] == sys.executable


def test_install_refuses_an_addin_built_with_another_xlwings(tmp_path):
    built = addin.build_addin(tmp_path / "cyps_xl.xlam")
    with zipfile.ZipFile(built) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    parts["docProps/core.xml"] = re.sub(rb"built with xlwings [0-9.]+", b"built with xlwings 0.30.0", parts["docProps/core.xml"])
    old = tmp_path / "old.xlam"
    with zipfile.ZipFile(old, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    environ = {"APPDATA": str(tmp_path / "AppData"), "USERPROFILE": str(tmp_path / "ann")}
    with pytest.raises(addin.CypsError, match=r"was built with xlwings 0\.30\.0, but this Python has xlwings"):
        addin.install_addin(old, environ=environ, platform="win32")
    assert not (tmp_path / "AppData").exists() and not (tmp_path / "ann").exists()  # nothing written


def test_on_a_mac_install_says_to_use_xlwings_lite():
    with pytest.raises(addin.CypsError) as caught:
        addin.install_addin(environ={}, platform="darwin")
    assert "Excel for Mac" in str(caught.value) and "xlwings Lite" in str(caught.value)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "On a Mac" in readme and "Excel without Python (xlwings Lite)" in readme


def _book(template, tmp_path):
    import shutil

    from fakexl import FakeBook

    card = tmp_path / "card.xlsx"
    shutil.copyfile(template, card)
    return FakeBook(card)


def test_a_button_of_an_addin_built_with_another_xlwings_stops_naming_both_and_the_fix(template, tmp_path):
    import xlwings

    from cyps_xl.excel import ribbon

    book = _book(template, tmp_path)
    before = (tmp_path / "card.xlsx").read_bytes()
    assert ribbon.refresh_ratings(book, built_with="0.30.0") is None
    prompt = book.app.alerts[-1]["prompt"]
    assert f"built with xlwings 0.30.0, but this Python has xlwings {xlwings.__version__}" in prompt
    assert "cyps-xl addin install" in prompt and book.app.alerts[-1]["mode"] == "critical"
    assert (tmp_path / "card.xlsx").read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["card.xlsx"]


def test_doctor_says_what_is_missing_and_fails(tmp_path):
    env = {"HOME": str(tmp_path), "USERPROFILE": str(tmp_path)}
    done = run_cli("doctor", env_extra=env)
    assert done.returncode == 2
    lines = done.stdout.splitlines()
    assert lines[0] == "cyps-xl set-up: 2 problem(s) to fix."
    assert lines[1].startswith("[FAIL] settings: no settings file") and "cyps-xl addin install" in lines[1]
    assert lines[2].startswith("[FAIL] interpreter: none is set (INTERPRETER_WIN)") and "Microsoft Store" in lines[2]
    assert any(line.startswith("[ok] trial rating: 96.9% against <87% / 87%+ / 95%+ is Green") for line in lines)


def test_doctor_with_the_settings_install_writes_passes(tmp_path):
    home = tmp_path / "home"
    settings.write_settings(home / ".cyps_xl" / "cyps_xl.conf", {"INTERPRETER_WIN": sys.executable,
                                                                  "CYPS_RULES": str(ROOT / "rules")})
    done = run_cli("doctor", "--workbook", ROOT / "tests" / "fixtures" / "other_tools" / "scorecard_saved_by_libreoffice_7.4.xlsx",
                   env_extra={"HOME": str(home)})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "[ok] interpreter: " + sys.executable + " runs, with cyps-xl" in done.stdout
    assert "[ok] cyps_xl imported: " in done.stdout and "[ok] rules: 113 indicators from " in done.stdout


def test_doctor_fails_a_cyps_xl_that_is_not_the_installed_package(tmp_path):
    """A cyps_xl planted where the add-in starts Python (the interpreter's folder) would run instead of the package."""
    folder = tmp_path / "python"
    (folder / "cyps_xl").mkdir(parents=True)
    (folder / "cyps_xl" / "__init__.py").write_text("__version__ = '9.9'\n")
    wrapper = folder / "python"
    wrapper.write_text(f"#!/bin/sh\ncd '{folder}'\nexec '{sys.executable}' \"$@\"\n")
    wrapper.chmod(0o755)
    probe = doctor.run_probe(str(wrapper))
    assert probe["version"] == "9.9"
    finding = doctor._which_cyps_xl({**probe, "executable": str(wrapper)}, None)
    assert finding.status == doctor.FAIL and "not the installed cyps-xl package" in finding.found


def test_check_setup_button_reports_in_a_message_box(template, tmp_path, monkeypatch):
    import xlwings

    from cyps_xl.excel import ribbon

    monkeypatch.setenv("HOME", str(tmp_path))
    book = _book(template, tmp_path)
    findings = ribbon.check_setup(book, built_with="0.30.0")
    alert = book.app.alerts[-1]
    assert alert["title"] == "cyps-xl: Check set-up" and alert["mode"] == "critical"
    assert f"[FAIL] xlwings: the add-in was built with xlwings 0.30.0, this Python has {xlwings.__version__}." in alert["prompt"]
    assert "[ok] interpreter: " in alert["prompt"] and "(running this check)" in alert["prompt"]
    assert [f.what for f in findings][:3] == ["settings", "interpreter", "cyps_xl imported"]


def test_readme_names_the_addin_as_excel_lists_it(tmp_path):
    built = addin.build_addin(tmp_path / "cyps_xl.xlam")
    with zipfile.ZipFile(built) as z:
        title = re.search(r"<dc:title>(.*?)</dc:title>", z.read("docProps/core.xml").decode()).group(1)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    # wherever README sends the user to Excel's Add-ins dialog, the name to tick is the title it lists
    ticked = re.findall(r"Manage: Excel Add-ins\*?,\s+\*?Go\*?,\s+tick\s+\*\*([^*]+)\*\*", readme)
    assert len(ticked) >= 2 and set(ticked) == {title} == {addin.TITLE}


def test_the_same_versions_build_the_same_bytes_and_the_file_says_them(tmp_path):
    import random

    import xlwings

    import cyps_xl

    state = random.getstate()
    first = addin.build_addin(tmp_path / "a.xlam").read_bytes()
    second = addin.build_addin(tmp_path / "b.xlam").read_bytes()
    assert first == second and random.getstate() == state  # and the caller's random stream is as it was
    with zipfile.ZipFile(tmp_path / "a.xlam") as z:
        core = z.read("docProps/core.xml").decode()
    assert f"<cp:version>{cyps_xl.__version__}</cp:version>" in core
    assert addin.built_with(tmp_path / "a.xlam") == xlwings.__version__
    import hashlib

    done = run_cli("addin", "build", "-o", tmp_path / "c.xlam")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith(f"(cyps-xl {cyps_xl.__version__}, xlwings {xlwings.__version__}; SHA-256 "
                                        f"{hashlib.sha256(first).hexdigest()})")


def test_diagnose_in_process_reports_each_point(tmp_path):
    """The same checks as the command, called directly: the interpreter run, a bad rules folder, an add-in
    built with another xlwings, and the Mark of the Web (a Zone.Identifier stream, here a file of that name)."""
    import xlwings

    home, appdata = tmp_path / "home", tmp_path / "AppData"
    settings.write_settings(home / ".cyps_xl" / "cyps_xl.conf", {"INTERPRETER_WIN": sys.executable})
    environ = {"HOME": str(home), "USERPROFILE": str(home), "APPDATA": str(appdata),
               "CYPS_XL_RULES": str(tmp_path / "no rules")}
    findings = {f.what: f for f in doctor.diagnose(environ=environ, platform="linux")}
    assert findings["interpreter"].status == doctor.OK and sys.executable in findings["interpreter"].found
    assert findings["rules"].status == doctor.FAIL and "rules not found" in findings["rules"].found
    assert findings["xlwings"].status == doctor.NOTE
    # Windows: the installed add-in says which xlwings built it; the workbook came from the internet
    (appdata / "Microsoft" / "AddIns").mkdir(parents=True)
    built = addin.build_addin(appdata / "Microsoft" / "AddIns" / "cyps_xl.xlam")
    card = tmp_path / "card.xlsx"
    card.write_bytes(b"")
    Path(f"{card}:Zone.Identifier").write_text("[ZoneTransfer]\r\nZoneId=3\r\n")
    environ.pop("CYPS_XL_RULES")
    found = doctor.diagnose(card, environ=environ, platform="win32", probe={**doctor.here(), "xlwings": "0.30.0"})
    text = doctor.report_text(found)
    assert f"[FAIL] xlwings: the add-in was built with xlwings {xlwings.__version__}, this Python has 0.30.0." in text
    assert f"[FAIL] the workbook trusted: {card} came from the internet (Mark of the Web)" in text and "Unblock" in text
    assert f"[ok] the add-in trusted: {built} has no Mark of the Web" in text
    bad = tmp_path / "missing-python"
    settings.write_settings(home / ".cyps_xl" / "cyps_xl.conf", {"INTERPRETER_WIN": str(bad)})
    findings = {f.what: f for f in doctor.diagnose(environ=environ, platform="linux")}
    assert findings["interpreter"].status == doctor.FAIL and "does not run" in findings["interpreter"].found


def test_check_setup_that_fails_unexpectedly_is_one_alert_and_a_log(template, tmp_path, monkeypatch):
    from cyps_xl.excel import ribbon

    book = _book(template, tmp_path)
    monkeypatch.setattr(doctor, "diagnose", lambda *a, **k: 1 / 0)
    assert ribbon.check_setup(book) is None
    alert = book.app.alerts[-1]
    assert alert["prompt"].startswith("cyps-xl could not finish Check set-up: ZeroDivisionError")
    assert "cyps-xl.log" in alert["prompt"] and (tmp_path / "cyps-xl.log").is_file()
