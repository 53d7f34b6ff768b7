"""The Trade-offs page's view-model: the results table (also exported, and the leaderboard of a run in progress),
the significance tests, and which contestants each sweep can use, with the cost of one scored pair."""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import partial
from itertools import combinations
from typing import TYPE_CHECKING

import pandas as pd

from core.contestants.kind import FIRST
from core.rankers.base import Ranker, RunRanker
from core.timing import fastest_ms
from core.types import Dataset

if TYPE_CHECKING:
    from core.comparison.results import Comparison
    from core.contestants.spec import ComparisonSpec
    from core.rankers.cross_encoder import CrossEncoderRanker


# --- results and tests -----------------------------------------------------------------------------


def results_table(comparison: Comparison) -> pd.DataFrame:
    """One row per contestant: label, kind, real model, pipeline, metrics, agreement with the reference, latency,
    index time and where it ran; `colour` holds its colour for the page to paint."""
    rows = []
    for result in comparison.results.values():
        latency = result.latency_ms
        agreement = {f"{name} with {comparison.reference}": value for name, value in result.agreement.items()}
        rows.append({"contestant": result.label, "kind": result.kind_title, "model": result.model, "training": result.training,
                     "pipeline": result.pipeline, **result.metrics, **agreement,
                     "p50 ms": latency["p50"], "p95 ms": latency["p95"], "queries/s": result.queries_per_s,
                     "index s": result.index_s, "runs on": result.device, "colour": result.colour})
    return pd.DataFrame(rows)


def short_names(columns: list[str]) -> dict[str, str]:
    """Column headers short enough for a narrow number column ("overlap@10 with bi → cross" → "overlap@10"): the
    full name goes in the header's tooltip."""
    return {column: column.split(" with ")[0].replace("kendall_tau", "Kendall τ") for column in columns}


def leaderboard(comparison: Comparison) -> pd.DataFrame:
    """The finished contestants of a running comparison in a few columns: name, nDCG@10 and MRR@10 (or agreement
    without qrels), median latency."""
    table = results_table(comparison)
    quality = [column for column in ("ndcg@10", "mrr@10") if column in table] or \
              [column for column in table if column.startswith("overlap@10")]
    return table[["contestant", *quality, "p50 ms"]]


def significance_table(report: dict, max_p: float = 0.05) -> pd.DataFrame:
    """Pairwise rows of a ranx comparison report: means, p-value, significance and wins/ties/losses."""
    rows = []
    for a, b in combinations(report["model_names"], 2):
        for metric in report["metrics"]:
            p = report[a]["comparisons"][b][metric]
            wtl = report[a]["win_tie_loss"][b][metric]
            mean_a, mean_b = report[a]["scores"][metric], report[b]["scores"][metric]
            better = a if mean_a > mean_b else b
            verdict = "no (equal on every query)" if math.isnan(p) else f"yes: {better} better" if p < max_p else "no"
            rows.append({"metric": metric, "A": a, "B": b, "mean A": mean_a, "mean B": mean_b, "p-value": p,
                         "significant": verdict,
                         "A wins / ties / losses": f"{wtl['W']} / {wtl['T']} / {wtl['L']}"})
    return pd.DataFrame(rows)


# --- the sweeps ------------------------------------------------------------------------------------


def pipelines(spec: ComparisonSpec, rankers: Mapping[str, Ranker]) -> dict[str, str]:
    """Re-rankers whose depth can be swept, each with its first stage: both indexed, the re-ranker scoring pairs."""
    found = {}
    for entry in spec.contestants:
        first = entry.option(FIRST.name) or ""
        if first in rankers and entry.name in rankers and not any(isinstance(rankers[name], RunRanker)
                                                                  for name in (first, entry.name)):
            found[entry.name] = first
    return found


def scoring_rankers(comparison: Comparison, rankers: Mapping[str, Ranker]) -> dict[str, Ranker]:
    """The contestants' rankers that score any (query, document) with a model (a run file cannot)."""
    return {name: rankers[name] for name in comparison.results
            if name in rankers and not isinstance(rankers[name], RunRanker)}


def cross_encoders(comparison: Comparison, rankers: Mapping[str, Ranker]) -> dict[str, CrossEncoderRanker]:
    """The contestants' rankers that hold a cross-encoder (for the sweeps of its cheaper uses)."""
    from core.rankers.cross_encoder import CrossEncoderRanker  # here: the rankers exist, so their libraries are loaded

    return {name: rankers[name] for name in comparison.results
            if name in rankers and isinstance(rankers[name], CrossEncoderRanker)}


def first_stages(comparison: Comparison, rankers: Mapping[str, Ranker]) -> dict[str, Ranker]:
    """The contestants' rankers that rank the whole corpus from an index (candidates for a re-ranker's first stage)."""
    return {name: rankers[name] for name in comparison.results
            if name in rankers and rankers[name].scores_from_an_index
            and not comparison.spec.contestant(name).option(FIRST.name)}


def pair_ms(ranker: Ranker, dataset: Dataset, pairs: int = 8) -> float:
    """Milliseconds one (query, document) pair costs `ranker` on `dataset` (fastest of a few timed calls)."""
    doc_ids = list(dataset.corpus.ids[:pairs])
    ranker.score(dataset.queries.texts[0], doc_ids)  # warm-up
    return fastest_ms(partial(ranker.score_ms, dataset.queries.texts[0], doc_ids)) / len(doc_ids)
