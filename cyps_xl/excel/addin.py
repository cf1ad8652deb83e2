"""``cyps-xl addin build`` and ``install``: the Excel add-in with the CYPS ribbon tab.

The add-in is assembled from sources kept in ``macros/``:

* ``ribbon.xml`` - the CYPS tab (customUI), loaded from the package's root relationship;
* ``CYPS.bas``   - the ribbon callbacks, each calling ``RunPython`` on one ``cyps_xl`` function;
* xlwings' own ``xlwings_custom_addin.bas`` (from the installed xlwings, with its project
  name set to ``cyps_xl``), which provides ``RunPython``.

Why ms-ovba rather than xlwings' ribbon template: the template's VBA project is
compiled by Excel and has a single callback (``RibbonMyAddin.RunMain``); giving
each button its own Sub means writing a new VBA project.  ms-ovba writes
``vbaProject.bin`` from ``.bas`` sources with no compiled p-code (the
``_VBA_PROJECT`` stream carries version 0xFFFF), which the MS-OVBA
specification says Excel must ignore and recompile from source on first load;
the tests read the result back with oletools to check every module and Sub.
Its compressor is replaced by :mod:`cyps_xl.excel.ovba`, which is checked against
oletools' decompressor.
It targets Excel for Windows. On a Mac the add-in cannot run: xlwings' module declares a
``Dictionary`` (a class module xlwings ships for the Mac) that ms-ovba cannot write, so the project would
not compile; a Mac uses the xlwings Lite front door instead (README, "Excel without Python").

The build is reproducible: the same cyps-xl and xlwings give the same bytes (zip dates fixed, the VBA
project's protection fields seeded from the versions), and the file says both versions in its properties
(``built_with``), so IT signs a file once and knows when it has changed.
"""
from __future__ import annotations

import os
import random
import re
import shutil
import sys
import tempfile
import uuid
from pathlib import Path

from cyps_xl.errors import CypsError
from cyps_xl.resources import MACROS
PROJECT_NAME = "cyps_xl"
ADDIN_NAME = "cyps_xl.xlam"
TITLE = "cyps-xl"  # what Excel's Add-ins dialog lists (docProps/core.xml); README says the same (a test checks)
RIBBON_REL = "http://schemas.microsoft.com/office/2006/relationships/ui/extensibility"

CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>
<Override PartName="/xl/workbook.xml" ContentType="application/vnd.ms-excel.addin.macroEnabled.main+xml"/>
<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>
<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>
<Override PartName="/xl/theme/theme1.xml" ContentType="application/vnd.openxmlformats-officedocument.theme+xml"/>
<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>
</Types>"""
ROOT_RELS = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>
<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>
<Relationship Id="rId3" Type="{RIBBON_REL}" Target="customUI/customUI.xml"/>
</Relationships>"""
WORKBOOK = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<workbookPr codeName="ThisWorkbook"/>
<bookViews><workbookView visibility="hidden"/></bookViews>
<sheets><sheet name="cyps_xl" sheetId="1" r:id="rId1"/></sheets>
</workbook>"""
WORKBOOK_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>
<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>
<Relationship Id="rId3" Type="http://schemas.microsoft.com/office/2006/relationships/vbaProject" Target="vbaProject.bin"/>
<Relationship Id="rId4" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/theme" Target="theme/theme1.xml"/>
</Relationships>"""
SHEET = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetPr codeName="Sheet1"/><sheetData/></worksheet>"""
STYLES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>
<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>
</styleSheet>"""
CORE = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/">
<dc:title>{title}</dc:title><dc:creator>cyps-xl</dc:creator><dc:description>{description}</dc:description><cp:version>{version}</cp:version></cp:coreProperties>"""
BUILT_WITH = re.compile(r"built with xlwings ([0-9][^ <;]*)")


# What a scorecard received from elsewhere must not decide: xlwings' module would take the interpreter, the Python
# path and the OneDrive folders from the open workbook's cyps_xl.conf sheet or a cyps_xl.conf file beside it, and
# put the workbook's folder first on sys.path (a cyps_xl.py planted there would run instead of the package). In
# the add-in they come from the user's own settings only (the add-in's sheet, %USERPROFILE%\.cyps_xl\cyps_xl.conf).
NOT_FROM_THE_WORKBOOK = (
    ('If SheetExists(ActiveWorkbook, PROJECT_NAME & ".conf") = True Then',
     "If False Then ' cyps-xl: never the open workbook's settings (see cyps_xl/excel/addin.py)"),
    ("If FileExists(GetDirectoryConfigFilePath()) = True Then",
     "If False Then ' cyps-xl: never a settings file beside the workbook"),
    ('AddExcelDir = GetConfig("ADD_WORKBOOK_TO_PYTHONPATH", "true")',
     'AddExcelDir = "false" \' cyps-xl: the workbook\'s folder is never on the Python path'),
    # One set of settings for VBA and Python (cyps_xl/excel/settings.py): the user's file, then the machine's
    # file that IT writes for every user, and nothing else.
    ('If SheetExists(ThisWorkbook, PROJECT_NAME & ".conf") = True Then',
     "If False Then ' cyps-xl: no settings sheet in the add-in either: the settings files only"),
    ("    ' Defaults\n    GetConfig = default\n",
     "    ' Machine Config (cyps-xl: %PROGRAMDATA%\\cyps_xl\\cyps_xl.conf, written by IT for every user)\n"
     "    If source = \"\" Or source = \"machine\" Then\n"
     "        If FileExists(GetMachineConfigFilePath()) = True Then\n"
     "            If GetConfigFromFile(GetMachineConfigFilePath(), configKey, configValue) Then\n"
     "                GetConfig = configValue\n"
     "                GetConfig = ExpandEnvironmentStrings(GetConfig)\n"
     "                Exit Function\n"
     "            End If\n"
     "        End If\n"
     "    End If\n\n"
     "    ' Defaults\n    GetConfig = default\n"),
    ("Function GetDirectoryConfigFilePath() As String\n",
     "Function GetMachineConfigFilePath() As String\n"
     "    ' cyps-xl: the machine-wide settings file (the same path as cyps_xl/excel/settings.py)\n"
     "    #If Mac Then\n"
     "        GetMachineConfigFilePath = \"/etc/\" & PROJECT_NAME & \"/\" & PROJECT_NAME & \".conf\"\n"
     "    #Else\n"
     "        GetMachineConfigFilePath = Environ(\"PROGRAMDATA\") & \"\\\" & PROJECT_NAME & \"\\\" & PROJECT_NAME & \".conf\"\n"
     "    #End If\n"
     "End Function\n\n"
     "Function GetDirectoryConfigFilePath() As String\n"),
)


def xlwings_module_source() -> str:
    """xlwings' VBA for custom add-ins, named for this project (so its config sheet is cyps_xl.conf), taking no
    setting from the open workbook or its folder (NOT_FROM_THE_WORKBOOK)."""
    import xlwings

    path = Path(xlwings.__file__).parent / "xlwings_custom_addin.bas"
    text = path.read_text(encoding="utf-8", errors="replace").replace("\r\n", "\n")
    text = text.replace('PROJECT_NAME As String = "myaddin"', f'PROJECT_NAME As String = "{PROJECT_NAME}"')
    for found, safe in NOT_FROM_THE_WORKBOOK:
        if found not in text:
            raise CypsError(f"the installed xlwings ({xlwings.__version__}) has VBA this version of cyps-xl does not "
                            "know how to make safe.", hint="Install an xlwings release cyps-xl supports "
                                                            "(python -m pip install \"xlwings<0.38\").")
        text = text.replace(found, safe)
    return text


def build_vba_project(modules: dict[str, str]) -> bytes:
    """vbaProject.bin from module name -> VBA source, with ms-ovba (it writes into the current folder)."""
    try:
        import ms_ovba
        from ms_ovba.Models.Entities.doc_module import DocModule
        from ms_ovba.Models.Entities.reference import Reference
        from ms_ovba.Models.Entities.reference_registered import ReferenceRegistered
        from ms_ovba.Models.Entities.std_module import StdModule
        from ms_ovba.Models.Fields.libid_reference import LibidReference
        from ms_ovba.Views.project_ole_file import ProjectOleFile
        from ms_ovba.vbaProject import VbaProject
    except ImportError:
        raise CypsError("building the add-in needs the ms-ovba package.", hint="Run: python -m pip install ms-ovba") from None
    from ms_ovba_compression.ms_ovba import MsOvba

    from cyps_xl.excel.ovba import compress

    blanks = Path(ms_ovba.__file__).parent / "blank_files"
    here = os.getcwd()
    original = MsOvba.compress
    state = random.getstate()
    # ms-ovba-crypto draws the protection fields' seeds from random: seeded from the versions, a build is
    # byte for byte the same each time (and the user's random stream is given back as it was)
    random.seed(f"cyps-xl {_versions()}")
    with tempfile.TemporaryDirectory() as folder:
        os.chdir(folder)
        MsOvba.compress = lambda self, data: compress(data)  # see cyps_xl/ovba.py for why
        try:
            project = VbaProject()
            project.project_id = "{" + str(uuid.uuid5(uuid.NAMESPACE_URL, "cyps-xl-addin")).upper() + "}"
            # As Excel writes a project: the PROJECTwm stream (module names in Unicode), the
            # PROJECTCOMPATVERSION record in dir, VersionCompatible32 and a [Workspace] line a module.
            project.include_projectwm()
            project.include_compat()
            project.add_attribute("VersionCompatible32", "393222000")
            for name, blank, guid in (("ThisWorkbook", "ThisWorkbook.cls", "0002081900000000C000000000000046"),
                                      ("Sheet1", "Sheet1.cls", "0002082000000000C000000000000046")):
                module = DocModule(name)
                # a copy here: ms_ovba appends its work to files beside the one it is given, which would grow
                # the installed package's blanks (and the add-in's modules) with every build
                shutil.copyfile(blanks / blank, Path(folder) / blank)
                module.add_file(str(Path(folder) / blank))
                module.add_guid(uuid.UUID(guid))
                module.normalize_file()
                module.add_workspace(0, 0, 0, 0, "C")
                project.add_module(module)
            for name, source in modules.items():
                file = Path(folder) / f"{name}.bas"
                file.write_bytes(source.replace("\r\n", "\n").replace("\n", "\r\n").encode("cp1252", errors="replace"))
                module = StdModule(name)
                module.add_file(str(file))
                module.normalize_file()
                module.add_workspace(0, 0, 0, 0, "C")
                project.add_module(module)
            project.add_reference(Reference(ReferenceRegistered(LibidReference(
                uuid.UUID("0002043000000000C000000000000046"), "2.0", "0",
                "C:\\Windows\\System32\\stdole2.tlb", "OLE Automation")), "stdole"))
            project.add_reference(Reference(ReferenceRegistered(LibidReference(
                uuid.UUID("2DF8D04C5BFA101BBDE500AA0044DE52"), "2.0", "0",
                r"C:\Program Files\Common Files\Microsoft Shared\OFFICE16\MSO.DLL",
                "Microsoft Office 16.0 Object Library")), "Office"))
            ProjectOleFile.write_file(project)
            return (Path(folder) / "vbaProject.bin").read_bytes()
        finally:
            MsOvba.compress = original
            random.setstate(state)
            os.chdir(here)


def _theme() -> bytes:
    """Office's default theme (a workbook part Excel expects; openpyxl ships the text)."""
    from openpyxl.writer.theme import theme_xml

    return theme_xml.encode("utf-8")


def build_addin(output: Path, force: bool = False) -> Path:
    from cyps_xl.workbook.outputs import may_replace
    from cyps_xl.workbook.saving import write_zip_atomically

    output = Path(output)
    if output.suffix.lower() != ".xlam":
        raise CypsError("the add-in must be an .xlam file.", file=output, hint="For example: -o cyps_xl.xlam")
    may_replace(output, force)
    ribbon = (MACROS / "ribbon.xml").read_bytes()
    members = addin_members(ribbon)
    write_zip_atomically(output, members)
    from cyps_xl.workbook.outputs import remember

    remember(output)
    return output


def _versions() -> str:
    import xlwings

    import cyps_xl

    return f"{cyps_xl.__version__}; built with xlwings {xlwings.__version__}"


def addin_members(ribbon: bytes) -> dict:
    """The add-in's parts: the ribbon, the VBA (CYPS.bas knowing the xlwings it was built with), the properties."""
    import xlwings

    import cyps_xl

    modules = {"xlwings": xlwings_module_source()}
    for bas in sorted(MACROS.glob("*.bas")):
        modules[bas.stem] = bas.read_text(encoding="utf-8").replace("{XLWINGS_VERSION}", xlwings.__version__)
    core = CORE.format(title=TITLE, description=f"cyps-xl {_versions()}", version=cyps_xl.__version__)
    return {
        "[Content_Types].xml": CONTENT_TYPES.encode(),
        "_rels/.rels": ROOT_RELS.encode(),
        "docProps/core.xml": core.encode(),
        "xl/workbook.xml": WORKBOOK.encode(),
        "xl/_rels/workbook.xml.rels": WORKBOOK_RELS.encode(),
        "xl/worksheets/sheet1.xml": SHEET.encode(),
        "xl/styles.xml": STYLES.encode(),
        "xl/theme/theme1.xml": _theme(),
        "xl/vbaProject.bin": build_vba_project(modules),
        "customUI/customUI.xml": ribbon,
    }


def built_with(addin: Path) -> str | None:
    """The xlwings a built add-in was made with (its properties say), or None for a file that does not say."""
    import zipfile

    try:
        with zipfile.ZipFile(addin) as package:
            found = BUILT_WITH.search(package.read("docProps/core.xml").decode("utf-8", "replace"))
    except (OSError, KeyError, zipfile.BadZipFile):
        return None
    return found.group(1) if found else None


def addin_folder(environ=None, platform: str | None = None) -> Path | None:
    environ = os.environ if environ is None else environ
    if (platform or sys.platform) == "win32" and environ.get("APPDATA"):
        return Path(environ["APPDATA"]) / "Microsoft" / "AddIns"
    return None


def install_addin(addin: Path | None = None, *, rules=None, benchmarks=None, machine: bool = False, environ=None,
                  platform: str | None = None, executable: str | None = None) -> str:
    """Build the add-in against this Python's xlwings into Excel's add-in folder (or check a built one was), and
    write the settings file both sides read: this interpreter, and the rules and benchmarks folders."""
    import xlwings

    from cyps_xl.excel import settings

    environ = os.environ if environ is None else environ
    platform = platform or sys.platform
    if platform == "darwin":
        raise CypsError("nothing was installed: the add-in's VBA does not compile in Excel for Mac.",
                        hint="On a Mac use xlwings Lite: see README, 'Excel without Python' (cyps-xl lite).")
    if addin is not None and not Path(addin).exists():
        raise CypsError("add-in not found.", file=addin, hint="Build it first, or run 'cyps-xl addin install' with no "
                                                              "file: it builds one against this Python's xlwings.")
    folder = addin_folder(environ, platform)
    if folder is None:  # a non-zero exit: a script that installs must not think it did
        raise CypsError(
            "nothing was installed: Excel add-ins are installed on Windows.",
            hint="On the Windows PC run 'cyps-xl addin install' (it builds the add-in and writes your settings), "
                 "or copy cyps_xl.xlam to %APPDATA%\\Microsoft\\AddIns and tick it under "
                 "File > Options > Add-ins > Manage: Excel Add-ins > Go.")
    if addin is not None:
        addin = Path(addin)
        made_with = built_with(addin)
        if made_with != xlwings.__version__:
            raise CypsError(f"was built with xlwings {made_with or 'of an unknown version'}, but this Python "
                            f"has xlwings {xlwings.__version__}.", file=addin,
                            hint="Run 'cyps-xl addin install' with no file: it builds the add-in against this xlwings.")
    values = {settings.INTERPRETER: settings.interpreter_for_excel(executable),
              "CYPS_RULES": str(Path(rules).resolve()) if rules else None,
              "CYPS_BENCHMARKS": str(Path(benchmarks).resolve()) if benchmarks else None}
    for key, given in (("CYPS_RULES", rules), ("CYPS_BENCHMARKS", benchmarks)):
        if given and not Path(given).exists():
            raise CypsError("not found.", file=given, place=f"--{key[5:].lower()}", hint="Give a folder that exists.")
    files = dict(settings.setting_files(environ, platform))
    written = settings.write_settings(Path(files["machine" if machine else "user"]), values)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / ADDIN_NAME
    if addin is not None:
        shutil.copyfile(addin, target)
    else:
        build_addin(target, force=True)
    return (f"Installed {target} (built with xlwings {xlwings.__version__}).\nSettings: {written} "
            f"({settings.INTERPRETER} = {values[settings.INTERPRETER]}).\n"
            f"In Excel: File > Options > Add-ins > Manage: Excel Add-ins > Go, tick '{TITLE}', then restart Excel: "
            "the CYPS tab appears on the ribbon. 'cyps-xl doctor' checks the set-up.")
