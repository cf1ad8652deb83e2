"""The mark cyps-xl leaves on a sheet it made (a hidden sheet-level defined name), so a later run knows the
sheet for its own and never takes a team's sheet of the same name. Plain text, needing no XML library:
the Excel front doors (xlwings Lite among them) read and set it through Excel's names."""

OWN_MARK = "cyps_xl_sheet"
