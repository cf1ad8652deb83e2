"""What issuing removes from a package: formulas (frozen to their values), macros, the manager's name, links."""
from __future__ import annotations

from lxml import etree

from cyps_xl.workbook.parts import ACTIVE_CONTENT_RELS, AUTO_NAMES, NS_REL, EXTERNAL_LINK_REL, M, MACRO_REL_TYPES, NS_CT, WORKBOOK_XLSX_CT
from cyps_xl.cellref import column_letter
from cyps_xl.workbook.formulas import drop_calc_chain


class IssueCleaning:
    """Methods of :class:`cyps_xl.workbook.package.Package` that make the issued copy."""

    # -- whole-package changes for the issued copy ---------------------------
    def freeze_formulas(self) -> list[str]:
        """Every formula becomes its saved result when the sheets are written. Returns the cells that
        have no saved result (a formula cyps-xl writes a value over needs none)."""
        unsaved = []
        for sheet_name, part in self.sheet_parts.items():
            worksheet = self.worksheet(part)
            if not worksheet.has_formulas:
                continue
            for (row, column), formula in worksheet.formulas.items():
                if not formula.saved and column not in worksheet.values.get(row, ()):
                    unsaved.append(f"sheet '{sheet_name}', cell {column_letter(column)}{row}")
            worksheet.freeze = True
            self.touch(part)
        drop_calc_chain(self)
        return unsaved

    def drop_macros(self) -> list[str]:
        """Remove the VBA project, its signature and the ribbon; make it a plain .xlsx. Returns the ActiveX
        controls and OLE objects dropped with them (their parts), for the run report."""
        self._drop_related(self.workbook_part, MACRO_REL_TYPES)
        self._drop_related("", MACRO_REL_TYPES)
        ct = self.tree("[Content_Types].xml")
        for override in ct.findall(f"{{{NS_CT}}}Override"):
            if override.get("PartName") == "/" + self.workbook_part and "macroEnabled" in override.get("ContentType", ""):
                override.set("ContentType", WORKBOOK_XLSX_CT)
                self.touch("[Content_Types].xml")
        for name in [n for n in self.parts if n.lower().endswith("vbaproject.bin") or n.lower().startswith("customui")]:
            self.remove_part(name)
        return self._drop_active_content()

    def _drop_active_content(self) -> list[str]:
        """Excel 4 macro sheets, dialog sheets, Auto_Open/Auto_Close names, ActiveX controls and OLE objects.
        Returns the controls' and objects' parts dropped."""
        workbook = self.tree(self.workbook_part)
        _, rels = self.relationships(self.workbook_part)
        code_sheets = {rel.get("Id") for rel in (rels if rels is not None else []) if rel.get("Type") in ACTIVE_CONTENT_RELS}
        for entry in list(workbook.iterfind(f"{M}sheets/{M}sheet")):
            if entry.get(f"{{{NS_REL}}}id") in code_sheets:
                self.remove_sheet(entry.get("name"))  # its names and views follow, as for any removed sheet
        names = workbook.find(f"{M}definedNames")
        for defined in list(names if names is not None else []):
            if (defined.get("name") or "").lower() in AUTO_NAMES:
                names.remove(defined)
                self.touch(self.workbook_part)
        dropped = []
        for part in self.sheet_parts.values():
            _, rels = self.relationships(part)
            dropped_ids = {rel.get("Id") for rel in (rels if rels is not None else []) if rel.get("Type") in ACTIVE_CONTENT_RELS}
            gone = self._drop_related(part, ACTIVE_CONTENT_RELS)
            if gone:
                dropped += gone
                self._drop_control_entries(part, dropped_ids)
                self.touch(part)
        return dropped

    def _drop_control_entries(self, part: str, dropped_ids: set) -> None:
        """A dropped control's entry (in <controls> or <oleObjects>, Excel 2010's mc:AlternateContent wrapper and
        all) and its shape in the sheet's VML drawing go with it, so nothing in the issue points at nothing;
        a form button's entry (a ctrlProp, no code) stays."""
        root = self.tree(part)
        shapes, pictures = set(), set()
        for tag in ("controls", "oleObjects"):
            for holder in root.findall(f"{M}{tag}"):
                for entry in list(holder.iter(f"{M}control", f"{M}oleObject")):
                    if entry.get(f"{{{NS_REL}}}id") not in dropped_ids:
                        continue
                    if entry.get("shapeId"):
                        shapes.add(entry.get("shapeId"))
                    outer = entry
                    while outer is not None and outer.getparent() is not holder:  # mc:Choice/Fallback/AlternateContent
                        outer = outer.getparent()
                    if outer is None:
                        continue  # the Fallback twin of an entry whose wrapper went already
                    # the picture Excel shows for the control (its controlPr / objectPr r:id) goes with it
                    pictures |= {e.get(f"{{{NS_REL}}}id") for e in outer.iter() if e.get(f"{{{NS_REL}}}id")}
                    holder.remove(outer)
                if not len(holder):
                    root.remove(holder)
        rels_name, rels = self.relationships(part)
        for rel in list(rels if rels is not None else []):
            if rel.get("Id") in pictures - dropped_ids:
                rels.remove(rel)  # the part itself goes once nothing reaches it (drop_unreachable)
                self.touch(rels_name)
        if shapes:
            self._drop_vml_shapes(part, shapes)

    def _drop_vml_shapes(self, part: str, shape_ids: set) -> None:
        import re

        _, rels = self.relationships(part)
        for rel in list(rels if rels is not None else []):
            if rel.get("Type", "").endswith("/vmlDrawing") and rel.get("TargetMode") != "External":
                vml_part = self.resolve(part, rel.get("Target"))
                if vml_part not in self.parts:
                    continue
                text = self.parts[vml_part].decode("utf-8", errors="replace")
                # Excel numbers a shape in id="_x0000_s1025", or, when the id is the control's name
                # (id="CheckBox28"), in o:spid="_x0000_s2079"
                kept = re.sub(r'<v:shape\b(?=[^>]*\b(?:o:spid|id)="_x0000_s(\d+)")[^>]*>.*?</v:shape>',
                              lambda m: "" if m.group(1) in shape_ids else m.group(0), text, flags=re.S)
                if kept != text:
                    self.parts[vml_part] = kept.encode("utf-8")
                    if not re.search(r"<v:shape\b", kept):  # nothing left to draw: the drawing goes whole
                        self._drop_legacy_drawing(part, rel)
                        continue
                    # pictures only the dropped shapes showed: their relationships go (the parts then follow)
                    vml_rels_name, vml_rels = self.relationships(vml_part)
                    used = set(re.findall(r'(?:o:relid|r:id)="([^"]+)"', kept))
                    for vml_rel in list(vml_rels if vml_rels is not None else []):
                        if vml_rel.get("Type", "").endswith("/image") and vml_rel.get("Id") not in used:
                            vml_rels.remove(vml_rel)
                            self.touch(vml_rels_name)

    def _drop_legacy_drawing(self, part: str, rel) -> None:
        """The sheet's reference to a VML drawing with no shape left, and its relationship: the drawing and its
        pictures then go with the parts nothing reaches (drop_unreachable)."""
        root = self.tree(part)
        for element in root.findall(f"{M}legacyDrawing"):
            if element.get(f"{{{NS_REL}}}id") == rel.get("Id"):
                root.remove(element)
        rels_name, rels = self.relationships(part)
        rels.remove(rel)
        self.touch(rels_name)
        self.touch(part)

    def scrub_properties(self, created_by: str | None, title: str | None = None) -> None:
        """The workbook's author stays its author; it was last modified by the configured 'Created by' (the
        team), and its manager is not carried into a published copy. An issue's ``title`` is its report's (a PDF
        takes its title from here, and a screen reader announces it), and its language is British English."""
        core_ns = "http://schemas.openxmlformats.org/package/2006/metadata/core-properties"
        if title and "docProps/core.xml" in self.parts:
            core = self.tree("docProps/core.xml")
            dc = "http://purl.org/dc/elements/1.1/"
            for tag, text in (("title", title), ("language", "en-GB")):
                element = core.find(f"{{{dc}}}{tag}")
                if element is None:
                    element = etree.SubElement(core, f"{{{dc}}}{tag}")
                element.text = text
        app_ns = "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"
        if "docProps/core.xml" in self.parts:
            core = self.tree("docProps/core.xml")
            modified = core.findall(f"{{{core_ns}}}lastModifiedBy")
            for element in modified:
                if created_by:
                    element.text = created_by
                else:
                    core.remove(element)
            if created_by and not modified:
                etree.SubElement(core, f"{{{core_ns}}}lastModifiedBy").text = created_by
            self.touch("docProps/core.xml")
        if "docProps/app.xml" in self.parts:
            app = self.tree("docProps/app.xml")
            for element in app.findall(f"{{{app_ns}}}Manager"):
                app.remove(element)
            self.touch("docProps/app.xml")

    def drop_external_links(self) -> None:
        dropped = self._drop_related(self.workbook_part, {EXTERNAL_LINK_REL})
        if dropped:
            workbook = self.tree(self.workbook_part)
            refs = workbook.find(f"{M}externalReferences")
            if refs is not None:
                workbook.remove(refs)
            self.touch(self.workbook_part)

    def _drop_related(self, source: str, types: set) -> list[str]:
        rels_name, rels = self.relationships(source)
        dropped = []
        if rels is None:
            return dropped
        for rel in list(rels):
            if rel.get("Type") in types:
                if rel.get("TargetMode") != "External":
                    target = self.resolve(source, rel.get("Target"))
                    sub_rels = self.rels_name(target)
                    self.remove_part(target)
                    self.remove_part(sub_rels)
                    dropped.append(target)
                rels.remove(rel)
                self.touch(rels_name)
        return dropped

    def drop_unreachable(self) -> list[str]:
        """Parts no relationship reaches any more (a removed sheet's drawing's chart and picture): gone, so the
        file carries nothing of what was taken out. Returns their names."""
        reached, todo = set(), [""]
        while todo:
            source = todo.pop()
            rels_name, rels = self.relationships(source)
            if rels is None:
                continue
            reached.add(rels_name)
            for rel in rels:
                if rel.get("TargetMode") == "External":
                    continue
                target = self.resolve(source, rel.get("Target", ""))
                if target in self.parts and target not in reached:
                    reached.add(target)
                    todo.append(target)
        gone = [name for name in self.parts if name not in reached and name != "[Content_Types].xml"]
        for name in gone:
            self.remove_part(name)
        return gone
