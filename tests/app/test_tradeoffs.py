"""Trade-offs page: metrics with significance tests, depth sweep, poly m cost, cost against candidates."""

from __future__ import annotations

from tests.app.helpers import labels, no_exception, open_page


def test_metric_table_and_paired_significance_tests(shared_state):
    at = open_page("tradeoffs", shared_state)
    no_exception(at)
    results, significance = at.dataframe[0].value, at.dataframe[1].value
    assert list(results["contestant"]) == labels(shared_state)
    assert {"kind", "model", "pipeline", "ndcg@10", "p50 ms"} <= set(results.columns)
    assert len(significance) == 3 * 4  # three pairs × four metrics
    assert set(significance["A"]) | set(significance["B"]) == set(labels(shared_state))
    tested = significance["p-value"].notna()
    assert significance.loc[tested, "p-value"].between(0, 1).all()
    assert (significance.loc[~tested, "significant"] == "no (equal on every query)").all()


def test_sweeps_run_on_demand(shared_state):
    at = open_page("tradeoffs", shared_state)
    assert at.selectbox(key="tradeoffs.reranker").options == ["MiniLM → cross: re-ranks MiniLM"]
    at.multiselect(key="tradeoffs.depths").set_value([10, 20])
    at.slider(key="tradeoffs.queries").set_value(3).run()
    assert at.caption[2].value.startswith("60 (query, document) pairs for MiniLM → cross: about")
    at.button(key="tradeoffs.sweep_run").click().run()
    no_exception(at)
    at.multiselect(key="tradeoffs.codes").set_value([1, 16]).run()
    at.button(key="tradeoffs.codes_run").click().run()
    no_exception(at)
    at.multiselect(key="tradeoffs.sizes").set_value([10, 100])
    at.slider(key="tradeoffs.budget").set_value(0.5).run()
    at.button(key="tradeoffs.cost_run").click().run()
    no_exception(at)
    stored = at.session_state["shared.comparisons"][at.session_state["shared.current"]]
    assert list(stored.derived[("sweep", "MiniLM → cross")]["depth"]) == [10, 20]
    assert list(stored.derived["codes"]["codes"]) == [1, 16]
    assert set(stored.derived["cost"]["candidates"]) == {10, 100}


def test_a_failed_measurement_is_a_message(shared_state, monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError("ranker 'MiniLM' has no indexed corpus: call index(corpus) first")

    monkeypatch.setattr("core.analysis.sweeps.cost_vs_candidates", broken)
    at = open_page("tradeoffs", shared_state)
    at.button(key="tradeoffs.cost_run").click().run()
    no_exception(at)
    assert at.error[0].value.startswith("The measurement could not run: ranker 'MiniLM' has no indexed corpus")
