"""The engine: what a rating *is*, on plain data.

Owns: cell values as shown (``values``), tolerance text and the RAG ladder
(``tolerances``), DOT and RAG of a row (``rating``), the scorecard as plain
tables and rows (``table``), the YAML rules library and its validation
(``rules``, ``yamlfile``, ``schema``; parsed files kept between runs in
``yamlcache``; rules files kept as text in a workbook, ``textfiles``), titles compared with the sector's abbreviations spelt out
(``titles``), and colour contrast (``contrast``).

Must not import: ``cyps_xl.workbook``, ``cyps_xl.benchmarks``,
``cyps_xl.report``, ``cyps_xl.excel`` or the front doors. It knows nothing of
workbooks, Excel or DfE files; everything else builds on it.
"""
