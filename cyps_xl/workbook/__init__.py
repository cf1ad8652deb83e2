"""The workbook: the team's file, parsed once into one package model that is also the writer.

Owns: the zip and its parts, safe XML parsing (``parts``), atomic writing with
the zip compressed on a thread of its own (``saving``), the package model
(``package``, with ``ownsheets`` for the sheets it writes whole, ``additions``
for the notes, charts and print settings it adds and ``cleaning`` for what
issuing removes), each worksheet as its shell
with its rows streamed, never held whole (``worksheet``): plain rows as the
bytes they were saved as (``rowbytes``), any other row as elements; worksheet
edits recorded (``sheet``, with sparklines) and applied as the rows stream out
(``rowwriter``), append-only styles (``styles``; what a change sets on a cell,
``cellstyle``, and the mark on cyps-xl's own sheets, ``marks``, need no XML library), cell values read from the
same streamed rows (``cells``), the scorecard reader and its column titles
(``reader``, ``layout``), the cell changes the engine's results become
(``changes``) and the writer that applies them (``writer``), the rules
import from a sheet's own tolerance columns (``rules_import``), month headings
as users type them (``months``), what Excel meets on opening: its active tab,
recalculation and protection (``tabs``), formulas a run would leave stale
(``staleness``), writing in place safely with colleagues and Excel (``inplace``)
and never replacing a file cyps-xl did not write (``outputs``).

Data flows one way: read (``cells``, ``reader``) -> model -> engine -> changes -> writer.

May import: ``cyps_xl.engine``. Must not import: ``cyps_xl.benchmarks``,
``cyps_xl.report``, ``cyps_xl.excel`` or the front doors.
"""
