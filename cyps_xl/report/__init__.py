"""The report people read: summary page, draft commentary, print settings, PDF, report views, data-quality check.

Owns: the summary tiles, counts and chart, print settings and page breaks,
the PDF through LibreOffice (``summary``), the commentary wording
(``commentary``), the Corporate Parenting and Members views (``views``) and
the data-quality check (``check``).

May import: ``cyps_xl.engine``, ``cyps_xl.workbook``, ``cyps_xl.benchmarks``.
Must not import: ``cyps_xl.excel`` or the front doors.
"""
