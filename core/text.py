"""Text for people: markdown-safe user text and durations (light: the app's frame imports it before any model
library)."""

from __future__ import annotations

import re

MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]<>#|~$])")


def markdown_literal(text: object) -> str:
    """`text` with markdown's special characters escaped, so that Streamlit's markdown shows it literally."""
    return MARKDOWN_SPECIALS.sub(r"\\\1", str(text))


def duration_text(seconds: float) -> str:
    """`seconds` for people: "40 s", "3 min", "1 h 5 min"."""
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    minutes = round(seconds / 60)
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h {minutes % 60} min"


def counted(count: int, noun: str) -> str:
    """`count` of `noun`, plural unless one: "1 step", "1,200 steps"."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"
