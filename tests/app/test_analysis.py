"""Analysis page: intervals and corrected tests, the win / tie / loss matrix with a cell opened, the most disputed
query side by side, and slices; all on the small comparison of the sample data."""

from __future__ import annotations

from tests.app.helpers import labels, no_exception, open_page


def test_the_statistics_the_matrix_and_the_most_disputed_query(shared_state):
    at = open_page("analysis", shared_state)
    no_exception(at)
    means, pairs = at.dataframe[0].value, at.dataframe[1].value
    assert sorted(means["contestant"]) == sorted(labels(shared_state))
    assert (means["interval low"] <= means["mean"]).all() and (means["mean"] <= means["interval high"]).all()
    assert len(pairs) == 3 and set(pairs["verdict"]) <= {"cannot be told apart", "identical on every query"} | {
        f"told apart: {label} better" for label in labels(shared_state)}
    assert all(text.count(" / ") == 2 for text in pairs["A wins / ties / losses"])
    assert any("Holm" in caption.value for caption in at.caption)
    row, column = labels(shared_state)[0], labels(shared_state)[1]
    at.selectbox(key="analysis.row").set_value(row)
    at.selectbox(key="analysis.column").set_value(column).run()
    no_exception(at)
    wins = [e.label for e in at.expander if e.label.startswith(f"{row} wins against {column}")]
    assert len(wins) == 1
    disputed = at.dataframe[5].value
    assert list(disputed.columns[:2]) == ["query id", "query"]
    assert at.selectbox(key="analysis.query").value == disputed["query id"].iloc[0]  # the most disputed first


def test_a_tie_margin_and_another_metric(shared_state):
    at = open_page("analysis", shared_state)
    at.segmented_control(key="analysis.metric").set_value("mrr@10")
    at.number_input(key="analysis.margin").set_value(0.5).run()
    no_exception(at)
    pairs = at.dataframe[1].value
    assert all(text.split(" / ")[1] != "0" for text in pairs["A wins / ties / losses"])  # wide margin: ties
