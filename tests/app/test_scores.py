"""Scores page: distributions per contestant, split by relevance, on raw or normalised scales."""

from __future__ import annotations

from tests.app.helpers import labels, no_exception, open_page


def test_raw_scores_are_summarised_per_contestant_and_relevance(shared_state):
    at = open_page("scores", shared_state)
    no_exception(at)
    assert "different scales" in at.markdown[0].value
    summary = at.dataframe[0].value
    assert list(summary.columns[:2]) == ["contestant", "relevance"]
    assert set(summary["relevance"]) == {"relevant", "not relevant"}
    assert list(dict.fromkeys(summary["contestant"])) == labels(shared_state)  # "BM25 <s>" as it is
    assert len(summary) == 6  # three contestants × (relevant, not relevant)


def test_normalised_views(shared_state):
    at = open_page("scores", shared_state)
    at.segmented_control(key="scores.normalisation").set_value("minmax")
    at.segmented_control(key="scores.style").set_value("ecdf").run()
    no_exception(at)
    summary = at.dataframe[0].value
    assert summary["min"].min() >= 0.0 and summary["max"].max() <= 1.0
    at.segmented_control(key="scores.normalisation").set_value("zscore")
    at.segmented_control(key="scores.style").set_value("violin").run()
    no_exception(at)
