"""Encoder Arena's scoring core: data loading, contestants and rankers, comparison, metrics, attention data.

Everything the app and the `python -m core` CLI show is computed here; this package never imports
streamlit. Submodules are imported on first use so that `import core.data` stays light.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "ComparisonSpec": "core.contestants.spec",
    "ContestantSpec": "core.contestants.spec",
    "Comparison": "core.comparison.compare",
    "compare": "core.comparison.compare",
    "Corpus": "core.types",
    "Queries": "core.types",
    "Dataset": "core.types",
    "DataError": "core.data",
    "load_dataset": "core.data",
    "ModelError": "core.models.loading",
}

__all__ = ["Comparison", "ComparisonSpec", "ContestantSpec", "Corpus", "DataError", "Dataset", "ModelError", "Queries", "compare", "load_dataset"]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'core' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
