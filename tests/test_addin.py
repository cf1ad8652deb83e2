"""The built add-in: its ribbon loads, every button names a Sub that exists, and the VBA is macros/*.bas."""
import random
import re
import zipfile

import pytest
from lxml import etree

from cyps_xl.excel.ovba import compress
from conftest import ROOT, run_cli

olevba = pytest.importorskip("oletools.olevba")
CUSTOMUI = "{http://schemas.microsoft.com/office/2006/01/customui}"


@pytest.fixture(scope="module")
def addin(tmp_path_factory):
    out = tmp_path_factory.mktemp("addin") / "cyps_xl.xlam"
    result = run_cli("addin", "build", "-o", out)
    assert result.returncode == 0, result.stderr
    return out


def vba_modules(path):
    parser = olevba.VBA_Parser(str(path))
    try:
        return {name.rsplit(".", 1)[0]: code for _, _, name, code in parser.extract_macros()}
    finally:
        parser.close()


def normalise(code):
    lines = [line.rstrip() for line in code.replace("\r\n", "\n").split("\n") if not line.startswith("Attribute ")]
    return "\n".join(lines).strip()


def test_ribbon_loads_from_the_root_relationship(addin):
    with zipfile.ZipFile(addin) as z:
        rels = etree.fromstring(z.read("_rels/.rels"))
        ui = [r for r in rels if r.get("Type").endswith("/ui/extensibility")]
        assert len(ui) == 1
        ribbon = etree.fromstring(z.read(ui[0].get("Target")))
        content_types = z.read("[Content_Types].xml").decode()
    assert "application/vnd.ms-excel.addin.macroEnabled.main+xml" in content_types
    assert ribbon.tag == f"{CUSTOMUI}customUI"
    tab = ribbon.find(f"{CUSTOMUI}ribbon/{CUSTOMUI}tabs/{CUSTOMUI}tab")
    assert tab.get("label") == "CYPS"
    labels = {b.get("label") for b in tab.iter(f"{CUSTOMUI}button")}
    assert {"Produce issue", "Refresh ratings", "Check data", "Update benchmarks"} <= labels
    ids = [e.get("id") for e in ribbon.iter() if e.get("id")]
    assert len(ids) == len(set(ids))


def test_every_ribbon_action_names_a_sub_in_the_vba_project(addin):
    with zipfile.ZipFile(addin) as z:
        ribbon = etree.fromstring(z.read("customUI/customUI.xml"))
    actions = {b.get("onAction") for b in ribbon.iter(f"{CUSTOMUI}button")}
    subs = set()
    for code in vba_modules(addin).values():
        subs |= set(re.findall(r"^\s*(?:Public\s+)?Sub\s+(\w+)\s*\(\s*control\s+As\s+IRibbonControl\s*\)", code, re.M | re.I))
    assert actions and actions <= subs


def test_the_vba_in_the_addin_is_the_macros_sources(addin):
    modules = vba_modules(addin)
    import xlwings

    for bas in sorted((ROOT / "macros").glob("*.bas")):
        source = bas.read_text(encoding="utf-8").replace("{XLWINGS_VERSION}", xlwings.__version__)  # set at build
        assert normalise(modules[bas.stem]) == normalise(source)
    assert f'Const XLWINGS_BUILT As String = "{xlwings.__version__}"' in modules["CYPS"]
    assert "Public Function RunPython" in modules["xlwings"]
    assert 'PROJECT_NAME As String = "cyps_xl"' in modules["xlwings"]
    for bas in (ROOT / "macros").glob("*.bas"):
        calls = re.findall(r'RunPython "import cyps_xl; cyps_xl\.(\w+)\(built_with=\'" & XLWINGS_BUILT & "\'\)"',
                           bas.read_text(encoding="utf-8"))
        assert len(calls) == bas.read_text(encoding="utf-8").count('RunPython "') == 5
        for call in calls:
            import cyps_xl

            assert callable(getattr(cyps_xl, call))


@pytest.mark.parametrize("seed", range(8))
def test_vba_compression_round_trips_through_oletools(seed):
    rng = random.Random(seed)
    size = rng.choice([0, 1, 2, 3, 4095, 4096, 4097, 9000, 20000])
    alphabet = rng.choice([b"ab", b"Sub End If Then Dim As ", bytes(range(256))])
    data = bytes(rng.choice(alphabet) for _ in range(size))
    out = bytes(olevba.decompress_stream(bytearray(compress(data))))
    tail = len(data) % 4096
    if tail > 3640 and alphabet == bytes(range(256)):
        # an incompressible short last chunk is stored raw, zero-padded as MS-OVBA prescribes
        assert out == data + b"\0" * (4096 - tail)
    else:
        assert out == data


def test_install_off_windows_installs_nothing_says_what_to_do_and_fails(addin):
    result = run_cli("addin", "install", addin)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith("cyps-xl: error: nothing was installed: Excel add-ins are installed on Windows.")
    assert "%APPDATA%\\Microsoft\\AddIns" in result.stderr and len(result.stderr.strip().splitlines()) == 1


# -- a strict MS-OVBA reader, written from the specification ([MS-OVBA] 2.3), independent of ms-ovba --------
def _records(data: bytes):
    """dir stream records: Id (2 bytes), Size (4 bytes), Data; PROJECTVERSION (0x0009) has a fixed layout."""
    import struct

    position = 0
    while position < len(data):
        ident, size = struct.unpack_from("<HI", data, position)
        if ident == 0x0009:  # Reserved(4)=4, VersionMajor(4), VersionMinor(2)
            assert size == 4
            yield ident, data[position + 6:position + 12]
            position += 12
            continue
        yield ident, data[position + 6:position + 6 + size]
        position += 6 + size


def strict_vba_project(path):
    """Read vbaProject.bin as the specification lays it out; every check is an assertion."""
    import struct

    import olefile
    from oletools.olevba import decompress_stream

    with zipfile.ZipFile(path) as z:
        ole = olefile.OleFileIO(z.read("xl/vbaProject.bin"))
    streams = {"/".join(s) for s in ole.listdir()}
    assert {"PROJECT", "PROJECTwm", "VBA/dir", "VBA/_VBA_PROJECT"} <= streams
    # _VBA_PROJECT: Reserved1 0x61CC, Version 0xFFFF (no p-code: compile from source), Reserved2 0x00,
    # Reserved3 (ignored by readers), and no PerformanceCache after it
    head = ole.openstream("VBA/_VBA_PROJECT").read()
    assert struct.unpack_from("<HHB", head) == (0x61CC, 0xFFFF, 0x00) and len(head) == 7
    # dir: the records in the order 2.3.4.2 gives them
    records = list(_records(decompress_stream(bytearray(ole.openstream("VBA/dir").read()))))
    ids = [i for i, _ in records]
    assert ids[:2] == [0x0001, 0x004A], "PROJECTSYSKIND then PROJECTCOMPATVERSION"
    assert ids[2:5] == [0x0002, 0x0014, 0x0003], "PROJECTLCID, PROJECTLCIDINVOKE, PROJECTCODEPAGE"
    assert ids[-1] == 0x0010, "the dir stream ends with its Terminator"
    count = struct.unpack("<H", dict(records)[0x000F])[0]
    modules, current = [], None
    for ident, data in records:
        if ident == 0x0019:
            current = {"name": data.decode("cp1252")}
        elif ident == 0x001A:
            current["stream"] = data.decode("cp1252")
        elif ident == 0x0031:
            current["offset"] = struct.unpack("<I", data)[0]
        elif ident in (0x0021, 0x0022):
            current["kind"] = "procedural" if ident == 0x0021 else "document"
        elif ident == 0x002B:
            modules.append(current)
    assert len(modules) == count
    for module in modules:
        source = decompress_stream(bytearray(ole.openstream("VBA/" + module["stream"]).read()[module["offset"]:]))
        assert source.decode("cp1252").startswith(f'Attribute VB_Name = "{module["name"]}"')
    # PROJECT: CRLF lines in the order of 2.3.1
    project = ole.openstream("PROJECT").read().decode("cp1252")
    assert project.endswith("\r\n") and "\n" not in project.replace("\r\n", "")
    lines = project.split("\r\n")
    assert re.fullmatch(r'ID="\{[0-9A-F-]{36}\}"', lines[0])
    listed = [re.match(r"(?:Document|Module)=([^/]+)", line).group(1) for line in lines[1:] if re.match(r"(Document|Module)=", line)]
    assert sorted(listed) == sorted(m["name"] for m in modules)
    order = [line.split("=")[0] for line in lines if "=" in line and not line.startswith("&H")]
    after = order[order.index("Name"):order.index("Name") + 6]
    assert after == ["Name", "HelpContextID", "VersionCompatible32", "CMG", "DPB", "GC"]
    assert 'VersionCompatible32="393222000"' in lines
    workspace = lines[lines.index("[Workspace]") + 1:]
    assert sorted(line.split("=")[0] for line in workspace if line) == sorted(listed)
    # PROJECTwm: each module name in MBCS then UTF-16, ending with 0x0000
    wm = ole.openstream("PROJECTwm").read()
    assert wm.endswith(b"\x00\x00")
    names, position = [], 0
    while wm[position:position + 2] != b"\x00\x00":
        end = wm.index(b"\x00", position)
        name = wm[position:end].decode("cp1252")
        unicode_end = end + 1 + 2 * len(name)
        assert wm[end + 1:unicode_end].decode("utf-16-le") == name and wm[unicode_end:unicode_end + 2] == b"\x00\x00"
        names.append(name)
        position = unicode_end + 2
    assert sorted(names) == sorted(listed)
    return {m["name"]: m for m in modules}


def test_the_vba_project_is_laid_out_as_the_specification_and_excel_write_it(addin):
    modules = strict_vba_project(addin)
    assert set(modules) == {"ThisWorkbook", "Sheet1", "xlwings", "CYPS"}
    assert modules["CYPS"]["kind"] == "procedural" and modules["ThisWorkbook"]["kind"] == "document"
    # and oletools' olevba, the second reader, finds the same modules
    assert set(vba_modules(addin)) == set(modules)


def audit(path):
    """openxml-audit's findings (the Open XML SDK's schema and semantic checks), as (where, description)."""
    import json
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "openxml_audit", "-f", "microsoft365", "-o", "json", "-m", "0", str(path)],
                          capture_output=True, text=True, timeout=300)
    report = json.loads(done.stdout)[0]
    return sorted({(e.get("part") or e.get("path") or "", e.get("description", "")) for e in report["errors"]})


def test_openxml_audit_finds_no_error_in_the_addin(addin):
    pytest.importorskip("openxml_audit")
    assert audit(addin) == []


def test_building_the_addin_again_gives_the_same_project_and_writes_nothing_beside_the_installed_packages(tmp_path):
    """ms_ovba works in files beside the module files it is given, appending to them: given its own blank
    document modules, every build grew them (and the add-in's ThisWorkbook and Sheet1) and wrote into
    site-packages, which a user may not be able to write to."""
    import os

    ms_ovba = pytest.importorskip("ms_ovba")
    installed = os.path.dirname(ms_ovba.__file__)
    before = {os.path.join(d, f): os.stat(os.path.join(d, f)).st_mtime_ns for d, _, files in os.walk(installed)
              for f in files if "__pycache__" not in d}
    import olefile

    projects = []
    for n in range(3):
        result = run_cli("addin", "build", "-o", tmp_path / f"build{n}.xlam")
        assert result.returncode == 0, result.stderr
        with zipfile.ZipFile(tmp_path / f"build{n}.xlam") as z:
            ole = olefile.OleFileIO(z.read("xl/vbaProject.bin"))
        streams = {"/".join(s): ole.openstream(s).read() for s in ole.listdir()}
        # the protection fields are encrypted with a random seed, as Excel writes them: all else is the same
        streams["PROJECT"] = re.sub(rb'(CMG|DPB|GC)="[0-9A-F]*"', b"", streams["PROJECT"])
        projects.append(streams)
    assert projects[0] == projects[1] == projects[2]
    after = {os.path.join(d, f): os.stat(os.path.join(d, f)).st_mtime_ns for d, _, files in os.walk(installed)
             for f in files if "__pycache__" not in d}
    assert after == before
    modules = vba_modules(tmp_path / "build2.xlam")
    assert normalise(modules["ThisWorkbook"]).count("Option Explicit") <= 1 and len(modules["ThisWorkbook"]) < 2000
