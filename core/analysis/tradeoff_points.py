"""Trade-off tables read from a finished comparison or a benchmark's result file: no models, no timing.

The figure builders and the HTML report import only this; the measurements themselves (depth sweeps,
cost curves) are in `core.analysis.sweeps`.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from core.comparison.results import Comparison

TRADEOFF_COLUMNS = ["ranker", "label", "colour", "latency_ms", "quality", "trained", "reference", "metric"]
BENCHMARK_RESULTS = Path(__file__).resolve().parents[2] / "benchmarks" / "results"

def tradeoff_points(comparison: Comparison) -> pd.DataFrame:
    """One row per contestant: p50 latency and quality, for `core.present.figures.tradeoff_figure`.

    Quality is nDCG@10 with qrels; without them it is overlap@10 with the agreement reference, which gets
    1.0 and `reference=True`.

    Returns:
        Columns ranker (the contestant's name), label, colour, latency_ms (p50), quality, trained, reference, metric.
    """
    metric = "ndcg@10" if comparison.has_qrels else "overlap@10"
    rows = []
    for name, result in comparison.results.items():
        is_reference = not comparison.has_qrels and name == comparison.reference
        if comparison.has_qrels:
            quality = result.metrics.get(metric, float("nan"))
        else:
            quality = 1.0 if is_reference else result.agreement.get(metric, float("nan"))
        rows.append((name, result.label, result.colour, result.latency_ms["p50"], float(quality), result.trained,
                     is_reference, metric))
    return pd.DataFrame(rows, columns=TRADEOFF_COLUMNS)

def pareto_frontier(points: pd.DataFrame, quality: str = "quality") -> pd.DataFrame:
    """The rows no other row beats on both latency (lower) and quality (higher), sorted by latency.

    A row is kept when its quality is strictly above that of every faster-or-equal row; of two identical
    points the first is kept. Rows with a NaN latency or quality are left out.

    Args:
        points: Frame with a `latency_ms` column and the `quality` column.
        quality: Name of the quality column.

    Returns:
        The frontier rows (original index kept), fastest first.

    Example:
        >>> points = pd.DataFrame({"latency_ms": [1.0, 2.0, 3.0], "quality": [0.3, 0.2, 0.5]})
        >>> pareto_frontier(points)["latency_ms"].tolist()
        [1.0, 3.0]
    """
    valid = points.dropna(subset=["latency_ms", quality])
    ordered = valid.sort_values(["latency_ms", quality], ascending=[True, False], kind="stable")
    keep, best = [], -np.inf
    for index, value in zip(ordered.index, ordered[quality]):
        if value > best:
            keep.append(index)
            best = value
    return ordered.loc[keep]

def benchmark_tables(name: str, folder: Path = BENCHMARK_RESULTS) -> tuple[dict[str, str], str] | None:
    """The markdown tables of a benchmark's result file (benchmarks/results/<name>.json), without its checks against
    the project's targets (those are for the developers), and where and when it ran in a few words ("a 2-core AMD
    EPYC, 22 November 2026"); None when that benchmark has not been run.
    """
    path = folder / f"{name}.json"
    if not path.is_file():
        return None
    result = json.loads(path.read_text())
    machine = result["machine"]
    tables = {title: table for title, table in result["tables"].items() if not title.startswith("Target")}
    day = datetime.fromisoformat(machine["started"]).strftime("%-d %B %Y")
    cores = f"a {machine['cores']}-core " if machine.get("cores") else ""
    return tables, f"{cores}{machine.get('cpu') or 'machine'}, {day}"
