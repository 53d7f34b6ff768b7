"""Colours of contestants: fixed by their place in the comparison, so each keeps its colour on every page."""

from __future__ import annotations

PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000", "#F0E442")
"""Okabe & Ito's colour-blind-safe palette, one colour for each of up to eight contestants."""
FIRST_STAGE_ONLY = "#999999"
"""A first stage that runs only to feed a re-ranker (not shown as a contestant)."""


def colour_for(position: int) -> str:
    """The colour of the contestant at `position` in its comparison (grey beyond the palette)."""
    return PALETTE[position] if 0 <= position < len(PALETTE) else FIRST_STAGE_ONLY
