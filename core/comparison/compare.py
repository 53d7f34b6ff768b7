"""Run a comparison's contestants side by side over one dataset and collect a typed, serialisable result.

`compare()` walks the comparison's plan (`core.contestants.registry.plan`): each contestant after those it needs
(a re-ranker's first stage, a fusion's inputs), otherwise cheapest first. A re-ranker scores only its first
stage's top `depth` and keeps the first stage's next documents below them (`core.rankers.tail`; `tail=false`
cuts its run at `depth` and says so in its label); its latency is its own plus its first stage's. With relevance labels every run is
evaluated with ranx; without them, each contestant's agreement with the most expensive one is reported instead,
and named as agreement.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

import numpy as np

from core.comparison.colours import colour_for
from core.comparison.results import Comparison, RankerResult, dataset_summary
from core.config import OPEN_POLICY, ModelPolicy
from core.contestants.registry import Step, comparison, device, kind_of, plan
from core.contestants.spec import ComparisonSpec, ContestantSpec, runs_on, settings
from core.data.pseudo_queries import query_shape
from core.devices import device_title
from core.evaluate import METRICS, evaluate, kendall_tau, overlap_at_k
from core.rankers.base import Progress, Ranker, no_progress
from core.rankers.build import BuildContext, build_ranker, describe_model, pair_calls
from core.rankers.tail import below_head
from core.types import Dataset, Run

logger = logging.getLogger(__name__)

RANKING_SHARE = 0.95
"""Of a run's progress, the share of indexing and ranking; the rest is the agreement with the reference."""


def _stage(fraction_done: float, share: float, progress: Progress) -> Progress:
    """A progress callback for one step that maps its 0..1 onto its share of the whole."""
    return lambda message, fraction: progress(message, min(1.0, fraction_done + share * fraction))


def compare(dataset: Dataset, spec: ComparisonSpec, progress: Progress = no_progress,
            rankers: dict[str, Ranker] | None = None,
            on_ranked: Callable[[RankerResult], None] = lambda result: None,
            policy: ModelPolicy = OPEN_POLICY) -> Comparison:
    """Index, search and evaluate every contestant of `spec` on `dataset`.

    Args:
        dataset: Corpus, queries and optional qrels.
        spec: What to run.
        progress: Called with a message and the overall fraction done.
        rankers: Rankers by contestant name: those given are used as they are, the others are built from
            `spec` and added to it, so that the caller keeps them (for sweeps and attention) even when the
            run stops half-way.
        on_ranked: Called with each shown contestant's evaluated result as it finishes, so that a caller
            whose run is stopped can keep the finished ones (see `partial_comparison`).
        policy: Which model specs and run-file paths may be used.

    Returns:
        A `Comparison` whose results follow the spec's order.

    Example:
        >>> from core.contestants.registry import comparison, parse_contestant
        >>> from core.data import load_dataset
        >>> spec = comparison([parse_contestant("name=bm25,kind=bm25")], k=10)
        >>> result = compare(load_dataset("sample_data/beir"), spec)
        >>> list(result.results), result.results["bm25"].metrics["ndcg@10"] > 0.3
        (['bm25'], True)
    """
    steps = plan(spec)
    results: dict[str, RankerResult] = {}
    deep_runs: dict[str, Run] = {}  # each run before the cut to k: a re-ranker's shortlist may go deeper
    built = rankers if rankers is not None else {}
    context = BuildContext(policy, upstream=lambda name: results[name], query_shape=query_shape(dataset.queries),
                           device=device(spec))
    work = [units for step in steps for units in _work(step, dataset)]  # indexing, then searching, of each step
    shares = [RANKING_SHARE * units / sum(work) for units in work]
    starts = [sum(shares[:i]) for i in range(len(shares))]
    for number, step in enumerate(steps):
        indexing, searching = 2 * number, 2 * number + 1
        if step.name not in built:
            progress(_loading(step), starts[indexing])
            built[step.name] = build_ranker(step.contestant, context)
        ranker = built[step.name]
        ranker.index(dataset.corpus, _stage(starts[indexing], shares[indexing], progress))
        results[step.name] = _search(dataset, spec, step, ranker, results, deep_runs,
                                     _stage(starts[searching], shares[searching], progress))
        if step.shown:
            on_ranked(results[step.name])
    return _finish(dataset, spec, results, built, progress)


def _loading(step: Step) -> str:
    """What a step's progress says while its model loads: its model in words, not what runs it."""
    return f"{step.name}: loading {step.kind.title} {describe_model(step.contestant).removesuffix(runs_on(step.contestant))}"


def _work(step: Step, dataset: Dataset) -> tuple[int, int]:
    """Rough units of work of a step's indexing and its searching, one transformer pass each (a document encoded, a
    pair scored, a query encoded), so that a run's fraction done moves with its time: a cross-encoder's step weighs
    its pairs, an encoder's the corpus, BM25's next to nothing."""
    queries = len(dataset.queries)
    if step.kind.scores_pairs:
        index_calls, per_query = pair_calls(step.contestant, len(dataset.corpus))
        return index_calls + 1, per_query * queries + 1
    if step.kind.has_model:
        return len(dataset.corpus) + 1, queries + 1
    return 1, 1


def indexed_rankers(dataset: Dataset, spec: ComparisonSpec, policy: ModelPolicy = OPEN_POLICY,
                    progress: Progress = no_progress) -> dict[str, Ranker]:
    """Every contestant of `spec` (implicit first stages included) built and indexed on `dataset`, searching
    nothing: what the views of a comparison read from a cache need (live questions, attention, sweeps). A fusion
    or a run file built so ranks no query of the data; it answers new questions only (`Ranker.rank_new`)."""
    steps = plan(spec)
    built: dict[str, Ranker] = {}
    context = BuildContext(policy, query_shape=query_shape(dataset.queries),  # the prior tested as compare() tests it
                           device=device(spec))
    for number, step in enumerate(steps):
        progress(_loading(step), number / len(steps))
        built[step.name] = build_ranker(step.contestant, context)
        built[step.name].index(dataset.corpus)
    return built


def _search(dataset: Dataset, spec: ComparisonSpec, step: Step, ranker: Ranker,
            results: Mapping[str, RankerResult], deep_runs: dict[str, Run], progress: Progress) -> RankerResult:
    """Rank every query with one contestant (re-ranking its first stage's shortlist) and evaluate it.

    `deep_runs` holds each finished contestant's run before the cut to k; this one's is added.
    """
    candidates, pipeline = None, ranker.label
    if step.first:
        known = set(dataset.corpus.ids)
        candidates = {q: dict([(d, s) for d, s in docs.items() if d in known][:step.shortlist])  # a run file's
                      for q, docs in deep_runs[step.first].items()}  # documents missing from the corpus cannot be scored
        pipeline = f"re-ranks {results[step.first].label}'s top {step.shortlist}"
    run = ranker.search(dataset.queries, step.depth, candidates, spec.exclude_self, progress)
    scored_depth, label = 0, ranker.label
    if step.tail:
        run = {q: below_head(docs, deep_runs[step.first].get(q, {}), step.depth) for q, docs in run.items()}
        if step.shortlist < spec.k:
            scored_depth = step.shortlist
            pipeline += f"; {results[step.first].label}'s next {spec.k - step.shortlist} follow in its order"
    elif step.first and step.shortlist < spec.k:
        label = f"{ranker.label} (top {step.shortlist} only)"
        pipeline += f"; the run ends there (Recall@{spec.k} and MAP@{spec.k} count only those {step.shortlist})"
    deep_runs[step.name] = run
    query_ms = list(ranker.timings.query_ms)
    if step.first and results[step.first].query_ms and query_ms:
        query_ms = [own + before for own, before in zip(query_ms, results[step.first].query_ms)]
    elif step.first and query_ms:
        pipeline += " (latency: re-ranking only; the first stage's is unknown)"
    position = len(spec.names) if step.position is None else step.position
    result = RankerResult(step.name, step.kind.name, step.kind.title, label, ranker.trained, ranker.model_name,
                          colour_for(position), run, ranker.timings.index_s, query_ms, pipeline,
                          notes=list(ranker.notes), device=device_title(ranker.device), scored_depth=scored_depth,
                          kept_start=ranker.kept_start)
    result.run = {q: dict(list(d.items())[:spec.k]) for q, d in run.items()}
    if dataset.qrels and step.shown:
        result.metrics, result.per_query = evaluate(dataset.qrels, result.run, METRICS)
    return result


def partial_comparison(dataset: Dataset, spec: ComparisonSpec, finished: Mapping[str, RankerResult],
                       rankers: Mapping[str, Ranker], running: bool = False) -> Comparison | None:
    """A comparison of the contestants in `finished` (None if none finished): what a stopped run keeps, or
    (`running`) what a run still going can already show.

    Its spec names only those contestants, so it is exactly the comparison that spec would produce.
    """
    kept = tuple(entry for entry in spec.contestants if entry.name in finished)
    if not kept:
        return None
    reduced = comparison(kept, **{setting.name: getattr(spec, setting.name) for setting in settings()})
    result = _finish(dataset, reduced, dict(finished), dict(rankers))
    missing = ", ".join(name for name in spec.names if name not in finished)
    result.notes.append(f"still running: {missing}" if running else
                        f"the run was stopped before {missing} finished; kept {', '.join(e.name for e in kept)}")
    return result


def _finish(dataset: Dataset, spec: ComparisonSpec, results: dict[str, RankerResult],
            rankers: dict[str, Ranker], progress: Progress = no_progress) -> Comparison:
    """The comparison of `spec`'s contestants among `results`, with agreement against the most expensive (its
    top 10 re-scored by each of the others: the last `1 - RANKING_SHARE` of a run's progress)."""
    shown = {name: results[name] for name in spec.names if name in results}
    notes = ["hits whose doc id equals the query id were dropped (BEIR/MTEB convention)"] if spec.exclude_self else []
    notes += [note for result in shown.values() for note in result.notes]
    costs = {entry.name: kind_of(entry).cost for entry in spec.contestants if entry.name in shown}
    reference = max(costs, key=lambda name: costs[name]) if costs else None  # the first of the most expensive
    if reference is not None:
        progress(f"comparing each contestant's order with {shown[reference].label}'s top 10", RANKING_SHARE)
        _add_agreement(shown, rankers, dataset, reference)
    progress("done", 1.0)
    return Comparison(spec, dataset_summary(dataset), shown, reference, notes)


def _add_agreement(results: dict[str, RankerResult], rankers: dict[str, Ranker], dataset: Dataset,
                   reference: str) -> None:
    """overlap@10 with the reference's run, and Kendall tau on the reference's top-10 documents (those in the
    corpus: a run file may name others, which no model can score)."""
    reference_run, known = results[reference].run, set(dataset.corpus.ids)
    for name, result in results.items():
        if name == reference:
            continue
        taus = []
        for query_id, text in zip(dataset.queries.ids, dataset.queries.texts):
            top = [doc for doc in list(reference_run.get(query_id, {}))[:10] if doc in known]
            if len(top) >= 2:
                scores = dict(zip(top, rankers[name].score_query(query_id, text, top).tolist()))
                taus.append(kendall_tau({d: reference_run[query_id][d] for d in top}, scores))
        result.agreement = {"overlap@10": overlap_at_k(reference_run, result.run, 10),
                            "kendall_tau@10": float(np.nanmean(taus)) if taus and not np.all(np.isnan(taus))
                            else float("nan")}


def estimate_seconds(ranker: Ranker, dataset: Dataset, entry: ContestantSpec, probe_pairs: int = 16) -> tuple[int, float]:
    """(query, document) pairs a pair-scoring contestant would score (indexing included), and its estimated
    seconds from timing a probe batch (for which the ranker is prepared on `dataset.corpus` if it is not yet)."""
    index_calls, per_query = pair_calls(entry, len(dataset.corpus))
    pairs = index_calls + per_query * len(dataset.queries)
    if ranker.corpus is not dataset.corpus:
        ranker.prepare(dataset.corpus)
    probe = list(dataset.corpus.ids[:probe_pairs])
    return pairs, ranker.score_ms(dataset.queries.texts[0], probe) / 1000 / max(1, len(probe)) * pairs


def expensive(spec: ComparisonSpec) -> tuple[ContestantSpec, ...]:
    """The contestants that run a model on (query, document) pairs (worth an estimate before a run)."""
    return tuple(entry for entry in spec.contestants if kind_of(entry).scores_pairs)


def load_models(spec: ComparisonSpec, policy: ModelPolicy = OPEN_POLICY) -> None:
    """Load the models `spec` names (each once per process), so that the first comparison that needs them finds
    them loaded."""
    for entry in spec.contestants:
        if kind_of(entry).has_model:
            try:
                build_ranker(entry, BuildContext(policy, device=device(spec)))
            except (OSError, ValueError) as error:  # the comparison itself will say what is wrong (a DeviceError too)
                logger.warning("warm-up: %s not loaded (%s)", entry.name, error)
