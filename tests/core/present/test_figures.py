"""The plotly figure builders on a small comparison built by hand (no models)."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from core.analysis.tradeoff_points import tradeoff_points
from core.comparison.colours import FIRST_STAGE_ONLY, PALETTE, colour_for
from core.comparison.results import Comparison, RankerResult
from core.contestants.registry import comparison, contestant
from core.present.figures import (
    GRADE_COLOURS,
    NOT_RELEVANT_COLOUR,
    RELEVANT_LEGEND,
    ZERO_WIDTH_SPACE,
    attention_heatmap_figure,
    code_weights_figure,
    cost_curve_figure,
    depth_sweep_figure,
    latency_figure,
    metrics_figure,
    rank_shift_figure,
    score_distribution_figure,
    score_frame,
    tradeoff_figure,
)
from tests.conftest import ROOT

QRELS = {"q1": {"d2": 2, "d1": 1, "d3": 0}, "q2": {"d4": 1}}
NAMES = {"bm25": "lexical", "bi": "dense", "poly": "poly", "cross": "dense → cross"}
"""The contestants of `make_comparison` by kind: names are the user's, not kinds."""
TITLES = {"bm25": "BM25", "bi": "bi-encoder", "poly": "poly-encoder", "cross": "cross-encoder"}


def make_comparison(has_qrels: bool = True, name: str = "tiny", names: dict[str, str] | None = None) -> Comparison:
    """Four contestants over two queries, with scores on each architecture's own scale.

    Args:
        has_qrels: Relevance metrics (else agreement with the cross-encoder, the reference).
        name: The dataset's name.
        names: Contestant names by kind (default `NAMES`); the cross-encoder re-ranks the bi-encoder's top 3.
    """
    names = {**NAMES, **(names or {})}
    runs = {
        "bm25": {"q1": {"d1": 12.0, "d2": 8.0, "d3": 5.0}, "q2": {"d4": 7.0, "d1": 3.0}, "q3": {"d5": 1.0}},
        "bi": {"q1": {"d2": 0.9, "d1": 0.8, "d5": 0.4}, "q2": {"d1": 0.7, "d4": 0.6}, "q3": {"d5": 0.5}},
        "poly": {"q1": {"d2": 0.91, "d5": 0.8, "d1": 0.7}, "q2": {"d4": 0.7, "d1": 0.6}, "q3": {"d5": 0.2}},
        "cross": {"q1": {"d2": 4.0, "d1": -1.0, "d5": -3.0}, "q2": {"d4": 2.0, "d1": -2.0}, "q3": {"d5": 0.0}},
    }
    untrained = {"poly", "cross"}
    spec = comparison([contestant({"name": names[kind], "kind": kind,
                                   **({"first": names["bi"], "depth": 3} if kind == "cross" else {})})
                       for kind in runs], k=3)
    results = {}
    for i, (kind, run) in enumerate(runs.items()):
        label = f"{names[kind]} (untrained)" if kind in untrained else names[kind]
        metrics = ({"ndcg@10": 0.5 + 0.1 * i, "mrr@10": 0.4 + 0.1 * i, "recall@100": 0.9, "map@100": 0.3 + 0.1 * i}
                   if has_qrels else {})
        agreement = {} if kind == "cross" else {"overlap@10": 0.2 * (i + 1), "kendall_tau@10": 0.1 * i - 0.1}
        pipeline = f"re-ranks {names['bi']}'s top 3" if kind == "cross" else label
        per_query = {metric: {"q1": mean + 0.1 * (i % 2), "q2": mean - 0.1 * (i % 2)} for metric, mean in metrics.items()}
        results[names[kind]] = RankerResult(names[kind], kind, TITLES[kind], label, kind not in untrained,
                                            f"model-{kind}", colour_for(i), run, 0.5,
                                            [1.0 * 10**i, 2.0 * 10**i, 4.0 * 10**i], pipeline, metrics, per_query,
                                            agreement)
    dataset = {"name": name, "documents": 5, "queries": 3, "judged_queries": 2 if has_qrels else 0,
               "judgements": 4 if has_qrels else 0, "notes": ["a dataset note"]}
    return Comparison(spec, dataset, results, names["cross"], ["a comparison note"])


def test_the_figures_and_the_report_load_no_model_stack():
    """Pages and the report draw a finished comparison: importing them must not pull in torch."""
    code = ("import sys, core.present.figures, core.present.report, core.analysis.tradeoff_points; "
            "loaded = [m for m in ('torch', 'transformers', 'sentence_transformers', 'faiss') if m in sys.modules]; "
            "assert not loaded, loaded")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=False, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]


def _title(fig) -> str:
    return fig.layout.title.text or ""


def test_every_figure_has_a_title_and_projector_fonts():
    comparison = make_comparison()
    figures = [rank_shift_figure({"a": {"x": 1.0}}), score_distribution_figure(score_frame(comparison)),
               metrics_figure(comparison), latency_figure(comparison),
               attention_heatmap_figure(np.eye(2), ["a", "b"], ["c", "d"], "t"), code_weights_figure(np.ones(3) / 3),
               tradeoff_figure(_points()), depth_sweep_figure(_sweep()), cost_curve_figure(_costs())]
    for fig in figures:
        assert _title(fig) and fig.layout.font.size >= 16 and fig.layout.title.font.size >= 20
        assert any(axis.title.text for axis in fig.select_xaxes())
        assert any(axis.title.text for axis in fig.select_yaxes())


# --- colours ---------------------------------------------------------------------------------------


def test_each_place_in_a_comparison_has_its_own_colour():
    assert len(set(PALETTE)) == len(PALETTE) == 8  # as many as a comparison may hold
    assert [colour_for(i) for i in range(8)] == list(PALETTE)
    assert colour_for(8) == colour_for(-1) == FIRST_STAGE_ONLY and FIRST_STAGE_ONLY not in PALETTE


def test_a_contestant_has_the_same_colour_in_every_figure():
    comparison = make_comparison()
    colours = {name: result.colour for name, result in comparison.results.items()}
    assert len(set(colours.values())) == 4
    labels = {result.label: result.colour for result in comparison.results.values()}

    def by_name(fig) -> dict[str, str]:
        return {trace.name: trace.marker.color for trace in fig.data}

    assert by_name(metrics_figure(comparison)) == labels
    assert by_name(latency_figure(comparison)) == labels
    frame = score_frame(comparison, qrels=QRELS)
    assert frame.groupby("ranker")["colour"].unique().map(list).to_dict() == {n: [c] for n, c in colours.items()}
    histogram = score_distribution_figure(frame)  # the relevant class in the contestant's colour, the rest grey
    bars = histogram.data[:-1]  # the last trace is the legend's entry for the relevant class
    assert [trace.marker.color for trace in bars[::2]] == list(colours.values())
    assert {trace.marker.color for trace in bars[1::2]} == {NOT_RELEVANT_COLOUR}
    ecdf = score_distribution_figure(score_frame(comparison), "ecdf")  # no relevance: one line per contestant
    assert {trace.name: trace.line.color for trace in ecdf.data} == labels
    violin = score_distribution_figure(score_frame(comparison), "violin")
    assert [trace.line.color for trace in violin.data] == list(colours.values())
    points = tradeoff_points(comparison)
    assert dict(zip(points["ranker"], points["colour"])) == colours
    markers = tradeoff_figure(points).data[1:]
    assert [trace.marker.color for trace in markers] == list(colours.values())
    costs = _costs().replace({"ranker": {"bi": "dense", "cross": "dense → cross"}})
    curves = cost_curve_figure(costs, colours)
    assert {trace.line.color for trace in curves.data if trace.legendgroup == "dense"} == {colours["dense"]}
    assert {trace.line.color for trace in curves.data if trace.legendgroup == "dense → cross"} == {
        colours["dense → cross"]}
    sweep = depth_sweep_figure(_sweep(), "dense → cross (untrained)", colours["dense → cross"])
    assert sweep.data[0].line.color == colours["dense → cross"]
    assert code_weights_figure(np.ones(2) / 2, colours["poly"]).data[0].marker.color == colours["poly"]


def test_without_colours_the_cost_curves_take_them_by_position():
    fig = cost_curve_figure(_costs())
    assert [trace.line.color for trace in fig.data] == [colour_for(0), colour_for(1), colour_for(1)]


# --- rank shift ---------------------------------------------------------------------------------


def test_rank_shift_connects_each_documents_ranks_and_drops_the_rest_below_top_k():
    runs = {"bm25": {"a": 9.0, "b": 3.0, "c": 1.0}, "cross": {"c": 5.0, "a": 4.0, "d": 0.1}}
    fig = rank_shift_figure(runs, k=2)
    lines = {trace.name: trace for trace in fig.data}
    assert list(lines) == ["a", "b", "c"]  # d is in no top-2
    assert lines["a"].y == (1, 2) and lines["b"].y == (2, 3) and lines["c"].y == (3, 1)  # 3 = k + 1: below
    assert list(lines["a"].x) == ["bm25", "cross"]
    assert "doc %{customdata[1]}" in lines["b"].hovertemplate
    assert [list(point) for point in lines["b"].customdata] == [["rank 2", "b"], ["below top-2", "b"]]
    low, high = fig.layout.yaxis.range
    assert low > high  # rank 1 at the top
    assert list(fig.layout.yaxis.ticktext)[-1] == ">2"


def test_rank_shift_colours_by_grade_with_a_legend_per_grade():
    runs = {"bi": {"a": 0.9, "b": 0.5, "c": 0.1}, "cross": {"b": 1.0, "a": 0.0, "c": -1.0}}
    fig = rank_shift_figure(runs, k=3, grades={"a": 2, "b": 0})
    lines = {trace.name: trace for trace in fig.data if trace.showlegend is False}
    assert lines["a"].line.color == GRADE_COLOURS[2] and lines["b"].line.color == GRADE_COLOURS[0]
    assert lines["c"].line.dash == "dot"  # unjudged
    assert [trace.name for trace in fig.data if trace.showlegend] == ["grade 2", "grade 0", "unjudged"]


def test_rank_shift_escapes_markup_in_doc_ids():
    fig = rank_shift_figure({"bi": {"<b>x</b>": 1.0}}, k=1)
    assert fig.data[0].name == "&lt;b&gt;x&lt;/b&gt;"


# --- score frame and distributions -----------------------------------------------------------------


def test_score_frame_raw_has_one_row_per_ranked_document():
    frame = score_frame(make_comparison(), qrels=QRELS)
    assert list(frame.columns) == ["ranker", "label", "colour", "query_id", "doc_id", "rank", "score", "relevant",
                                   "grade"]
    assert len(frame) == 4 * (3 + 2 + 1)
    assert list(dict.fromkeys(frame["ranker"])) == ["lexical", "dense", "poly", "dense → cross"]  # names, in order
    bi_q1 = frame[(frame.ranker == "dense") & (frame.query_id == "q1")]
    assert bi_q1["doc_id"].tolist() == ["d2", "d1", "d5"] and bi_q1["rank"].tolist() == [1, 2, 3]
    assert bi_q1["relevant"].tolist() == [True, True, False]  # d5 unjudged in a judged query: not relevant
    assert bi_q1["grade"].tolist() == [2, 1, 0]
    assert frame.loc[frame.query_id == "q3", "relevant"].isna().all()  # q3 has no judgements at all
    assert set(frame.loc[frame.ranker == "poly", "label"]) == {"poly (untrained)"}


def test_score_frame_without_qrels_marks_relevance_unknown():
    frame = score_frame(make_comparison())
    assert frame["relevant"].isna().all() and frame["grade"].isna().all()


def test_minmax_maps_each_ranker_and_query_onto_0_1():
    frame = score_frame(make_comparison(), "minmax")
    assert frame["score"].between(0.0, 1.0).all()
    groups = frame[frame.query_id != "q3"].groupby(["ranker", "query_id"])["score"]
    assert (groups.min() == 0.0).all() and (groups.max() == 1.0).all()
    assert (frame.loc[frame.query_id == "q3", "score"] == 0.5).all()  # one document: a constant group
    bm25_q1 = frame[(frame.ranker == "lexical") & (frame.query_id == "q1")]["score"].tolist()
    assert bm25_q1 == pytest.approx([1.0, (8 - 5) / (12 - 5), 0.0])


def test_zscore_centres_each_ranker_and_query():
    frame = score_frame(make_comparison(), "zscore")
    groups = frame.groupby(["ranker", "query_id"])["score"]
    assert np.allclose(groups.mean(), 0.0)
    multi = frame[frame.query_id != "q3"].groupby(["ranker", "query_id"])["score"]
    assert np.allclose(multi.std(ddof=0), 1.0)
    with pytest.raises(ValueError, match="normalisation"):
        score_frame(make_comparison(), "rank")


def test_histogram_splits_relevant_from_not_relevant_per_ranker():
    fig = score_distribution_figure(score_frame(make_comparison(), qrels=QRELS))
    assert len(fig.data) == 4 * 2 + 1
    assert {trace.name for trace in fig.data} == {"relevant", "not relevant", RELEVANT_LEGEND}
    legend = [(trace.name, trace.marker.color) for trace in fig.data if trace.showlegend is not False]
    assert legend == [("not relevant", NOT_RELEVANT_COLOUR), (RELEVANT_LEGEND, "#555555")]  # no contestant's colour
    assert fig.layout.legend.orientation == "h" and fig.layout.legend.y < 0  # below: the plots keep the width
    assert {trace.histnorm for trace in fig.data[:-1]} == {"percent"}  # each class as a share of itself
    assert fig.data[0].bingroup == fig.data[1].bingroup == "lexical"  # both classes of a contestant share bins
    assert "raw" in _title(fig) and "its own scale" in fig.layout.title.subtitle.text
    unlabelled = score_distribution_figure(score_frame(make_comparison()))
    assert len(unlabelled.data) == 4 and [t.name for t in unlabelled.data][2] == "poly (untrained)"


def test_ecdf_is_monotone_and_ends_at_one():
    fig = score_distribution_figure(score_frame(make_comparison(), "minmax", QRELS), style="ecdf")
    assert "min–max" in _title(fig) and not fig.layout.title.subtitle.text
    for trace in fig.data[:-1]:
        x, y = np.asarray(trace.x, float), np.asarray(trace.y, float)
        if len(x):
            assert np.all(np.diff(x) >= 0) and np.all(np.diff(y) > 0) and y[-1] == pytest.approx(1.0)


def test_violin_uses_one_column_per_ranker_and_both_sides():
    fig = score_distribution_figure(score_frame(make_comparison(), "zscore", QRELS), style="violin")
    assert len(fig.data) == 9 and {trace.side for trace in fig.data[:-1]} == {"positive", "negative"}
    assert fig.layout.xaxis4.domain[0] > fig.layout.xaxis.domain[1]
    with pytest.raises(ValueError, match="style"):
        score_distribution_figure(score_frame(make_comparison()), style="pie")


# --- metrics, trade-offs, costs ---------------------------------------------------------------------


def test_metrics_figure_shows_relevance_metrics_with_qrels():
    comparison = make_comparison()
    fig = metrics_figure(comparison)
    assert len(fig.data) == 4 and fig.layout.barmode == "group"
    assert list(fig.data[0].x) == ["nDCG@10", "MRR@10", "Recall@100", "MAP@100"]
    assert list(fig.data[1].y) == pytest.approx([0.6, 0.5, 0.9, 0.4])
    assert fig.data[3].name == "dense → cross (untrained)"


def test_metrics_figure_shows_agreement_without_qrels():
    fig = metrics_figure(make_comparison(has_qrels=False))
    assert "Agreement with dense → cross (untrained)" in _title(fig)
    assert [trace.name for trace in fig.data] == ["lexical", "dense", "poly (untrained)"]  # the reference: no bars
    assert list(fig.data[0].x) == ["overlap@10", "Kendall τ@10"]


def _points(metric: str = "ndcg@10") -> pd.DataFrame:
    return pd.DataFrame({"ranker": ["bm25", "bi", "poly", "cross"], "label": ["bm25", "bi", "poly", "cross"],
                         "colour": list(PALETTE[:4]),
                         "latency_ms": [2.0, 5.0, 6.0, 80.0], "quality": [0.4, 0.6, 0.5, 0.7],
                         "trained": [True, True, False, False], "reference": [False, False, False, True],
                         "metric": [metric] * 4})


def test_tradeoff_figure_draws_the_pareto_frontier_as_steps_on_log_latency():
    fig = tradeoff_figure(_points())
    frontier, *markers = fig.data
    assert frontier.line.shape == "hv"
    assert list(frontier.x) == [2.0, 5.0, 80.0] and list(frontier.y) == [0.4, 0.6, 0.7]  # poly is dominated by bi
    assert len(markers) == 4 and markers[2].marker.symbol == "circle-open" and markers[3].marker.symbol == "star"
    assert fig.layout.xaxis.type == "log" and fig.layout.yaxis.title.text == "nDCG@10"
    assert [marker.marker.color for marker in markers] == list(PALETTE[:4])
    assert markers[2].marker.line.color == PALETTE[2]  # an open marker keeps its colour in the outline


def test_tradeoff_figure_names_agreement_on_the_y_axis():
    assert tradeoff_figure(_points("overlap@10")).layout.yaxis.title.text == "agreement (overlap@10 with cross)"
    no_metric = _points().drop(columns=["metric"])
    assert tradeoff_figure(no_metric, quality="overlap@10").layout.yaxis.title.text.startswith("agreement")


def _sweep() -> pd.DataFrame:
    return pd.DataFrame({"depth": [10, 100, 1000], "quality": [0.5, 0.6, 0.61], "latency_ms": [20, 200, 2000],
                         "metric": "ndcg@10"})


def _costs() -> pd.DataFrame:
    kinds = ["bi", "bi", "cross", "cross", "cross"]
    return pd.DataFrame({"ranker": kinds, "label": kinds, "kind": kinds, "candidates": [10, 100, 10, 100, 1000],
                         "ms": [1.0, 1.5, 20.0, 200.0, 2000.0], "extrapolated": [False, False, False, True, True]})


def test_depth_sweep_figure_has_quality_and_latency_axes():
    fig = depth_sweep_figure(_sweep(), "bi → <b>cross</b>", PALETTE[3])
    assert len(fig.data) == 2 and fig.data[1].yaxis == "y2"
    assert fig.layout.xaxis.type == "log" and fig.layout.yaxis.title.text == "nDCG@10"
    assert "latency" in fig.layout.yaxis2.title.text
    assert fig.layout.xaxis.title.text == "candidates re-ranked by bi → &lt;b&gt;cross&lt;/b&gt; (log scale)"
    assert fig.data[0].line.color == PALETTE[3]


def test_cost_curve_dashes_the_extrapolated_segment_from_the_last_measurement():
    fig = cost_curve_figure(_costs())
    assert len(fig.data) == 3
    dashed = fig.data[2]
    assert dashed.line.dash == "dash" and list(dashed.x) == [10, 100, 1000]  # starts at the last measured point
    assert fig.layout.xaxis.type == "log" and fig.layout.yaxis.type == "log"


def test_latency_figure_is_one_box_per_ranker_on_log_y():
    fig = latency_figure(make_comparison())
    assert [trace.type for trace in fig.data] == ["box"] * 4
    assert list(fig.data[3].y) == [1000.0, 2000.0, 4000.0] and fig.layout.yaxis.type == "log"


# --- attention -----------------------------------------------------------------------------------------


def test_attention_heatmap_keeps_repeated_tokens_apart_and_rows_top_down():
    matrix = np.arange(6, dtype=float).reshape(2, 3)
    fig = attention_heatmap_figure(matrix, ["the", "<s>"], ["the", "cat", "the"], "Layer 1, head 2")
    heatmap = fig.data[0]
    assert len(set(heatmap.x)) == 3 and [t.replace(ZERO_WIDTH_SPACE, "") for t in heatmap.x] == ["the", "cat", "the"]
    assert heatmap.x[2] == "the" + ZERO_WIDTH_SPACE
    assert heatmap.y[1] == "&lt;s&gt;"  # plotly would read <s> as strikethrough markup
    assert fig.layout.yaxis.autorange == "reversed" and _title(fig) == "Layer 1, head 2"
    assert np.asarray(heatmap.z).tolist() == matrix.tolist()
    with pytest.raises(ValueError, match="shape"):
        attention_heatmap_figure(matrix, ["a"], ["b", "c", "d"], "bad")


def test_diverging_colour_scales_are_centred_on_zero():
    fig = attention_heatmap_figure(np.array([[-0.5, 1.0]]), ["q"], ["a", "b"], "cosine", "RdBu")
    assert fig.data[0].zmid == 0


def test_code_weights_figure_has_one_bar_per_code():
    weights = np.array([0.1, 0.2, 0.3, 0.4])
    fig = code_weights_figure(weights)
    assert len(fig.data) == 1 and list(fig.data[0].x) == ["code 1", "code 2", "code 3", "code 4"]
    assert math.isclose(sum(fig.data[0].y), 1.0) and "m = 4" in _title(fig)
    with pytest.raises(ValueError, match="one-dimensional"):
        code_weights_figure(np.ones((2, 2)))


def test_builders_accept_empty_inputs():
    """A page with nothing selected still gets a titled, empty figure rather than an exception."""
    empty = Comparison(make_comparison().spec, {"name": "none", "judged_queries": 0, "notes": []}, {}, None, [])
    figures = [rank_shift_figure({}), rank_shift_figure({"bi": {}}), metrics_figure(empty), latency_figure(empty),
               tradeoff_figure(pd.DataFrame(columns=["ranker", "label", "colour", "latency_ms", "quality", "trained"])),
               cost_curve_figure(pd.DataFrame(columns=["ranker", "label", "candidates", "ms", "extrapolated"])),
               attention_heatmap_figure(np.zeros((0, 0)), [], [], "nothing")]
    figures += [score_distribution_figure(score_frame(empty, norm), style)
                for norm, style in (("raw", "histogram"), ("minmax", "ecdf"), ("zscore", "violin"))]
    for fig in figures:
        assert _title(fig) and len(fig.data) <= 1  # at most the (empty) frontier


def test_trade_off_points_carry_numbers_and_the_legend_their_names():
    """A name beside each point overlapped its neighbours and covered their markers: a point shows its number."""
    points = tradeoff_points(make_comparison())
    traces = tradeoff_figure(points).data[1:]
    assert [trace.text[0] for trace in traces] == ["1", "2", "3", "4"]
    assert [trace.name for trace in traces] == [f"{i} · {label}" for i, label in enumerate(points["label"], 1)]
