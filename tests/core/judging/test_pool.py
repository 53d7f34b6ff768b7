"""What judges are shown: pools that hold every contestant's top k once and give no order away, the queries chosen,
the next blind match-up, and the pool written to judge elsewhere and read back as qrels."""

from __future__ import annotations

from core.data import read_qrels
from core.judging.pool import next_matchup, pool_tsv, pooled, queries_to_judge
from core.judging.records import Vote


def test_a_pool_holds_every_contestants_top_k_once_shuffled_per_judge(three):
    pool = pooled(three, "q1", 2)
    assert sorted(pool) == ["d1", "d2", "d6"]
    assert pooled(three, "q1", 2, seed="ana") == pooled(three, "q1", 2, seed="ana")  # a reload shows the same order
    orders = {tuple(pooled(three, "q1", 3, seed=f"judge {i}")) for i in range(20)}
    assert len(orders) > 1  # and judges see different ones


def test_queries_are_chosen_all_at_random_or_where_the_contestants_disagree_most(three):
    ids = ["q1", "q2", "q3"]
    assert queries_to_judge(three, ids, "all", 1, 2) == ids
    assert queries_to_judge(three, ids, "disagree", 1, 2) == ["q1"]  # q1's top 2 differ: {d1,d2} {d2,d1} {d6,d2}
    sample = queries_to_judge(three, ids, "sample", 2, 2, seed="s")
    assert len(sample) == 2 and set(sample) <= set(ids) and sample == queries_to_judge(three, ids, "sample", 2, 2, "s")


def test_the_next_matchup_is_the_least_voted_pair_on_a_query_where_their_lists_differ(three):
    first = next_matchup(three, [], ["q1", "q2", "q3"], seed="ana")
    assert first is not None and first.a != first.b
    voted = [Vote("q1", "bm25", "bi", "a", "ana", 0.0), Vote("q1", "bi", "cross", "b", "ana", 1.0)]
    following = next_matchup(three, voted, ["q1", "q2", "q3"], seed="ana")
    assert {following.a, following.b} == {"bm25", "cross"}  # the pair nobody has voted on yet
    assert following.query_id in {"q1", "q2"}  # on q3 their top 5 are equal: a vote would teach nothing
    assert next_matchup(three, [], ["q3"], seed="ana") is None  # every pair agrees on q3


def test_the_pool_file_is_read_back_as_qrels_once_graded(three, unlabelled):
    text = pool_tsv(three, unlabelled, 2)
    lines = text.splitlines()
    assert lines[0] == "query-id\tcorpus-id\tscore\tquery\tdocument"
    assert len(lines) == 1 + 3 + 2 + 2  # a header, then q1: d1 d2 d6; q2: d4 d5; q3: d1 d2
    graded = [line.replace("\t\t", "\t2\t", 1) if line.startswith("q1\t") else line for line in lines]
    qrels = read_qrels("\n".join(graded).encode(), "pool.tsv")
    assert qrels == {"q1": dict.fromkeys(("d1", "d2", "d6"), 2)}
    assert any("rows without a grade (not judged yet) skipped" in note for note in qrels.notes)
