"""What a comparison shows, in sentences written from its numbers."""

from __future__ import annotations

from core.present.summary import findings
from tests.core.present.test_figures import make_comparison


def test_best_runner_up_significance_and_cost_in_words():
    comparison = make_comparison()
    per_query = {"dense → cross": [1.0, 0.6, 0.9], "poly": [0.8, 0.6, 0.7]}
    for name, values in per_query.items():
        comparison.results[name].per_query = {"ndcg@10": dict(zip(("q1", "q2", "q3"), values))}
    lines = findings(comparison)
    assert lines[0] == "Best by nDCG@10: dense → cross (untrained) (0.800) over 2 judged queries."
    assert lines[1].startswith("The runner-up, poly (untrained), reaches 0.700 (0.100 less); better on 2 queries, "
                               "worse on 0 queries; the difference is not significant")
    assert "p = 0.184" in lines[1]
    assert lines[2] == "Last: lexical (0.500)."
    assert lines[3] == ("It costs 2000.0 ms per query (median), 1,000× the fastest, lexical, which takes 2.0 ms "
                        "and reaches 0.500.")
    assert lines[4] == "Not trained for ranking (shown as a baseline): poly (untrained), dense → cross (untrained)."


def test_contestants_tied_at_the_bottom_are_tied_last_and_one_tied_with_the_runner_up_is_not_last():
    comparison = make_comparison()
    comparison.results["dense"].metrics["ndcg@10"] = comparison.results["lexical"].metrics["ndcg@10"]
    assert "Tied last: lexical, dense (0.500)." in findings(comparison)
    for result in comparison.results.values():
        if result.name != "dense → cross":
            result.metrics["ndcg@10"] = 0.7
    assert not any(line.startswith(("Last", "Tied last")) for line in findings(comparison))


def test_a_model_whose_fine_tuning_kept_its_start_is_named_so_not_as_a_baseline():
    comparison = make_comparison()
    comparison.results["poly"].kept_start = True
    lines = findings(comparison)
    assert "Fine-tuning found no gain on its dev split, so the untrained start was kept: poly." in lines
    assert lines[-2] == "Not trained for ranking (shown as a baseline): dense → cross (untrained)."


def test_equal_on_every_query_and_without_per_query_scores():
    comparison = make_comparison()
    for name in ("dense → cross", "poly"):
        comparison.results[name].per_query = {"ndcg@10": {"q1": 0.5, "q2": 0.5}}
    assert "they score the same on every query" in findings(comparison)[1]
    comparison.results["poly"].per_query = {}
    assert "too few judged queries" in findings(comparison)[1]


def test_without_labels_agreement_is_named_as_such():
    lines = findings(make_comparison(has_qrels=False))
    assert lines[0].startswith("No relevance labels: accuracy cannot be measured") and "dense → cross" in lines[0]
    assert lines[1] == "Closest to it: poly (untrained), sharing 60% of its top 10."
