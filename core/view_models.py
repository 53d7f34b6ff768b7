"""View-models of the Streamlit pages: loading uploads, cache keys, and the tables the pages show.

Everything here is plain data in, plain data out (a `Dataset`, a `Comparison`, `pd.DataFrame`s), so
the pages stay layout only and the tables can be tested without a browser. This module never imports
streamlit, and never keeps state: the app stores what it needs in each browser session's state.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import replace
from functools import cache, partial
from itertools import combinations
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from core.config import WEIGHTS_DIR
from core.contestants.kinds import RUN_FILE
from core.contestants.registry import (
    DEFAULT_PRESET,
    DEPTH,
    FIRST,
    NAME_MARKS,
    comparison,
    contestant,
    describe,
    kind_of,
    kinds,
    presets,
)
from core.contestants.spec import SPEC_KEYS, ComparisonSpec, ContestantSpec, SpecError, parse_pairs, settings
from core.data import (
    DataError,
    DataLimits,
    load_dataset,
    make_dataset,
    read_beir_zip,
    read_corpus,
    read_qrels,
    read_queries,
    split_judgements,
)
from core.evaluate import overlap_at_k
from core.rankers.base import Ranker, RunRanker
from core.text import markdown_literal
from core.timing import fastest_ms
from core.types import Dataset

if TYPE_CHECKING:
    from core.attention_types import PairAttention
    from core.comparison.compare import Comparison, RankerResult
    from core.rankers.cross_encoder import CrossEncoderRanker

SAMPLE_DIR = Path(__file__).resolve().parents[1] / "sample_data" / "beir"
LESSON_DIR = SAMPLE_DIR.parent / "lesson"
CSV_DIR = SAMPLE_DIR.parent / "csv"
LESSON_MODELS = {"cross": WEIGHTS_DIR / "lesson-cross"}
"""The heads fine-tuned (compact) on the lesson data's training split, shipped for the demo. No poly-encoder: its
document vectors are the bi-encoder's, which cannot tell "A acquired B" from "B acquired A", and fine-tuned on the
lesson it never beat its start on the dev split."""


def demo_spec() -> ComparisonSpec:
    """The Start page's quick demo: the textbook preset with the embedded (zero-shot) models, shallow enough for a
    CPU, beside the shipped heads fine-tuned on the lesson data's training split (`LESSON_MODELS`)."""
    textbook = presets()[DEFAULT_PRESET]
    zero_shot = comparison((c.with_options(depth=20) if c.option(FIRST.name) else c for c in textbook.contestants),
                           k=20)
    shipped = {kind: str(folder) for kind, folder in LESSON_MODELS.items() if folder.is_dir()}
    if not shipped:
        return zero_shot
    named = comparison((replace(c, name=f"{c.name} · zero-shot") if c.kind in shipped else c
                        for c in zero_shot.contestants), k=zero_shot.k)
    return with_fine_tuned(named, shipped, "lesson")[0]


def contestants_sentence(spec: ComparisonSpec) -> str:
    """The contestants of `spec` in words (markdown): "**bm25** (BM25), **bi → cross** (cross-encoder: …
    re-ranking bi-encoder's top 20)", …"""
    parts = []
    for entry in spec.contestants:
        first = entry.option(FIRST.name) or ""
        reranks = f", re-ranking {first}'s top {entry.option('depth')}" if first else ""
        parts.append(f"**{markdown_literal(entry.name)}** ({markdown_literal(describe(entry) + reranks)})")
    return ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1]


# --- the contestant table of Settings -------------------------------------------------------------

CONTESTANT_COLUMNS = ["name", "kind", "model", "options"]


def options_text(entry: ContestantSpec) -> str:
    """The options a contestant sets as the Settings table shows them ("first=bi, depth=100"): those that differ
    from its kind's defaults, and a re-ranker's first stage and depth (left out, an option keeps its default)."""
    defaults = {option.name: option.default for option in kind_of(entry).all_options}
    reranks = bool(entry.option(FIRST.name))
    return ", ".join(f"{key}={value}" for key, value in entry.options
                     if value != defaults.get(key) or (reranks and key in (FIRST.name, DEPTH.name)))


def contestant_rows(spec: ComparisonSpec) -> pd.DataFrame:
    """The contestants of `spec` as the editable table of the Settings page (one row each)."""
    rows = [(entry.name, entry.kind, entry.model, options_text(entry)) for entry in spec.contestants]
    return pd.DataFrame(rows, columns=CONTESTANT_COLUMNS)


def spec_from_rows(rows: pd.DataFrame, **settings: object) -> ComparisonSpec:
    """The comparison an edited contestant table describes (empty rows skipped), with `settings`.

    Raises:
        SpecError: Naming the table row and what is wrong with it.
    """
    entries = []
    for number, row in enumerate(rows.fillna("").astype(str).itertuples(index=False), start=1):
        if not any(value.strip() for value in row):
            continue
        where = f"row {number} ({row.name.strip() or 'no name'})"
        options = parse_pairs(row.options, f"{where}, options") if row.options.strip() else {}
        clash = [key for key in options if key in SPEC_KEYS]
        if clash:
            raise SpecError(f"{where}: set {', '.join(clash)} in its own column, not among the options")
        values = {"name": row.name, "kind": row.kind, **({"model": row.model} if row.model.strip() else {}), **options}
        entries.append(contestant(values, where))
    return comparison(entries, **settings)


def duplicate(spec: ComparisonSpec, name: str) -> ComparisonSpec:
    """`spec` with a copy of contestant `name` added after it, named "<name> copy" (or "copy 2", ...)."""
    original = spec.contestant(name)
    copy_name = next(candidate for n in range(1, len(spec.contestants) + 2)
                     if (candidate := f"{name} copy" + (f" {n}" if n > 1 else "")) not in spec.names)
    entries = list(spec.contestants)
    entries.insert(entries.index(original) + 1, ContestantSpec(copy_name, original.kind, original.model, original.options))
    return replace(spec, contestants=tuple(entries))


def with_run_file(spec: ComparisonSpec, file_name: str, path: str) -> ComparisonSpec:
    """`spec` with a run-file contestant added, named after the file (made unique)."""
    stem = Path(file_name).stem.replace(",", " ").replace("=", " ").replace("+", " ").strip() or "run"
    name = next(candidate for n in range(1, len(spec.contestants) + 2)
                if (candidate := stem + (f" {n}" if n > 1 else "")) not in spec.names)
    return replace(spec, contestants=(*spec.contestants, contestant({"name": name, "kind": RUN_FILE.name, "path": path})))


def spec_json(spec: ComparisonSpec) -> str:
    """`spec` as the JSON comparison file that `--comparison` and Settings' import read."""
    return json.dumps(spec.to_dict(), indent=2, ensure_ascii=False) + "\n"


def kinds_help() -> pd.DataFrame:
    """Every kind with what it is and the options it takes, for the Settings page."""
    rows = [(kind.name, kind.title, kind.summary,
             "; ".join(f"{option.name} (default {option.default!r}): {option.help}" for option in kind.all_options))
            for kind in kinds().values()]
    return pd.DataFrame(rows, columns=["kind", "what", "how it ranks", "options"])


SNIPPET_CHARS = 160
LIMITS = DataLimits()
Upload = tuple[bytes, str]
"""An uploaded file as (content, file name)."""


# --- data ------------------------------------------------------------------------------------------


@cache
def load_lesson() -> tuple[Dataset, Dataset]:
    """The lesson data (`sample_data/lesson`, written to show what reading query and document together buys):
    its test split, which the demo ranks, and its training split, which the shipped heads were fine-tuned on
    (read once per process: the files ship with the project)."""
    return (replace(load_dataset(LESSON_DIR, split="test"), name="lesson"),
            replace(load_dataset(LESSON_DIR, split="train"), name="lesson"))


def is_lesson(dataset: Dataset) -> bool:
    """Whether `dataset` is the lesson data's test split, which a link can name (`?data=lesson`) for anyone to open."""
    return dataset.content_hash == load_lesson()[0].content_hash


def format_examples() -> dict[str, bytes]:
    """The sample data as CSV files, by name: a working example of each file the Data page reads."""
    return {name: (CSV_DIR / name).read_bytes() for name in ("corpus.csv", "queries.csv", "qrels.csv")}


def load_sample(path: Path = SAMPLE_DIR) -> Dataset:
    """The sample dataset shipped with the project (BEIR folder with qrels), named "sample"."""
    return replace(load_dataset(path), name="sample")


def dataset_from_files(corpus: Upload | None, queries: Upload | None, qrels: Upload | None = None,
                       limits: DataLimits = LIMITS, *, text_field: str | None = None,
                       title_field: str | None = None, split: str = "test") -> Dataset:
    """A dataset from separately uploaded corpus, queries and optional qrels files.

    `text_field` and `title_field` name the keys or columns holding the text (corpus and queries) and the
    title, tried before the usual names (see `core.data.read_corpus`). Qrels with a `split` column give `split`'s
    judgements, and queries judged only in other splits are held apart.

    Raises:
        FieldError: If a corpus or queries record has no text field (the error lists the keys it has).
        DataError: If the corpus or queries are missing, or any file cannot be read.
    """
    if corpus is None or queries is None:
        raise DataError("upload", "choose both a corpus file and a queries file (qrels are optional)")
    documents = read_corpus(corpus[0], corpus[1], limits, text_field=text_field, title_field=title_field)
    questions = read_queries(queries[0], queries[1], limits, text_field=text_field)
    judgements = None if qrels is None else read_qrels(qrels[0], qrels[1], limits)
    if judgements is None or not judgements.splits:
        return make_dataset(documents, questions, judgements, name=Path(corpus[1]).stem)
    judgements, questions, held_apart = split_judgements(judgements, split, questions)
    dataset = make_dataset(documents, questions, judgements, name=Path(corpus[1]).stem)
    return replace(dataset, notes=held_apart + dataset.notes, split=split)


def training_split_from_files(corpus: Upload | None, queries: Upload | None, qrels: Upload | None = None,
                              limits: DataLimits = LIMITS, *, text_field: str | None = None,
                              title_field: str | None = None) -> Dataset | None:
    """The training split of separately uploaded files (qrels with a `split` column), or None when there is none."""
    if qrels is None or "train" not in read_qrels(qrels[0], qrels[1], limits).splits:
        return None
    return dataset_from_files(corpus, queries, qrels, limits, text_field=text_field, title_field=title_field,
                              split="train")


def dataset_from_zip(upload: Upload, limits: DataLimits = LIMITS, *, text_field: str | None = None,
                     title_field: str | None = None) -> Dataset:
    """A dataset from an uploaded zip (corpus, queries, optional qrels/test.tsv), fields mapped as in
    `dataset_from_files`."""
    dataset = read_beir_zip(upload[0], upload[1], limits, text_field=text_field, title_field=title_field)
    return dataset if dataset.name else replace(dataset, name=Path(upload[1]).stem or "upload")


def training_split_from_zip(upload: Upload, limits: DataLimits = LIMITS, *, text_field: str | None = None,
                            title_field: str | None = None) -> Dataset | None:
    """The training split (`qrels/train.tsv`) of an uploaded zip, or None when it has none."""
    dataset = read_beir_zip(upload[0], upload[1], limits, "train", text_field=text_field, title_field=title_field)
    return dataset if dataset.split == "train" and dataset.qrels else None


def limits_text(limits: DataLimits = LIMITS) -> str:
    """The upload limits in words, for the Data page."""
    return (f"Each file up to {limits.max_file_bytes / 2**20:,.0f} MB; zip and gzip files up to "
            f"{limits.max_uncompressed_bytes / 2**30:,.0f} GB once unpacked; at most "
            f"{limits.max_documents:,} documents and {limits.max_queries:,} queries.")


def _snippet(text: str, chars: int = SNIPPET_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= chars else text[: chars - 1].rstrip() + "…"


def corpus_preview(dataset: Dataset, rows: int = 200) -> pd.DataFrame:
    """The first `rows` documents: id, title and a snippet of the text."""
    corpus = dataset.corpus
    return pd.DataFrame({"doc id": corpus.ids[:rows], "title": corpus.titles[:rows],
                         "text": [_snippet(t) for t in corpus.texts[:rows]]})


def queries_preview(dataset: Dataset, rows: int = 200) -> pd.DataFrame:
    """The first `rows` queries with the number of judged documents each has (blank without qrels)."""
    queries, qrels = dataset.queries, dataset.qrels
    frame = pd.DataFrame({"query id": queries.ids[:rows], "text": queries.texts[:rows]})
    if qrels is not None:
        frame["judged docs"] = [len(qrels.get(q, {})) for q in queries.ids[:rows]]
    return frame


def qrels_preview(dataset: Dataset, rows: int = 200) -> pd.DataFrame:
    """The first `rows` judgements as query id, doc id, grade."""
    triples = [(q, d, g) for q, docs in (dataset.qrels or {}).items() for d, g in docs.items()][:rows]
    return pd.DataFrame(triples, columns=["query id", "doc id", "grade"])


def document(dataset: Dataset, doc_id: str) -> tuple[str, str]:
    """(title, text) of one document."""
    position = dataset.corpus.position(doc_id)
    return dataset.corpus.titles[position], dataset.corpus.texts[position]


def query_label(dataset: Dataset, query_id: str, chars: int = 80) -> str:
    """"id · text" for a query picker."""
    return f"{query_id} · {_snippet(dataset.queries.text(query_id), chars)}"


# --- rankings --------------------------------------------------------------------------------------


def ranking_table(dataset: Dataset, result: RankerResult, query_id: str, k: int = 10) -> pd.DataFrame:
    """One contestant's top-`k` for a query: rank, doc id, snippet, score and grade (None when unjudged)."""
    docs = list(result.run.get(query_id, {}).items())[:k]
    grades = (dataset.qrels or {}).get(query_id)
    rows = []
    for rank, (doc_id, score) in enumerate(docs, start=1):
        title, text = document(dataset, doc_id)
        grade = grades.get(doc_id) if grades else None  # None: not judged
        rows.append((rank, doc_id, _snippet(f"{title}: {text}" if title else text), score, grade))
    frame = pd.DataFrame(rows, columns=["rank", "doc id", "snippet", "score", "grade"])
    return frame.astype({"grade": "Int64"}) if len(frame) else frame


def candidate_documents(comparison: Comparison, query_id: str, k: int = 10) -> list[str]:
    """Doc ids in any contestant's top-`k` for the query, the reference's (the most expensive) first."""
    names = sorted(comparison.results, key=lambda name: name != comparison.reference)
    return list(dict.fromkeys(d for name in names for d in list(comparison.results[name].run.get(query_id, {}))[:k]))


def query_metrics_table(comparison: Comparison, query_id: str) -> pd.DataFrame:
    """Per-contestant metrics of one query; without qrels, overlap@10 with the agreement reference."""
    rows = {}
    for result in comparison.results.values():
        if comparison.has_qrels:
            rows[result.label] = {m: values.get(query_id, math.nan) for m, values in result.per_query.items()}
        elif comparison.reference is not None:
            reference = comparison.results[comparison.reference].run
            rows[result.label] = {f"overlap@10 with {comparison.reference}": overlap_at_k(
                {query_id: reference.get(query_id, {})}, {query_id: result.run.get(query_id, {})}, 10)}
    return pd.DataFrame.from_dict(rows, orient="index")


def per_query_table(comparison: Comparison, metric: str = "ndcg@10") -> pd.DataFrame:
    """`metric` per query (rows) and contestant label (columns); empty without qrels."""
    columns = {r.label: r.per_query.get(metric, {}) for r in comparison.results.values() if r.per_query}
    return pd.DataFrame(columns)


def disagreement_table(comparison: Comparison, dataset: Dataset, k: int = 10) -> pd.DataFrame:
    """Queries sorted by the lowest overlap@k between any two contestants, most disagreement first."""
    results = list(comparison.results.values())
    rows = []
    for query_id in dataset.queries.ids:
        pairs = [(overlap_at_k({query_id: a.run.get(query_id, {})}, {query_id: b.run.get(query_id, {})}, k),
                  f"{a.label} vs {b.label}") for a, b in combinations(results, 2)]
        pairs = [(value, names) for value, names in pairs if not math.isnan(value)]
        if pairs:
            value, names = min(pairs)
            rows.append((query_id, dataset.queries.text(query_id), value, names))
    frame = pd.DataFrame(rows, columns=["query id", "query", f"lowest overlap@{k}", "between"])
    return frame.sort_values(f"lowest overlap@{k}", kind="stable").reset_index(drop=True)


def rank_changes(comparison: Comparison, dataset: Dataset, query_id: str, k: int = 10) -> pd.DataFrame:
    """Documents in any contestant's top-`k` for the query, by the largest rank change between contestants.

    A document outside a ranker's run counts as rank `len(run) + 1` there, shown as None.
    """
    runs = {r.label: list(r.run.get(query_id, {})) for r in comparison.results.values()}
    shown = list(dict.fromkeys(d for docs in runs.values() for d in docs[:k]))
    rows = []
    for doc_id in shown:
        ranks = {label: (docs.index(doc_id) + 1 if doc_id in docs else None) for label, docs in runs.items()}
        filled = [rank if rank is not None else len(runs[label]) + 1 for label, rank in ranks.items()]
        rows.append({"doc id": doc_id, "title": document(dataset, doc_id)[0], **ranks,
                     "largest change": max(filled) - min(filled)})
    frame = pd.DataFrame(rows, columns=["doc id", "title", *runs, "largest change"])
    frame = frame.astype({label: "Int64" for label in runs})
    return frame.sort_values("largest change", ascending=False, kind="stable").reset_index(drop=True)


def score_summary(frame: pd.DataFrame) -> pd.DataFrame:
    """count, mean, std, min and max of a `core.present.figures.score_frame` per contestant, and per relevance when known."""
    frame = frame.assign(relevance=frame["relevant"].map({True: "relevant", False: "not relevant"}))
    by = ["label", "relevance"] if frame["relevant"].notna().any() else ["label"]
    summary = frame.groupby(by, dropna=False, sort=False)["score"].describe()[["count", "mean", "std", "min", "max"]]
    return summary.reset_index().rename(columns={"label": "contestant"}).astype({"count": int})


# --- results and tests -----------------------------------------------------------------------------


def results_table(comparison: Comparison) -> pd.DataFrame:
    """One row per contestant: label, kind, real model, pipeline, metrics, agreement with the reference, latency
    and index time; `colour` holds its colour for the page to paint."""
    rows = []
    for result in comparison.results.values():
        latency = result.latency_ms
        agreement = {f"{name} with {comparison.reference}": value for name, value in result.agreement.items()}
        rows.append({"contestant": result.label, "kind": result.kind_title, "model": result.model, "trained": result.trained,
                     "pipeline": result.pipeline, **result.metrics, **agreement,
                     "p50 ms": latency["p50"], "p95 ms": latency["p95"], "queries/s": result.queries_per_s,
                     "index s": result.index_s, "colour": result.colour})
    return pd.DataFrame(rows)


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


# --- attention -------------------------------------------------------------------------------------


def cross_attention_block(attention: PairAttention, layer: int, head: int | None,
                          max_document_tokens: int | None = None) -> tuple[np.ndarray, list[str], list[str]]:
    """The query-token × document-token block of one layer, for one head or the mean over heads.

    Returns:
        (`[query tokens, document tokens]` weights, query tokens, document tokens).
    """
    block = attention.query_to_document[layer]  # [heads, query tokens, document tokens]
    matrix = block.mean(axis=0) if head is None else block[head]
    query_tokens = attention.tokens[: attention.boundary]
    document_tokens = attention.tokens[attention.boundary:]
    if max_document_tokens is not None:
        matrix, document_tokens = matrix[:, :max_document_tokens], document_tokens[:max_document_tokens]
    return matrix, query_tokens, document_tokens


COMPETES_AS = {"early-layer": "bi"}
"""The contestant kind a trained model joins a comparison as, where it is not its own: the distilled early-layer
student is a sentence-transformers model, searched like the bi-encoder."""


def with_fine_tuned(spec: ComparisonSpec, models: dict[str, str], dataset_name: str) -> tuple[ComparisonSpec, list[str]]:
    """`spec` plus one contestant per fine-tuned model (trained kind -> folder), named "cross-encoder · fine-tuned on
    <data>", of the kind it competes as (`COMPETES_AS`), with the options of the spec's zero-shot contestant of that
    kind (its first stage too), else the kind's defaults; replaces contestants of the same name. Returns the spec
    and the names added.

    Raises:
        SpecError: When the comparison would exceed its contestant limit.
    """
    added, entries = [], list(spec.contestants)
    for trained, folder in models.items():
        name = f"{kinds()[trained].title} · fine-tuned on {dataset_name}"
        for mark in NAME_MARKS:
            name = name.replace(mark, " ")
        kind = COMPETES_AS.get(trained, trained)
        zero_shot = next((entry for entry in spec.contestants if entry.kind == kind), None)
        values = {"name": name, "kind": kind, "model": folder}
        if zero_shot is not None:
            values |= {option: value for option, value in zero_shot.options if option != "codes"}
        entries = [entry for entry in entries if entry.name != name] + [contestant(values)]
        added.append(name)
    return comparison(entries, **{field.name: getattr(spec, field.name) for field in settings()}), added


def model_card(folder: str) -> str | None:
    """The model card (README.md) a fine-tuning run wrote into `folder`, or None."""
    card = Path(folder) / "README.md"
    return card.read_text(encoding="utf-8") if card.is_file() else None
