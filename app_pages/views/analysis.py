"""The Analysis page's tables: the queries behind a cell of the win / tie / loss matrix."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from core.comparison.results import Comparison
from core.types import Dataset


def queries_table(comparison: Comparison, dataset: Dataset, query_ids: Sequence[str], metric: str,
                  labels: Sequence[str]) -> pd.DataFrame:
    """The queries `query_ids` with their text and the `metric` of the contestants `labels`."""
    values = {result.label: result.per_query.get(metric, {}) for result in comparison.results.values()}
    rows = [{"query id": q, "query": dataset.queries.text(q), **{label: values[label].get(q) for label in labels}}
            for q in query_ids]
    return pd.DataFrame(rows, columns=["query id", "query", *labels])

