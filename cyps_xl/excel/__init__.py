"""The Excel front door: the ribbon, the cell functions and the add-in, on the same engine.

Owns: the ribbon actions on the open workbook (``ribbon``), the block writer
through xlwings (``xlwings_writer``, ``blocks``), the ``CYPS_*`` cell
functions (``udfs``) and their headless evaluation in an issued workbook
(``udf_eval``), the add-in build (``addin``, ``ovba``) and xlwings' remote
payload for tests (``remote``).

A front door: it may import everything below it and the library API
(``cyps_xl.api``); nothing below imports it, except the API, which evaluates
``CYPS_*`` formulas through ``udf_eval`` when a workbook has them.
"""
