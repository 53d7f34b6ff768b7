"""The shared log of judgements and votes: what it keeps, undo, and many judges saving at once (threads in one
server, and processes) without losing a save or damaging a line."""

from __future__ import annotations

import json
import multiprocessing
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from core.judging.store import JudgingError, JudgingStore, judging_key
from core.types import Corpus, Dataset, Queries


def test_a_judges_latest_grade_counts_and_undo_takes_a_save_back(tmp_path):
    store = JudgingStore(tmp_path / "log.jsonl")
    assert store.read().version == 0 and store.read().judgements == ()
    store.add_judgement("q1", "d1", 0, "ana")
    store.add_judgement("q1", "d1", 2, "ana")  # changed her mind
    store.add_judgement("q1", "d1", 1, "bo")
    regret = store.add_judgement("q1", "d2", 2, "ana")
    store.add_vote("q1", "bm25", "bi", "b", "ana")
    store.undo(regret)
    judged = store.read()
    assert [(j.judge, j.doc_id, j.grade) for j in judged.judgements] == [("ana", "d1", 2), ("bo", "d1", 1)]
    assert [(v.a, v.b, v.winner) for v in judged.votes] == [("bm25", "bi", "bi")]
    assert judged.version == 6 and judged.judges == ("ana", "bo")
    assert JudgingStore(tmp_path / "log.jsonl").read() == judged  # another store (a restarted server) reads the same


def test_bad_values_are_refused_with_a_reason(tmp_path):
    store = JudgingStore(tmp_path / "log.jsonl")
    with pytest.raises(JudgingError, match="grade 3 is not on the scale"):
        store.add_judgement("q1", "d1", 3, "ana")
    with pytest.raises(JudgingError, match="outcome 'maybe'"):
        store.add_vote("q1", "a", "b", "maybe", "ana")
    with pytest.raises(JudgingError, match="two contestants"):
        store.add_vote("q1", "a", "a", "a", "ana")
    with pytest.raises(JudgingError, match="longer than 80"):
        store.add_judgement("q1", "d1", 1, "x" * 81)
    with pytest.raises(JudgingError, match="query 'q2', document 'd9': grade 5"):
        store.add_judgements({"q1": {"d1": 1}, "q2": {"d9": 5}}, "import")
    assert store.read().version == 0  # nothing half-written


def test_a_damaged_line_is_counted_not_fatal(tmp_path):
    store = JudgingStore(tmp_path / "log.jsonl")
    store.add_judgement("q1", "d1", 1, "ana")
    with (tmp_path / "log.jsonl").open("a") as log:
        log.write('{"id": "x", "type": "judgement", "query_id": "q1"\n')  # a disk that failed mid-line
    store.add_judgement("q1", "d2", 2, "ana")
    judged = store.read()
    assert len(judged.judgements) == 2 and judged.damaged == 1


def test_the_key_is_the_corpus_and_queries_not_the_uploaded_qrels():
    corpus, queries = Corpus(("d1",), ("text",), ("",)), Queries(("q1",), ("question",))
    assert judging_key(Dataset(corpus, queries, None, "a")) == judging_key(Dataset(corpus, queries, {"q1": {"d1": 1}},
                                                                                     "b"))
    assert judging_key(Dataset(corpus, Queries(("q2",), ("question",)), None, "a")) != judging_key(
        Dataset(corpus, queries, None, "a"))


JUDGES, SAVES = 20, 25


def _judge(path: Path, judge: int) -> None:
    store = JudgingStore(path)
    for number in range(SAVES):
        if number % 5 == 4:
            store.add_vote(f"q{number}", "bi", "cross", "a", f"judge {judge}")
        else:
            store.add_judgement(f"q{number}", f"d{judge}", number % 3, f"judge {judge}")


def test_twenty_judges_saving_at_once_in_one_server_lose_nothing(tmp_path):
    path = tmp_path / "log.jsonl"
    with ThreadPoolExecutor(JUDGES) as pool:
        list(pool.map(lambda judge: _judge(path, judge), range(JUDGES)))
    _expect_every_save(path)


def test_twenty_judges_saving_at_once_in_separate_processes_lose_nothing(tmp_path):
    path = tmp_path / "log.jsonl"
    context = multiprocessing.get_context("spawn")  # no threads of the test runner carried into the children
    processes = [context.Process(target=_judge, args=(path, judge)) for judge in range(JUDGES)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(60)
    assert all(process.exitcode == 0 for process in processes)
    _expect_every_save(path)


def _expect_every_save(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == JUDGES * SAVES and all(json.loads(line)["id"] for line in lines)  # every line whole
    judged = JudgingStore(path).read()
    votes_each = SAVES // 5
    assert len(judged.votes) == JUDGES * votes_each and judged.damaged == 0
    assert len(judged.judgements) == JUDGES * (SAVES - votes_each)
    assert {j.judge for j in judged.judgements} == {f"judge {judge}" for judge in range(JUDGES)}


def test_a_saved_comparison_carries_the_log_to_another_server_once(tmp_path):
    here = JudgingStore(tmp_path / "here.jsonl")
    here.add_judgement("q1", "d1", 2, "ana")
    here.add_vote("q1", "bi", "cross", "tie", "bo")
    there = JudgingStore(tmp_path / "there.jsonl")
    there.add_judgement("q2", "d3", 0, "cy")
    assert there.merge_log(here.log()) == 2
    assert there.merge_log(here.log()) == 0  # opened twice: nothing twice
    assert there.merge_log([{"type": "judgement", "query_id": "q", "doc_id": "d", "grade": 7, "judge": "x", "at": 0},
                            {"type": "vote", "nonsense": 1}]) == 0  # damaged entries skipped
    judged = there.read()
    assert [(j.judge, j.grade, j.at) for j in judged.judgements] == [
        ("cy", 0, judged.judgements[0].at), ("ana", 2, here.read().judgements[0].at)]  # judges and times kept
    assert judged.votes == here.read().votes
