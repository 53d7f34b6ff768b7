"""What a comparison shows, in a few plain sentences written from its numbers: who is best and by how much,
whether that is significant, and at what cost. For the report and the Export page; plain text, no markup."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from scipy.stats import ttest_rel

if TYPE_CHECKING:
    from core.comparison.results import Comparison, RankerResult

MAIN_METRIC = "ndcg@10"
AGREEMENT_METRIC = "overlap@10"
SIGNIFICANT_P = 0.05


def findings(comparison: Comparison) -> list[str]:
    """The comparison in sentences: the best contestant and its margin over the runner-up with a paired t-test over
    the judged queries, then what it costs against the fastest; without relevance labels, agreement instead."""
    results = list(comparison.results.values())
    if not results:
        return ["No contestant finished."]
    if not comparison.has_qrels:
        return _agreement_findings(comparison, results)
    ranked = sorted(results, key=lambda r: -r.metrics.get(MAIN_METRIC, -1.0))
    best = ranked[0]
    lines = [(f"Best by nDCG@10: {best.label} ({best.metrics[MAIN_METRIC]:.3f}) over "
             f"{comparison.dataset['judged_queries']:,} judged queries.")]
    if len(ranked) > 1:
        runner_up = ranked[1]
        lines.append(f"The runner-up, {runner_up.label}, reaches {runner_up.metrics[MAIN_METRIC]:.3f} "
                     f"({best.metrics[MAIN_METRIC] - runner_up.metrics[MAIN_METRIC]:.3f} less); "
                     f"{_significance(best, runner_up)}.")
        lowest = ranked[-1].metrics[MAIN_METRIC]
        last = [r.label for r in ranked[2:] if r.metrics[MAIN_METRIC] == lowest]
        if last and lowest < runner_up.metrics[MAIN_METRIC]:  # never "last" for one tied with those above
            lines.append(f"{'Last' if len(last) == 1 else 'Tied last'}: {', '.join(last)} ({lowest:.3f}).")
    lines += _cost(best, results, MAIN_METRIC)
    untrained = [r.label for r in results if not r.trained and not r.kept_start]
    if untrained:
        lines.append(f"Not trained for ranking (shown as a baseline): {', '.join(untrained)}.")
    kept = [r.name for r in results if r.kept_start]
    if kept:
        lines.append(f"Fine-tuning found no gain on its dev split, so the untrained start was kept: {', '.join(kept)}.")
    return lines


def _significance(a: RankerResult, b: RankerResult) -> str:
    """Whether a's and b's per-query nDCG@10 differ, by a paired two-sided t-test (as ranx compare runs it)."""
    queries = sorted(set(a.per_query.get(MAIN_METRIC, {})) & set(b.per_query.get(MAIN_METRIC, {})))
    if len(queries) < 2:
        return "too few judged queries to test the difference"
    x = np.array([a.per_query[MAIN_METRIC][q] for q in queries])
    y = np.array([b.per_query[MAIN_METRIC][q] for q in queries])
    if np.allclose(x, y):
        return "they score the same on every query"
    p = float(ttest_rel(x, y).pvalue)
    wins, losses = int((x > y).sum()), int((x < y).sum())
    verdict = "significant" if p < SIGNIFICANT_P else "not significant: these queries do not tell them apart"
    return (f"better on {_queries(wins)}, worse on {_queries(losses)}; the difference is {verdict} "
            f"(paired t-test, p = {p:.3f})")


def _queries(count: int) -> str:
    return f"{count} {'query' if count == 1 else 'queries'}"


def _cost(best: RankerResult, results: list[RankerResult], metric: str) -> list[str]:
    """The best contestant's median latency against the fastest one's."""
    timed = [r for r in results if not math.isnan(r.latency_ms["p50"])]
    if best not in timed or len(timed) < 2:
        return []
    fastest = min(timed, key=lambda r: r.latency_ms["p50"])
    own = best.latency_ms["p50"]
    if fastest is best:
        return [f"It is also the fastest: {own:.1f} ms per query (median)."]
    fast_quality = (fastest.metrics or fastest.agreement).get(metric)
    reaches = f" and reaches {fast_quality:.3f}" if fast_quality is not None else ""
    return [(f"It costs {own:.1f} ms per query (median), {own / max(fastest.latency_ms['p50'], 1e-9):,.0f}× the "
            f"fastest, {fastest.label}, which takes {fastest.latency_ms['p50']:.1f} ms{reaches}.")]


def _agreement_findings(comparison: Comparison, results: list[RankerResult]) -> list[str]:
    reference = comparison.results.get(comparison.reference or "")
    lines = [("No relevance labels: accuracy cannot be measured, so the numbers are agreement with the most expensive "
             f"contestant, {reference.label if reference else 'the reference'}, not quality.")]
    others = sorted((r for r in results if r.agreement), key=lambda r: -r.agreement.get(AGREEMENT_METRIC, -1.0))
    if others and reference is not None:
        closest = others[0]
        share = closest.agreement[AGREEMENT_METRIC]
        lines.append(f"Closest to it: {closest.label}, sharing {share:.0%} of its top 10.")
        lines += _cost(reference, results, AGREEMENT_METRIC)
    return lines
