"""Adding a kind of contestant is its `Kind` declaration and its ranker module, nothing else.

The throw-away kind below ("overlap": the share of the query's words a document contains) is declared here and
implemented by this very module (`build`, `describe_model` and its `Ranker`); registered, it parses from a spec,
re-ranks a first stage, is compared and evaluated, and shows in Settings' table of kinds and the CLI's help,
without a line changed anywhere else.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from app_pages.views.settings import kinds_help
from core.cli import build_parser
from core.comparison.compare import compare
from core.contestants import registry
from core.contestants.kind import Kind
from core.contestants.registry import comparison, parse_contestant, plan
from core.contestants.spec import ContestantSpec, Option
from core.rankers.base import Progress, Ranker, top_k
from core.rankers.build import BuildContext, describe
from core.types import Corpus

OVERLAP = Kind(name="overlap", title="word overlap", cost=0, implementation=__name__, has_model=False,
               summary="the share of the query's words a document contains",
               options=(Option("lower", bool, True, "compare words lower-cased"),))


class OverlapRanker(Ranker):
    kind = "overlap"
    scores_from_an_index = True

    def __init__(self, lower: bool) -> None:
        super().__init__("overlap", "word sets")
        self.lower = lower
        self.words: list[set[str]] = []

    def _words(self, text: str) -> set[str]:
        return set((text.lower() if self.lower else text).split())

    def _build_index(self, corpus: Corpus, progress: Progress) -> None:
        self.words = [self._words(passage) for passage in corpus.passages()]

    def score(self, query: str, doc_ids: Sequence[str]) -> np.ndarray:
        asked = self._words(query)
        return np.array([len(asked & self.words[self.corpus.position(d)]) / max(1, len(asked)) for d in doc_ids])

    def _rank_corpus(self, query: str, k: int) -> dict[str, float]:
        return top_k(self.corpus.ids, self.score(query, self.corpus.ids), k)


def build(spec: ContestantSpec, context: BuildContext) -> OverlapRanker:
    return OverlapRanker(spec.option("lower"))


def describe_model(spec: ContestantSpec) -> str:
    return "word sets" + (", lower-cased" if spec.option("lower") else "")


@pytest.fixture
def registered(monkeypatch):
    monkeypatch.setitem(registry._KINDS, OVERLAP.name, OVERLAP)


def test_a_declared_kind_competes_re_ranks_and_is_listed_everywhere(registered, sample_dataset, capsys):
    overlap = parse_contestant("name=words,kind=overlap,lower=false")
    assert (overlap.option("lower"), describe(overlap)) == (False, "word overlap: word sets")
    reranker = parse_contestant("name=bm25>words,kind=overlap,first=bm25,depth=10")
    spec = comparison([parse_contestant("name=bm25,kind=bm25"), overlap, reranker], k=10)
    assert [(step.name, step.kind is OVERLAP) for step in plan(spec)] == [("bm25", False), ("words", True),
                                                                          ("bm25>words", True)]
    result = compare(sample_dataset, spec)
    assert 0 < result.results["words"].metrics["ndcg@10"] <= 1
    assert result.results["bm25>words"].pipeline == "re-ranks bm25's top 10"
    assert all(set(docs) <= set(result.results["bm25"].run[q]) for q, docs in result.results["bm25>words"].run.items())
    assert "- **`kind=overlap`**" in kinds_help()
    with pytest.raises(SystemExit):
        build_parser().parse_args(["compare", "--help"])
    assert "overlap" in capsys.readouterr().out


def test_an_undeclared_kind_is_a_spec_error():
    with pytest.raises(ValueError, match="unknown kind 'overlap'"):
        parse_contestant("name=words,kind=overlap")
