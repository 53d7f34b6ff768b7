"""Pure plotly figure builders: data in, `go.Figure` out (no I/O, no models, no streamlit).

Every figure has a title, axis titles and fonts large enough for a projector, and draws each contestant
in its own colour (`RankerResult.colour`, fixed by its place in the comparison, so the same on every
page). Labels come from `RankerResult.label`, so untrained models are marked "(untrained)".

User text (doc ids, tokens, labels, dataset names) is shown through `plain`, because plotly reads
`<b>`, `<s>`, `<br>` and the like in any label as markup; escaped entities render as the text itself.
"""

from __future__ import annotations

import html
import math
import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.subplots import make_subplots

from core.analysis.tradeoff_points import pareto_frontier
from core.comparison.colours import colour_for
from core.evaluate import METRICS

if TYPE_CHECKING:  # core.comparison.compare loads the model stack; the builders only read its data
    from core.comparison.results import Comparison

GRADE_COLOURS = {0: "#9E9E9E", 1: "#74C476", 2: "#31A354", 3: "#006D2C"}
UNJUDGED_COLOUR = "#C7C7C7"
DOC_COLOURS = tuple(qualitative.Dark24)
NOT_RELEVANT_COLOUR = "#8C8C8C"

METRIC_NAMES = {"ndcg@10": "nDCG@10", "mrr@10": "MRR@10", "recall@100": "Recall@100", "map@100": "MAP@100",
                "overlap@10": "overlap@10", "kendall_tau@10": "Kendall τ@10"}
AGREEMENT_METRICS = ("overlap@10", "kendall_tau@10")
NORMALISATIONS = ("raw", "minmax", "zscore")
DISTRIBUTION_STYLES = ("histogram", "violin", "ecdf")
SCORE_COLUMNS = ["ranker", "label", "colour", "query_id", "doc_id", "rank", "score", "relevant", "grade"]

FONT = {"size": 18}
TITLE_FONT = {"size": 24}
ZERO_WIDTH_SPACE = "\u200b"


# --- shared helpers --------------------------------------------------------------------------


def plain(text: object) -> str:
    """`text` escaped so that plotly shows it literally instead of reading it as markup.

    Example:
        >>> plain("<s> & co")
        '&lt;s&gt; &amp; co'
    """
    return html.escape(str(text), quote=False)


def grade_colour(grade: int) -> str:
    """Colour of a relevance grade: grey for 0, darker greens for higher grades (3 and above alike)."""
    return GRADE_COLOURS[min(max(grade, 0), 3)]


def metric_name(metric: str) -> str:
    """Display name of a ranx metric string ("ndcg@10" → "nDCG@10")."""
    return METRIC_NAMES.get(metric, metric)


def is_agreement_metric(metric: str) -> bool:
    """Whether `metric` measures agreement with a reference ranker rather than relevance."""
    return metric in AGREEMENT_METRICS or metric.startswith("agreement")


def styled(fig: go.Figure, title: str, x_title: str | None = None, y_title: str | None = None,
           subtitle: str | None = None) -> go.Figure:
    """Apply the house layout: white template, projector-sized fonts, title and axis titles."""
    fig.update_layout(template="plotly_white", font=FONT,
                      title={"text": title, "font": TITLE_FONT, "x": 0.02, "xanchor": "left",
                             **({"subtitle": {"text": subtitle, "font": {"size": 16}}} if subtitle else {})},
                      margin={"t": 110 if subtitle else 80}, legend={"font": {"size": 16}},
                      hoverlabel={"font": {"size": 16}})
    fig.update_xaxes(automargin=True)  # long tick labels and axis titles push the plot in, never get clipped
    fig.update_yaxes(automargin=True)
    if x_title is not None:
        fig.update_xaxes(title_text=x_title)
    if y_title is not None:
        fig.update_yaxes(title_text=y_title)
    return fig


def _log_axis(values: Sequence[float]) -> dict:
    """Settings of a log axis: label only powers of ten when the data spans two decades or more."""
    positive = [v for v in values if v is not None and v > 0 and math.isfinite(v)]
    wide = bool(positive) and max(positive) / min(positive) >= 100
    return {"type": "log", **({"dtick": 1} if wide else {})}


# --- rankings ---------------------------------------------------------------------------------


def _ranked_ids(docs: dict[str, float], k: int) -> list[str]:
    """Doc ids best first (stable for ties, as `top_k`), cut at k."""
    return [d for d, _ in sorted(docs.items(), key=lambda item: -item[1])][:k]


def wrapped(label: str, width: int = 16) -> str:
    """`label` broken into lines of about `width` characters with `<br>`, for a category tick beside its
    neighbours.

    Example:
        >>> wrapped("cross-encoder · fine-tuned on lesson")
        'cross-encoder ·<br>fine-tuned on<br>lesson'
    """
    return "<br>".join(textwrap.wrap(label, width, break_long_words=False)) or label


def rank_shift_figure(runs: dict[str, dict[str, float]], k: int = 10,
                      grades: dict[str, int] | None = None) -> go.Figure:
    """Slope chart of how each document's rank moves from one ranker to the next, for one query.

    Args:
        runs: `{ranker label: {doc_id: score}}` for one query, in the order to draw the rankers.
        k: Ranks shown; a document outside a ranker's top-k sits in the "below top-k" band at k+1.
        grades: Relevance grades of this query's judged documents; colours the lines when given.

    Returns:
        One line trace per document in any ranker's top-k (plus one legend-only trace per grade).

    Example:
        >>> fig = rank_shift_figure({"lexical": {"a": 9.0, "b": 3.0}, "reranked": {"b": 2.1, "a": 0.4}}, k=2)
        >>> [trace.y for trace in fig.data]
        [(1, 2), (2, 1)]
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, not {k}")
    labels = list(runs)
    ranks = {label: {doc: i + 1 for i, doc in enumerate(_ranked_ids(docs, k))} for label, docs in runs.items()}
    docs = list(dict.fromkeys(doc for label in labels for doc in ranks[label]))
    below = k + 1
    x = [wrapped(plain(label)) for label in labels]
    fig = go.Figure()
    for doc in docs:
        y = [ranks[label].get(doc, below) for label in labels]
        grade = None if grades is None else grades.get(doc)
        if grades is None:  # no labels: one colour per document, to follow it across the crossings
            colour, width, group = DOC_COLOURS[len(fig.data) % len(DOC_COLOURS)], 2.5, None
        elif grade is None:
            colour, width, group = UNJUDGED_COLOUR, 1.5, "unjudged"
        else:
            colour, width, group = grade_colour(grade), (4.0 if grade > 0 else 2.0), f"grade {grade}"
        rank_text = [f"rank {r}" if r <= k else f"below top-{k}" for r in y]
        grade_text = "" if grades is None else f"<br>grade: {'unjudged' if grade is None else grade}"
        ends = [plain(doc) if (i in (0, len(y) - 1) and r <= k) else "" for i, r in enumerate(y)]
        fig.add_trace(go.Scatter(
            x=x, y=y, mode="lines+markers+text", name=plain(doc), legendgroup=group, showlegend=False,
            cliponaxis=False,
            line={"color": colour, "width": width, "dash": "dot" if group == "unjudged" else "solid"},
            marker={"size": 11, "color": colour}, text=ends,
            textposition=["middle left"] + ["middle right"] * (len(y) - 1), textfont={"size": 13},
            customdata=[[text, plain(doc)] for text in rank_text],
            hovertemplate=f"doc %{{customdata[1]}}<br>%{{x}}: %{{customdata[0]}}{grade_text}<extra></extra>"))
    if grades is not None:
        shown = sorted({g for doc in docs if (g := grades.get(doc)) is not None}, reverse=True)
        legend = [(f"grade {g}", grade_colour(g)) for g in shown]
        if any(doc not in grades for doc in docs):
            legend.append(("unjudged", UNJUDGED_COLOUR))
        for name, colour in legend:
            fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", name=name, legendgroup=name,
                                     line={"color": colour, "width": 4}, showlegend=True, hoverinfo="skip"))
    fig.add_hrect(y0=k + 0.5, y1=k + 1.5, fillcolor="#EEEEEE", line_width=0, layer="below",
                  annotation_text=f"below top-{k}", annotation_position="right",
                  annotation_font={"size": 14, "color": "#666666"})
    fig.update_yaxes(autorange=False, range=[k + 1.6, 0.4], tickmode="array",
                     tickvals=list(range(1, k + 2)), ticktext=[str(r) for r in range(1, k + 1)] + [f">{k}"])
    # room either side of the first and last rankers for the doc-id labels
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=x, range=[-0.8, len(x) - 0.2])
    subtitle = "colour = relevance grade" if grades is not None else None
    return styled(fig, f"How the top-{k} moves between contestants", "contestant", "rank", subtitle)


# --- scores ------------------------------------------------------------------------------------


def score_frame(comparison: Comparison, normalisation: str = "raw",
                qrels: dict[str, dict[str, int]] | None = None) -> pd.DataFrame:
    """Every (ranker, query, document) score of a comparison's runs as one long frame (a re-ranker's own scores
    only: not its first stage's tail, `RankerResult.scored_depth`).

    Args:
        comparison: The comparison whose runs to read.
        normalisation: "raw", "minmax" (to [0, 1] per ranker and query; a constant group gets 0.5) or
            "zscore" (mean 0, population std 1 per ranker and query; a constant group gets 0).
        qrels: Relevance grades; without them `relevant` and `grade` are NA. In a judged query an
            unjudged document counts as not relevant with grade 0; in an unjudged query both are NA.

    Returns:
        Columns ranker (contestant name), label, colour, query_id, doc_id, rank (1 = best), score, relevant (nullable bool),
        grade (nullable int). `frame.attrs["normalisation"]` records the normalisation.

    Raises:
        ValueError: If `normalisation` is unknown.
    """
    if normalisation not in NORMALISATIONS:
        raise ValueError(f"normalisation must be one of {', '.join(NORMALISATIONS)}, not {normalisation!r}")
    rows = []
    for name, result in comparison.results.items():
        for query_id, docs in result.run.items():
            judged = (qrels or {}).get(query_id)
            for rank, doc in enumerate(_ranked_ids(docs, result.scored_depth or len(docs)), 1):
                grade = judged.get(doc, 0) if judged else pd.NA
                relevant = (grade > 0) if judged else pd.NA
                rows.append((name, result.label, result.colour, query_id, doc, rank, float(docs[doc]), relevant,
                             grade))
    frame = pd.DataFrame(rows, columns=SCORE_COLUMNS)
    frame = frame.astype({"ranker": "object", "label": "object", "colour": "object", "query_id": "object", "doc_id": "object",
                          "rank": "int64", "score": "float64", "relevant": "boolean", "grade": "Int64"})
    if normalisation != "raw" and len(frame):
        scores = frame.groupby(["ranker", "query_id"], sort=False)["score"]
        if normalisation == "minmax":
            low, high = scores.transform("min"), scores.transform("max")
            spread = high - low
            frame["score"] = ((frame["score"] - low) / spread.where(spread > 0)).fillna(0.5)
        else:
            mean, std = scores.transform("mean"), scores.transform("std", ddof=0)
            frame["score"] = ((frame["score"] - mean) / std.where(std > 0)).fillna(0.0)
    frame.attrs["normalisation"] = normalisation
    return frame


def _score_axis_title(normalisation: str) -> str:
    return {"raw": "score (raw, each contestant's own scale)", "minmax": "score (min–max per query)",
            "zscore": "score (z-score per query)"}.get(normalisation, "score")


RELEVANT_LEGEND = "relevant (in each contestant's colour)"
RELEVANT_SWATCH = "#555555"


def score_distribution_figure(frame: pd.DataFrame, style: str = "histogram") -> go.Figure:
    """Distribution of each ranker's scores, split into relevant and not relevant when known.

    Args:
        frame: A `score_frame`; its `attrs["normalisation"]` (default "raw") sets titles and whether the
            rankers share a score axis (raw scales differ, so each ranker gets its own).
        style: "histogram" and "ecdf" (one row per ranker) or "violin" (one column per ranker).

    Returns:
        One subplot per ranker, with one trace per ranker and relevance class.

    Raises:
        ValueError: If `style` is unknown.
    """
    if style not in DISTRIBUTION_STYLES:
        raise ValueError(f"style must be one of {', '.join(DISTRIBUTION_STYLES)}, not {style!r}")
    normalisation = frame.attrs.get("normalisation", "raw")
    raw = normalisation == "raw"
    rankers = list(dict.fromkeys(frame["ranker"])) if len(frame) else []
    labels = {r: frame.loc[frame["ranker"] == r, "label"].iloc[0] for r in rankers}
    colours = {r: frame.loc[frame["ranker"] == r, "colour"].iloc[0] for r in rankers}
    has_relevance = bool(len(frame)) and bool(frame["relevant"].notna().any())
    splits: list[tuple[str, object]] = ([("relevant", True), ("not relevant", False)] if has_relevance
                                        else [("all", None)])
    n = max(1, len(rankers))
    titles = [wrapped(plain(labels[r]), 24) if style == "violin" else plain(labels[r]) for r in rankers]  # side by side
    if style == "violin":
        fig = make_subplots(rows=1, cols=n, subplot_titles=titles, shared_yaxes=not raw, horizontal_spacing=0.04)
    else:
        fig = make_subplots(rows=n, cols=1, subplot_titles=titles, shared_xaxes=not raw, vertical_spacing=0.08)
    for i, ranker in enumerate(rankers):
        row, col = (1, i + 1) if style == "violin" else (i + 1, 1)
        subset = frame[frame["ranker"] == ranker]
        colour = colours[ranker]
        for split_name, flag in splits:
            scores = (subset["score"] if flag is None
                      else subset.loc[subset["relevant"].fillna(not flag) == flag, "score"]).to_numpy(float)
            trace_colour = NOT_RELEVANT_COLOUR if flag is False else colour
            # with relevance the legend names the classes once (relevant bars take each ranker's colour, so their
            # legend entry is `RELEVANT_LEGEND`); the subplot titles name the rankers
            common = {"name": split_name if has_relevance else plain(labels[ranker]),
                      "legendgroup": split_name if has_relevance else ranker,
                      "showlegend": (i == 0 and flag is False) or not has_relevance}
            if style == "histogram":
                trace = go.Histogram(x=scores, marker={"color": trace_colour}, opacity=0.7, nbinsx=30,
                                     histnorm="percent", bingroup=ranker, **common)
            elif style == "ecdf":
                ordered = np.sort(scores)
                trace = go.Scatter(x=ordered, y=np.arange(1, len(ordered) + 1) / max(1, len(ordered)),
                                   mode="lines", line={"color": trace_colour, "width": 3, "shape": "hv"}, **common)
            else:
                side = {True: "positive", False: "negative"}.get(flag, "both")
                trace = go.Violin(y=scores, x=[plain(labels[ranker])] * len(scores), side=side,
                                  line={"color": trace_colour}, fillcolor=trace_colour, opacity=0.6,
                                  meanline={"visible": True}, points=False, **common)
            fig.add_trace(trace, row=row, col=col)
    if has_relevance:
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=RELEVANT_LEGEND, legendgroup="relevant",
                                 legendrank=1, marker={"symbol": "square", "size": 14, "color": RELEVANT_SWATCH}),
                      row=1, col=1)
    if style == "histogram":
        fig.update_layout(barmode="overlay")
        fig.update_xaxes(title_text=_score_axis_title(normalisation), row=n, col=1)
        fig.update_yaxes(title_text="% of class" if has_relevance else "% of documents")
    elif style == "ecdf":
        fig.update_xaxes(title_text=_score_axis_title(normalisation), row=n, col=1)
        fig.update_yaxes(title_text="share ≤ score", range=[0, 1.02])
    else:
        fig.update_layout(violinmode="overlay", violingap=0)
        fig.update_yaxes(title_text=_score_axis_title(normalisation), row=1, col=1)
        fig.update_xaxes(showticklabels=False)  # the subplot titles name the rankers
    fig.update_layout(height=max(420, 230 * n) if style != "violin" else 520)
    fig.update_annotations(font={"size": 18})  # the subplot titles
    title = {"raw": "Score distributions (raw scores)", "minmax": "Score distributions (min–max per query)",
             "zscore": "Score distributions (z-scored per query)"}.get(normalisation, "Score distributions")
    subtitle = "each on its own scale: compare shapes, not positions" if raw else None
    figure = styled(fig, title, subtitle=subtitle)
    figure.update_layout(legend={"orientation": "h", "yanchor": "top", "y": -0.5 / max(1, n) if style != "violin"
                                 else -0.08, "x": 0})  # below: the subplots keep the width of a narrow screen
    return figure.update_layout(margin={"t": 150}) if subtitle else figure  # room above the first subplot's title


# --- quality and cost --------------------------------------------------------------------------


def metrics_figure(comparison: Comparison) -> go.Figure:
    """Grouped bars of each ranker's metrics, or of its agreement with the reference without qrels.

    Returns:
        One bar trace per ranker (the agreement reference has no bars: it agrees with itself).
    """
    fig = go.Figure()
    if comparison.has_qrels:
        metrics, title, y_title = METRICS, "Retrieval quality", "score"
    else:
        reference = comparison.results.get(comparison.reference) if comparison.reference else None
        ref_label = reference.label if reference else "the reference"
        metrics, title = AGREEMENT_METRICS, f"Agreement with {plain(ref_label)} (no relevance labels)"
        y_title = "agreement"
    for result in comparison.results.values():
        values = result.metrics if comparison.has_qrels else result.agreement
        if not values:
            continue
        y = [values.get(m, float("nan")) for m in metrics]
        fig.add_trace(go.Bar(x=[metric_name(m) for m in metrics], y=y, name=plain(result.label),
                             marker={"color": result.colour},
                             text=[f"{v:.2f}" if not math.isnan(v) else "" for v in y], textposition="inside",
                             insidetextanchor="end", textangle=0,
                             hovertemplate=f"{plain(result.label)}<br>%{{x}}: %{{y:.3f}}<extra></extra>"))
    fig.update_layout(barmode="group", uniformtext={"mode": "hide", "minsize": 12})  # a label that does not fit
    shown = [v for trace in fig.data for v in trace.y if not math.isnan(v)]  # its bar is hidden, never overlaps
    fig.update_yaxes(range=[-1.1 if shown and min(shown) < 0 else 0, 1.12])  # Kendall τ can be negative
    subtitle = None if comparison.has_qrels else "overlap@10 and Kendall τ on the reference's top-10"
    return styled(fig, title, "metric", y_title, subtitle)


def _quality_title(metric: str, reference: str = "the reference") -> str:
    if is_agreement_metric(metric):
        return f"agreement (overlap@10 with {reference})"
    return metric_name(metric)


def tradeoff_figure(points: pd.DataFrame, quality: str = "ndcg@10") -> go.Figure:
    """Latency (p50, log x) against quality, one point per ranker, with the Pareto frontier as a step line.

    Args:
        points: Columns ranker, label, colour, latency_ms, quality, trained; optional `reference` (bool, marks the
            agreement reference) and `metric` (the metric's name, e.g. from `tradeoff_points`).
        quality: The metric in the `quality` column ("ndcg@10", "overlap@10", ...), naming the y axis;
            a `metric` column in `points`, when present, takes precedence as it describes the data.

    Returns:
        The frontier trace first, then one marker trace per ranker.
    """
    metric = str(points["metric"].iloc[0]) if "metric" in points and len(points) else quality
    references = points[points["reference"].astype(bool)] if "reference" in points else points.iloc[0:0]
    reference = str(references["label"].iloc[0]) if len(references) else "the reference"
    frontier = pareto_frontier(points, "quality") if len(points) else points
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=frontier["latency_ms"], y=frontier["quality"], mode="lines", name="Pareto frontier",
                             line={"shape": "hv", "color": "#555555", "dash": "dash", "width": 2},
                             hoverinfo="skip"))
    for i, row in enumerate(points.itertuples(index=False)):
        is_reference = bool(getattr(row, "reference", False))
        trained = bool(row.trained)
        symbol = "star" if is_reference else ("circle" if trained else "circle-open")
        note = " (reference)" if is_reference else ""
        fig.add_trace(go.Scatter(
            x=[row.latency_ms], y=[row.quality], mode="markers+text", name=plain(f"{i + 1} · {row.label}{note}"),
            text=[str(i + 1)], textposition="top center", cliponaxis=False, textfont={"size": 15},
            marker={"size": 20, "color": row.colour, "symbol": symbol, "line": {"width": 3, "color": row.colour}},
            hovertemplate=(f"{plain(row.label)}{note}<br>p50 latency: %{{x:.2f}} ms<br>"
                           f"{_quality_title(metric, reference)}: %{{y:.3f}}<extra></extra>")))
    fig.update_xaxes(**_log_axis(points["latency_ms"]))
    quality_values = points["quality"].dropna()
    if len(quality_values):
        low, high = float(quality_values.min()), float(quality_values.max())
        pad = max(0.05, 0.15 * (high - low))
        fig.update_yaxes(range=[low - pad, high + pad])
    subtitle = "up and to the left is better · open markers: untrained"
    figure = styled(fig, "Quality vs latency", "latency per query, p50 (ms, log scale)",
                    _quality_title(metric, reference), subtitle)
    # each point carries its number, the legend its name: a short label never covers a neighbour or its marker;
    # the legend goes below (wrapping), so that the plot keeps the width on a narrow screen
    return figure.update_layout(legend={"orientation": "h", "yanchor": "top", "y": -0.22, "x": 0}, height=560)


def depth_sweep_figure(frame: pd.DataFrame, reranker: str = "the re-ranker", colour: str = colour_for(0)) -> go.Figure:
    """Quality against re-ranking depth (log x), with latency per query on a secondary axis.

    Args:
        frame: Columns depth, quality, latency_ms and optionally metric (as `rerank_depth_sweep`).
        reranker: The re-ranking contestant's label, for the x axis.
        colour: Its colour.

    Returns:
        Two traces: quality (left axis) and latency (right axis, dashed).
    """
    metric = str(frame["metric"].iloc[0]) if "metric" in frame and len(frame) else "ndcg@10"
    y_title = ("agreement (overlap@10 with the deepest re-ranking)" if is_agreement_metric(metric)
               else metric_name(metric))
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Scatter(x=frame["depth"], y=frame["quality"], mode="lines+markers", name=y_title,
                             line={"color": colour, "width": 3}, marker={"size": 10}),
                  secondary_y=False)
    fig.add_trace(go.Scatter(x=frame["depth"], y=frame["latency_ms"], mode="lines+markers",
                             name="latency per query (ms)",
                             line={"color": "#555555", "width": 3, "dash": "dash"}, marker={"size": 10}),
                  secondary_y=True)
    fig.update_xaxes(type="log", tickvals=list(frame["depth"]), ticktext=[str(d) for d in frame["depth"]])
    fig.update_yaxes(title_text=y_title, secondary_y=False, range=[0, 1.05])  # nDCG and overlap live in [0, 1]
    fig.update_yaxes(title_text="latency per query (ms)", secondary_y=True, showgrid=False, tickmode="auto",
                     rangemode="tozero")
    return styled(fig, "Re-ranking depth: quality vs cost", f"candidates re-ranked by {plain(reranker)} (log scale)")


def cost_curve_figure(frame: pd.DataFrame, colours: dict[str, str] | None = None) -> go.Figure:
    """Scoring cost against number of candidates, log–log, one line per ranker; extrapolation dashed.

    Args:
        frame: Columns ranker, label, candidates, ms, extrapolated (as `cost_vs_candidates`).
        colours: Colour by ranker (contestant) name; by position in `frame` otherwise.

    Returns:
        Per ranker, a solid trace of measured points and, when any, a dashed trace that starts at the last
        measured point and runs through the extrapolated ones.
    """
    fig = go.Figure()
    for i, ranker in enumerate(dict.fromkeys(frame["ranker"])):
        rows = frame[frame["ranker"] == ranker].sort_values("candidates")
        label = plain(rows["label"].iloc[0])
        colour = (colours or {}).get(str(ranker), colour_for(i))
        measured = rows[~rows["extrapolated"].astype(bool)]
        guessed = rows[rows["extrapolated"].astype(bool)]
        hover = f"{label}<br>%{{x:,}} candidates: %{{y:.3g}} ms"
        fig.add_trace(go.Scatter(x=measured["candidates"], y=measured["ms"], mode="lines+markers", name=label,
                                 legendgroup=str(ranker), line={"color": colour, "width": 3}, marker={"size": 10},
                                 hovertemplate=hover + "<extra>measured</extra>"))
        if len(guessed):
            joined = pd.concat([measured.tail(1), guessed])
            fig.add_trace(go.Scatter(x=joined["candidates"], y=joined["ms"], mode="lines+markers",
                                     name=f"{label} (extrapolated)", legendgroup=str(ranker),
                                     line={"color": colour, "width": 3, "dash": "dash"},
                                     marker={"size": 10, "symbol": "circle-open"},
                                     hovertemplate=hover + "<extra>extrapolated</extra>"))
    fig.update_xaxes(**_log_axis(frame["candidates"]))
    fig.update_yaxes(**_log_axis(frame["ms"]))
    return styled(fig, "Cost of scoring one query against N candidates", "candidates (log scale)",
                  "ms per query (log scale)", "dashed: extrapolated linearly from the largest measured size")


def latency_figure(comparison: Comparison) -> go.Figure:
    """Per-query latency distribution (box, log y) of each ranker; a re-ranker includes its first stage."""
    fig = go.Figure()
    for result in comparison.results.values():
        fig.add_trace(go.Box(y=result.query_ms, name=plain(result.label), boxpoints="outliers",
                             marker={"color": result.colour},
                             hovertemplate=f"{plain(result.pipeline)}<br>%{{y:.2f}} ms<extra></extra>"))
    fig.update_yaxes(**_log_axis([ms for result in comparison.results.values() for ms in result.query_ms]))
    fig.update_layout(showlegend=False)
    return styled(fig, "Latency per query", "contestant", "ms per query (log scale)",
                  "a re-ranker's latency includes its first stage")


def layer_sweep_figure(frame: pd.DataFrame, metric: str = "ndcg@10") -> go.Figure:
    """Quality of a cross-encoder's first ℓ layers as an embedder against their encoding cost per document.

    Args:
        frame: As `core.analysis.cross_encoder_sweeps.layer_sweep`: one row per ℓ (columns layers, `metric`, ms_per_document)
            and a last row without `layers`, the full cross-encoder's cost per pair (drawn as a vertical line).

    Returns:
        One line through the ℓ points (labelled "ℓ = 1", ...), and the cross-encoder's cost as a line.
    """
    layers = frame[frame["layers"].notna()]
    fig = go.Figure(go.Scatter(
        x=layers["ms_per_document"], y=layers[metric], mode="lines+markers+text", name="first ℓ layers",
        text=[f"ℓ = {int(ell)}" for ell in layers["layers"]], textposition="top left", cliponaxis=False,
        line={"color": colour_for(0), "width": 3}, marker={"size": 12},
        hovertemplate=f"%{{text}}<br>%{{x:.2f}} ms per document<br>{metric_name(metric)}: %{{y:.3f}}<extra></extra>"))
    cross = frame[frame["layers"].isna()]
    if len(cross):
        fig.add_vline(x=float(cross["ms_per_document"].iloc[0]), line_dash="dash", line_color=colour_for(3),
                      annotation_text="full cross-encoder, per pair", annotation_position="bottom left")
    fig.update_xaxes(**_log_axis([*frame["ms_per_document"]]))
    return styled(fig, "A cross-encoder's early layers as an embedder", "encoding cost per document (ms, log scale)",
                  metric_name(metric), "each text encoded alone by the first ℓ layers, mean-pooled, searched like a "
                  "bi-encoder")


def calls_figure(frame: pd.DataFrame, metric: str = "ndcg@10") -> go.Figure:
    """Quality against cross-encoder calls per query, one line per method (ANNCUR, first stage → cross).

    Args:
        frame: As `core.analysis.cross_encoder_sweeps.calls_sweep` (columns method, calls, `metric`).
    """
    fig = go.Figure()
    for i, (method, rows) in enumerate(frame.groupby("method", sort=False)):
        rows = rows.sort_values("calls")
        fig.add_trace(go.Scatter(x=rows["calls"], y=rows[metric], mode="lines+markers", name=plain(method),
                                 line={"color": colour_for(i), "width": 3}, marker={"size": 11},
                                 hovertemplate=f"{plain(method)}<br>%{{x:.0f}} calls per query<br>"
                                               f"{metric_name(metric)}: %{{y:.3f}}<extra></extra>"))
    index_calls = frame.attrs.get("index_calls")
    subtitle = f"ANNCUR also paid {index_calls:,} calls once, to index the corpus" if index_calls else None
    return styled(fig, "Cross-encoder calls per query: ANNCUR vs re-ranking a first stage",
                  "cross-encoder calls per query", metric_name(metric), subtitle)


# --- attention ---------------------------------------------------------------------------------


def unique_labels(tokens: Sequence[str]) -> list[str]:
    """Tokens made unique for a categorical axis by appending zero-width spaces to repeats.

    The n-th repeat of a token gets n invisible U+200B characters, so labels read unchanged.

    Example:
        >>> [t.replace("\u200b", "+") for t in unique_labels(["the", "cat", "the"])]
        ['the', 'cat', 'the+']
    """
    seen: dict[str, int] = {}
    labels = []
    for token in tokens:
        text = plain(token)
        count = seen.get(text, 0)
        seen[text] = count + 1
        labels.append(text + ZERO_WIDTH_SPACE * count)
    return labels


def attention_heatmap_figure(matrix: np.ndarray, row_tokens: list[str], column_tokens: list[str], title: str,
                             colour_scale: str = "Blues", *, x_title: str = "document tokens",
                             y_title: str = "query tokens", value_name: str = "weight") -> go.Figure:
    """Heatmap of a token × token matrix (attention weights or similarities), rows top to bottom.

    Args:
        matrix: `[rows, columns]` values.
        row_tokens: One label per row (e.g. query tokens, or "code 1"...).
        column_tokens: One label per column.
        title: Figure title (plain text; escaped for plotly).
        colour_scale: A plotly colour scale name; a diverging one (e.g. "RdBu") is centred on 0.
        x_title / y_title: Axis titles.
        value_name: What a cell holds, for the colour bar and hover.

    Raises:
        ValueError: If the matrix shape does not match the token lists.
    """
    matrix = np.asarray(matrix, dtype=float)
    if matrix.shape != (len(row_tokens), len(column_tokens)):
        raise ValueError(f"matrix shape {matrix.shape} does not match {len(row_tokens)} row tokens × "
                         f"{len(column_tokens)} column tokens")
    diverging = colour_scale.lower().removesuffix("_r") in {"rdbu", "rdylbu", "piyg", "prgn", "puor", "brbg", "rdgy",
                                                       "balance", "picnic", "portland", "spectral"}
    # weights start at 0: pin the scale there, so that all-zero (or uniform) attention reads as such
    nonnegative = not diverging and matrix.size > 0 and float(matrix.min()) >= 0
    bounds = {"zmin": 0.0, "zmax": float(matrix.max()) or 1.0} if nonnegative else {}
    fig = go.Figure(go.Heatmap(z=matrix, x=unique_labels(column_tokens), y=unique_labels(row_tokens),
                               colorscale=colour_scale, zmid=0 if diverging else None, **bounds,
                               colorbar={"title": {"text": value_name}},
                               hovertemplate=f"%{{y}} → %{{x}}<br>{value_name}: %{{z:.3f}}<extra></extra>"))
    fig.update_xaxes(type="category", tickangle=-60, tickfont={"size": 11 if len(column_tokens) > 30 else 15})
    fig.update_yaxes(type="category", autorange="reversed", tickfont={"size": 11 if len(row_tokens) > 30 else 15})
    fig.update_layout(height=max(420, min(1400, 28 * len(row_tokens) + 220)))
    return styled(fig, plain(title), x_title, y_title)


def code_weights_figure(weights: np.ndarray, colour: str = colour_for(0)) -> go.Figure:
    """Bar chart of how a document weighs the poly-encoder's m query vectors (document → code attention).

    Args:
        weights: `[m]` attention weights (a softmax: non-negative, summing to 1).
        colour: The poly-encoder contestant's colour.

    Raises:
        ValueError: If `weights` is not one-dimensional.
    """
    weights = np.asarray(weights, dtype=float)
    if weights.ndim != 1:
        raise ValueError(f"weights must be one-dimensional [m], not of shape {weights.shape}")
    m = len(weights)
    fig = go.Figure(go.Bar(x=[f"code {i + 1}" for i in range(m)], y=weights,
                           marker={"color": colour},
                           hovertemplate="%{x}: %{y:.3f}<extra></extra>"))
    fig.add_hline(y=1 / m if m else 0, line_dash="dot", line_color="#555555",
                  annotation_text="uniform (1/m)", annotation_position="top right")
    fig.update_xaxes(type="category")
    fig.update_yaxes(rangemode="tozero")
    return styled(fig, f"Document → code attention (m = {m})", "poly-encoder code", "attention weight")


def training_figure(history: dict, title: str = "Fine-tuning") -> go.Figure:
    """A training run's curves side by side: the loss per step (and its running mean over 20 steps) and the
    dev split's nDCG@10 at each evaluation (step 0 is the untrained start)."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=("Training loss", "Dev nDCG@10 (chooses the checkpoint)"))
    losses = history.get("loss", [])
    if losses:
        steps, values = zip(*losses)
        mean = pd.Series(values).rolling(20, min_periods=1).mean()
        fig.add_trace(go.Scatter(x=steps, y=values, mode="lines", name="loss per step",
                                 line={"color": "#BBBBBB", "width": 1}), row=1, col=1)
        fig.add_trace(go.Scatter(x=steps, y=mean, mode="lines", name="running mean",
                                 line={"color": colour_for(0), "width": 3}), row=1, col=1)
    dev = history.get("dev_ndcg@10", [])
    if dev:
        steps, values = zip(*dev)
        fig.add_trace(go.Scatter(x=steps, y=values, mode="lines+markers", name="dev nDCG@10",
                                 line={"color": colour_for(1), "width": 3}, marker={"size": 9}), row=1, col=2)
    fig.update_xaxes(title_text="step")
    return styled(fig, title)
