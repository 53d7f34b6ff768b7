"""The Train page's view-model: the model card a fine-tuning run wrote."""

from __future__ import annotations

from pathlib import Path


def model_card(folder: str) -> str | None:
    """The model card (README.md) a fine-tuning run wrote into `folder`, or None."""
    card = Path(folder) / "README.md"
    return card.read_text(encoding="utf-8") if card.is_file() else None
