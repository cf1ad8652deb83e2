"""Benchmarks: comparators from DfE's open data and published figures, and filling the benchmark columns.

Owns: DfE's files as published (``dfe_files``), ``benchmarks inspect``
(``inspect``), the measures and neighbour sets of ``benchmarks.yaml`` and the
comparators they give (``measures``), the statistics (``stats``), DfE's
statistical-neighbour groupings and a team's first ``benchmarks.yaml``
(``neighbours``), figures typed from published reports (``published``), and
the cell changes that fill the LATEST BENCHMARKING columns (``filling``).

May import: ``cyps_xl.engine``, ``cyps_xl.workbook``. Must not import:
``cyps_xl.report``, ``cyps_xl.excel`` or the front doors. pandas is imported
only where DfE's files are read.
"""
