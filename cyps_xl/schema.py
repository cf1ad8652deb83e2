"""JSON Schema for indicator rules files, so an editor can check them as you type."""
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
