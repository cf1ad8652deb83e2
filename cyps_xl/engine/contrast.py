"""Colour that reads: WCAG 2 contrast between a font colour and the fill it sits on.

Every font colour cyps-xl writes must reach 4.5:1 (WCAG AA for body text) on
its cell's fill; where a colour would not (an arrow on a tile of its own RAG
colour), the text takes black or white, whichever reads, and says in words
what the colour meant.
"""
from __future__ import annotations

AA = 4.5
WHITE, BLACK = "FFFFFF", "000000"


def luminance(rgb: str) -> float:
    """Relative luminance of an RRGGBB colour (WCAG 2.x)."""
    rgb = rgb.lstrip("#")[-6:]
    channels = [int(rgb[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(font: str, fill: str = WHITE) -> float:
    a, b = sorted((luminance(font), luminance(fill)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def readable_on(fill: str, wanted: str | None = None) -> str:
    """``wanted`` if it reads on ``fill``, else black or white, whichever reads better."""
    if wanted and contrast(wanted, fill) >= AA:
        return wanted
    return BLACK if contrast(BLACK, fill) >= contrast(WHITE, fill) else WHITE
