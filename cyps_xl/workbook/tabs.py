"""What Excel meets when it opens what cyps-xl wrote: the tab it opens on, a recalculation it is asked for, and the
protection the team set.

Excel opens on ``workbookView/@activeTab`` and shows tabs from ``@firstSheet``; every sheet whose first sheet view
has ``tabSelected`` is selected with it. Two selected sheets open grouped (anything typed goes into both), and an
active tab on a hidden sheet shows a sheet the team hid. So whenever a run adds, moves or removes a sheet it settles
the views here: exactly one visible sheet is active and selected. Here too: ``calcPr/@fullCalcOnLoad`` for formulas
that read what a run wrote, and the refusal to write round a protected structure or sheet.
"""
from __future__ import annotations

from lxml import etree

from cyps_xl.workbook.parts import M, NS_REL, insert_in_order

CHARTSHEET_ORDER = ["sheetPr", "sheetViews", "sheetProtection", "customSheetViews", "pageMargins", "pageSetup",
                    "headerFooter", "drawing", "legacyDrawing", "legacyDrawingHF", "drawingHF", "picture",
                    "webPublishItems", "extLst"]


class Tabs:
    def settle_views(self, active: str | None = None, *, first: bool = False) -> str | None:
        """Make ``active`` (``first``: the first visible sheet, as an issue opens on its Summary; neither: the sheet
        Excel would open on, else the first visible one) the one active and selected sheet. Returns its name;
        None when the workbook shows no sheet."""
        workbook = self.tree(self.workbook_part)
        entries = list(workbook.iterfind(f"{M}sheets/{M}sheet"))
        visible = [i for i, e in enumerate(entries) if (e.get("state") or "visible") == "visible"]
        if not visible:
            return None
        views = list(workbook.iterfind(f"{M}bookViews/{M}workbookView"))
        names = [e.get("name") for e in entries]
        current = int(views[0].get("activeTab") or 0) if views else 0
        if first:
            chosen = visible[0]
        elif active in names and names.index(active) in visible:
            chosen = names.index(active)
        else:
            chosen = current if current in visible else visible[0]
        changed = False
        for view in views:
            first = int(view.get("firstSheet") or 0)
            wanted_first = first if first <= chosen and first in visible else chosen
            for attr, value in (("activeTab", chosen), ("firstSheet", wanted_first)):
                default = "0"
                if (view.get(attr) or default) != str(value):
                    if value == 0:
                        view.attrib.pop(attr, None)
                    else:
                        view.set(attr, str(value))
                    changed = True
        # a custom view (View > Custom Views) names its active sheet by sheetId: one it can no longer show is ours
        shown = {entries[i].get("sheetId") for i in visible}
        for custom in workbook.iterfind(f"{M}customWorkbookViews/{M}customWorkbookView"):
            if custom.get("activeSheetId") not in shown:
                custom.set("activeSheetId", entries[chosen].get("sheetId") or "1")
                changed = True
        if changed:
            self.touch(self.workbook_part)
        _, rels = self.relationships(self.workbook_part)
        targets = {rel.get("Id"): rel.get("Target") for rel in (rels if rels is not None else [])}
        for index, entry in enumerate(entries):
            target = targets.get(entry.get(f"{{{NS_REL}}}id"))
            if not target:
                continue
            part = self.resolve(self.workbook_part, target)
            if part not in self.parts and part not in self.sheet_parts.values():
                continue
            self._select(part, index == chosen)
        return names[chosen]

    def _select(self, part: str, selected: bool) -> None:
        root = self.tree(part)
        views = root.find(f"{M}sheetViews")
        view = views.find(f"{M}sheetView") if views is not None else None
        if view is None:
            if not selected:
                return
            if views is None:
                views = etree.Element(f"{M}sheetViews")
                chart = etree.QName(root).localname == "chartsheet"
                insert_in_order(root, views, CHARTSHEET_ORDER) if chart else insert_in_order(root, views)
            view = etree.SubElement(views, f"{M}sheetView", workbookViewId="0")
        if selected and view.get("tabSelected") not in ("1", "true"):
            view.set("tabSelected", "1")
            self.touch(part)
        elif not selected and view.get("tabSelected") is not None:
            del view.attrib["tabSelected"]
            self.touch(part)


def refuse_protected(package, *, adds_sheets: bool, sheets, allow: bool) -> None:
    """A workbook whose structure is locked gets no new sheet, and a protected sheet no written cell, unless the
    user says so (``allow``): the lock is the team's decision, never quietly stepped round."""
    if allow:
        return
    from cyps_xl.errors import CypsError

    workbook = package.tree(package.workbook_part)
    lock = workbook.find(f"{M}workbookProtection")
    if adds_sheets and lock is not None and lock.get("lockStructure") in ("1", "true"):
        raise CypsError("its structure is protected (Review > Protect Workbook), and this run adds sheets to it.",
                        file=package.path, hint="Unprotect the workbook, or add --allow-protected to write it anyway.")
    for sheet in sheets:
        part = package.sheet_parts.get(sheet)
        protection = package.tree(part).find(f"{M}sheetProtection") if part else None
        if protection is not None and protection.get("sheet") in ("1", "true"):
            raise CypsError("is protected (Review > Protect Sheet), and this run writes cells in it.", file=package.path,
                            place=f"sheet '{sheet}'", hint="Unprotect the sheet, or add --allow-protected to write it anyway.")


def recalculate_on_open(package) -> None:
    """Ask Excel to recalculate every formula when it next opens the workbook (``calcPr/@fullCalcOnLoad``): a team
    formula that reads what a run wrote (=COUNTIF(CardRAG,"Red")) keeps its old saved result until then."""
    from cyps_xl.workbook.parts import WORKBOOK_ORDER

    workbook = package.tree(package.workbook_part)
    calc = workbook.find(f"{M}calcPr")
    if calc is None:
        calc = etree.Element(f"{M}calcPr")
        insert_in_order(workbook, calc, WORKBOOK_ORDER)
    if calc.get("fullCalcOnLoad") not in ("1", "true"):
        calc.set("fullCalcOnLoad", "1")
        package.touch(package.workbook_part)
