"""The built add-in: its ribbon loads, every button names a Sub that exists, and the VBA is macros/*.bas."""
import random
import re
import zipfile

import pytest
from lxml import etree

from cyps_xl.ovba import compress
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
    for bas in sorted((ROOT / "macros").glob("*.bas")):
        assert normalise(modules[bas.stem]) == normalise(bas.read_text(encoding="utf-8"))
    assert "Public Function RunPython" in modules["xlwings"]
    assert 'PROJECT_NAME As String = "cyps_xl"' in modules["xlwings"]
    for bas in (ROOT / "macros").glob("*.bas"):
        for call in re.findall(r'RunPython "import cyps_xl; cyps_xl\.(\w+)\(\)"', bas.read_text(encoding="utf-8")):
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


def test_install_explains_what_to_do_off_windows(addin):
    result = run_cli("addin", "install", addin)
    assert result.returncode == 0
    assert "%APPDATA%\\Microsoft\\AddIns" in result.stdout or "Installed" in result.stdout
