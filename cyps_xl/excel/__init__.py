"""The Excel front door: the ribbon, the cell functions, the add-in and xlwings Lite, on the same engine.

Owns: the ribbon actions on the open workbook (``ribbon``, with the workbook's
file and backup in ``workbook_file``), the block writer through xlwings
(``xlwings_writer``, ``blocks``), the ``CYPS_*`` cell functions (``udfs``, their
arguments in ``udf_args``) and their headless evaluation in an issued workbook
(``udf_eval``), the add-in build (``addin``, ``ovba``), the settings files the
add-in and Python share (``settings``), the set-up check (``doctor``), the xlwings Lite
functions and scripts for Excel with no local Python (``lite``, and
``lite_setup`` for what ``cyps-xl lite`` writes) and xlwings' remote payload
for tests (``remote``).

A front door: it may import everything below it, the library API
(``cyps_xl.api``) and the rating step every front door shares
(``cyps_xl.evaluation``); nothing below imports it, except the API, which
evaluates ``CYPS_*`` formulas through ``udf_eval`` when a workbook has them.
``lite`` and what it calls import no lxml, openpyxl or pandas.
"""
