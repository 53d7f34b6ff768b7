"""Judge page: a grade and a vote made in the page land in the shared log and become labels the other pages use."""

from __future__ import annotations

from app_pages._shared import Stored
from core.data import first_queries
from core.judging.store import JudgingStore
from tests.app.helpers import no_exception, open_page


def own_data(shared_state: dict) -> dict:
    """The demo's session on its first 8 queries: data of its own, so that judging it changes no other test's."""
    stored = shared_state["shared.comparisons"][shared_state["shared.current"]]
    data = first_queries(shared_state["shared.dataset"], 8)
    key = (data.content_hash, stored.comparison.spec)
    return {**shared_state, "shared.dataset": data, "shared.dataset_key": data.content_hash,
            "shared.comparisons": {key: Stored(stored.comparison, None, 0.0)}, "shared.current": key}


def test_a_grade_and_a_vote_are_kept_and_the_metrics_use_the_grade(shared_state):
    state = own_data(shared_state)
    at = open_page("judge", state)
    no_exception(at)
    assert "Type your name" in at.info[0].value
    at.text_input(key="judge.name").input("Ana").run()
    at.button(key="judge.grade2").click().run()
    no_exception(at)
    store = JudgingStore.for_dataset(state["shared.dataset"])
    made = store.read().judgements
    assert [(j.judge, j.grade) for j in made] == [("Ana", 2)]
    at.segmented_control(key="judge.mode").set_value("vote").run()
    at.button(key="judge.vote_a").click().run()
    no_exception(at)
    vote = store.read().votes[0]
    assert vote.outcome == "a" and vote.judge == "Ana"
    assert any("A was" in success.value for success in at.success)  # the names, after the vote
    assert at.subheader[0].value == "Leaderboard from 1 blind votes"
    at.button(key="judge.undo_vote").click().run()
    assert store.read().votes == ()  # undone
    data = state["shared.dataset"]
    had = data.qrels.get(made[0].query_id, {}).get(made[0].doc_id)
    tradeoffs = open_page("tradeoffs", state)
    no_exception(tradeoffs)
    noted = any(caption.value.startswith("metrics include 1 judgements") for caption in tradeoffs.caption)
    assert noted == (had is None)  # a label the uploaded qrels lacked: the metrics now count it, and say so
    labels = open_page("judge", {**state, "judge.mode": "labels"})
    no_exception(labels)
    table = labels.dataframe[0].value
    assert table.to_dict("records")[0] == {"judge": "Ana", "documents graded": 1, "votes": 0}
    assert (had is not None and had != 2) == any("differ from the uploaded" in h.value for h in labels.subheader)
