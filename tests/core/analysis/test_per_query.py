"""Per-query analysis on a comparison built by hand: win / tie / loss counted, disagreements ranked, slices cut,
and what fine-tuning gained and lost against its start."""

from __future__ import annotations

from core.analysis.per_query import (
    by_field,
    by_first_stage_recall,
    by_query_length,
    by_word_overlap,
    disagreements,
    first_relevant_rank,
    gains_and_losses,
    outcome,
    relevant_positions,
    slice_table,
    slicings,
    training_pairs,
    win_tie_loss,
    word_overlap,
)
from core.comparison.colours import colour_for
from core.comparison.results import Comparison, RankerResult
from core.contestants.registry import comparison, contestant
from core.data import Corpus, Queries, make_dataset

CORPUS = Corpus(("d1", "d2", "d3", "d4"), ("stale bread hardens", "starch retrogradation in loaves", "cheese rinds",
                                           "tide tables"), ("", "", "", ""))
QUERIES = Queries(("q1", "q2", "q3"), ("why does bread go stale", "tides", "how do cheese rinds form when cheese ages in cool caves"),
                  fields={"topic": ("food", "sea", "food"), "id": ("a", "b", "c")})
QRELS = {"q1": {"d1": 2, "d2": 1}, "q2": {"d4": 1}, "q3": {"d3": 1}}
DATASET = make_dataset(CORPUS, QUERIES, QRELS, "hand-made")
RUNS = {"bm25": {"q1": {"d1": 3.0, "d3": 1.0}, "q2": {"d4": 2.0}, "q3": {"d3": 2.0, "d1": 1.0}},
        "zero-shot": {"q1": {"d3": 0.9, "d2": 0.5}, "q2": {"d4": 0.8}, "q3": {"d1": 0.7, "d3": 0.6}},
        "tuned": {"q1": {"d1": 0.9, "d2": 0.5}, "q2": {"d4": 0.8}, "q3": {"d1": 0.7, "d3": 0.6}}}
NDCG = {"bm25": {"q1": 0.7, "q2": 1.0, "q3": 1.0}, "zero-shot": {"q1": 0.3, "q2": 1.0, "q3": 0.6},
        "tuned": {"q1": 1.0, "q2": 1.0, "q3": 0.6}}
MODELS = {"bm25": "bm25s", "zero-shot": "Arena joint cross-encoder (zero-shot)",
          "tuned": "Arena joint cross-encoder lesson-cross (fine-tuned on hand-made)"}


def hand_made() -> Comparison:
    spec = comparison([contestant({"name": "bm25", "kind": "bm25"}),
                       contestant({"name": "zero-shot", "kind": "cross", "first": "bm25", "depth": 2}),
                       contestant({"name": "tuned", "kind": "cross", "first": "bm25", "depth": 2})], k=2)
    results = {name: RankerResult(name, spec.contestant(name).kind, "", name, True, MODELS[name], colour_for(i), run,
                                  0.0, [], name, per_query={"ndcg@10": NDCG[name]})
               for i, (name, run) in enumerate(RUNS.items())}
    return Comparison(spec, {"judged_queries": 3}, results, "tuned", [])


def test_win_tie_loss_counted_per_query_with_the_margin():
    assert outcome("a", "b", {"q1": 0.5, "q2": 0.5, "q3": 0.2}, {"q1": 0.3, "q2": 0.495, "q3": 0.3}).counts == "1 / 1 / 1"
    outcomes = win_tie_loss(NDCG)
    assert outcomes[("tuned", "zero-shot")].wins == ("q1",) and outcomes[("tuned", "zero-shot")].ties == ("q2", "q3")
    assert outcomes[("zero-shot", "tuned")].losses == ("q1",)  # the mirror image
    assert outcomes[("bm25", "tuned")].counts == "1 / 1 / 1"
    assert len(outcomes) == 3 * 2


def test_the_most_disputed_queries_come_first_with_where_each_put_the_relevant_documents():
    found = disagreements(hand_made(), DATASET)
    assert list(found["query id"]) == ["q1", "q3", "q2"]  # spreads 0.7, 0.4, 0
    assert list(found["first relevant rank spread"]) == [1, 1, 0]  # q1: 1, 2, 1; q3: 1, 2, 2
    assert first_relevant_rank(RUNS["zero-shot"]["q1"], QRELS["q1"]) == 2
    assert first_relevant_rank({"d3": 1.0}, QRELS["q1"]) is None
    positions = relevant_positions(hand_made(), DATASET, "q1").set_index("doc id")
    assert positions.loc["d1", "bm25"] == 1 and positions.loc["d2", "zero-shot"] == 2
    assert positions.loc["d1", "zero-shot"] is not None and str(positions.loc["d2", "bm25"]) == "<NA>"


def test_slices_cut_the_queries_and_average_each_group():
    lengths = by_query_length(DATASET)
    assert lengths.groups == {"1–2 words": ["q2"], "5–7 words": ["q1"], "8–12 words": ["q3"]}
    assert word_overlap(DATASET, "q1") == 2 / 5  # BM25's terms why, does, bread, go, stale; d1 has bread, stale
    overlap = by_word_overlap(DATASET)
    assert sum(len(queries) for queries in overlap.groups.values()) == 3
    table = slice_table(hand_made(), lengths).set_index("group")
    assert table.loc["5–7 words", "tuned"] == 1.0 and table.loc["5–7 words", "queries"] == 1
    recall = by_first_stage_recall(hand_made(), DATASET)
    # the first re-ranker (zero-shot) was handed d2 of q1's d1, d2; q2's d4; q3's d3
    assert recall.groups == {"some handed over": ["q1"], "all handed over": ["q2", "q3"]}


def test_slices_by_a_field_the_queries_carry():
    topic = by_field(DATASET, "topic")
    assert topic.groups == {"food": ["q1", "q3"], "sea": ["q2"]}  # largest group first
    assert slice_table(hand_made(), topic).set_index("group").loc["food", "tuned"] == (1.0 + 0.6) / 2
    assert by_field(DATASET, "missing") is None
    titles = [slicing.title for slicing in slicings(hand_made(), DATASET)]
    assert titles[:2] == ["topic", "id"] and "query length" in titles  # every field with two groups or more


def test_what_fine_tuning_gained_and_lost_against_its_start():
    comparison_ = hand_made()
    ((tuned, start),) = training_pairs(comparison_)
    assert (tuned.name, start.name) == ("tuned", "zero-shot")
    changed = gains_and_losses(tuned, start)
    assert (changed.wins, changed.losses) == (("q1",), ())
