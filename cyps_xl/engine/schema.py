"""JSON Schemas for the rules files, so an editor can check them as you type.

``rules.schema.json`` covers indicator files; ``benchmarks.schema.json`` covers
``benchmarks.yaml``.  cyps-xl's own loaders check the same things and name the
YAML line; the schemas are for editors and for other tools.
"""
from __future__ import annotations

BAND_TEXT = {
    "type": ["string", "number", "null"],
    "description": "A tolerance such as '<87%', '87%+', '95.2+', '50-70%', '2.2%' or '-' for no band.",
}


def rules_schema() -> dict:
    indicator = {
        "type": "object",
        "additionalProperties": False,
        "anyOf": [{"required": ["ref"]}, {"required": ["title"]}],
        "required": ["polarity"],
        "properties": {
            "ref": {"type": "string", "description": "REF NO. as printed, e.g. '3.14'."},
            "title": {"type": "string", "description": "The INDICATOR title; used when the ref does not match."},
            "part": {"type": "string", "description": "Which row of a multi-row indicator: 'Children', '%', 'Count'..."},
            "polarity": {"enum": ["high", "low", "info"], "description": "What good performance is."},
            "tolerances": {
                "type": "object",
                "additionalProperties": False,
                "properties": {"red": BAND_TEXT, "amber": BAND_TEXT, "green": BAND_TEXT},
            },
            "number_format": {"type": "string", "description": "Excel number format, overriding the DATA NOTE's."},
            "note": {"type": "string"},
        },
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://github.com/cyps-xl/cyps-xl/rules.schema.json",
        "title": "cyps-xl indicator rules",
        "type": "object",
        "additionalProperties": False,
        "required": ["sheets"],
        "properties": {
            "description": {"type": "string"},
            "sheets": {
                "type": "object",
                "additionalProperties": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "title": {"type": "string"},
                        "indicators": {"type": "array", "items": indicator},
                    },
                },
            },
        },
    }


def benchmarks_schema() -> dict:
    text = {"type": "string"}
    measure = {
        "type": "object",
        "additionalProperties": False,
        "required": ["sheet", "column"],
        "anyOf": [{"required": ["ref"]}, {"required": ["title"]}],
        "properties": {
            "sheet": {"type": "string", "description": "The scorecard sheet of the row, e.g. 'Social Care'."},
            "ref": {"type": "string", "description": "REF NO. as printed, quoted: \"3.10\" (unquoted YAML makes it 3.1)."},
            "part": text,
            "title": text,
            "file": {"type": "string", "description": "The CSV's name as DfE publishes it; default: the one file given that has the column."},
            "filters": {"type": "object", "additionalProperties": {"type": ["string", "number"]},
                        "description": "Filter column: value. A filter column left out takes its Total row."},
            "aliases": {"type": "object", "additionalProperties": {"type": ["array", "string"], "items": {"type": "string"}},
                        "description": "Other names of a column in other releases, e.g. {cla_group: [CLA_group]}."},
            "column": {"type": "string", "description": "The indicator column: number, percentage, rate_per_10000..."},
            "unit": {"enum": ["percent", "number"], "description": "percent: the file gives 0-100 and the scorecard stores fractions."},
            "year": {"type": ["string", "integer"], "description": "Pin a period: 2022 or 2022/23. Default: the latest that ended before the scorecard's month."},
            "decimals": {"type": "integer", "minimum": 0, "maximum": 6,
                         "description": "The places top_quartile: beyond steps at; default: those the row's cell displays."},
            "top_quartile": {"enum": ["boundary", "beyond"]},
            "columns": {"type": "array", "items": {"enum": ["sn_average", "sn_best", "national", "top_quartile", "regional"]},
                        "description": "Columns the measure fills even over what the team typed there ('-', another body's figures)."},
        },
    }
    neighbour_set = {
        "type": "object",
        "additionalProperties": False,
        "required": ["name", "adopted", "members"],
        "properties": {
            "name": text,
            "authority": text,
            "adopted": {"type": "string", "format": "date", "description": "The date the set took effect, YYYY-MM-DD."},
            "source": text,
            "members": {"type": "array", "items": {"type": ["string", "integer"]}, "description": "Names or codes."},
        },
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://github.com/cyps-xl/cyps-xl/benchmarks.schema.json",
        "title": "cyps-xl benchmarking (benchmarks.yaml)",
        "type": "object",
        "additionalProperties": False,
        "required": ["our_authority"],
        "properties": {
            "our_authority": {"type": ["string", "integer"], "description": "Name, old (3-digit) or new (E0...) code."},
            "neighbour_set": {"type": "string", "description": "'in force' or a set's name."},
            "average": {"enum": ["mean", "median"]},
            "max_age_years": {"type": "integer", "minimum": 0},
            "top_quartile": {"enum": ["boundary", "beyond"]},
            "neighbour_sets": {"type": "array", "items": neighbour_set},
            "measures": {"type": "array", "items": measure},
        },
    }
