"""One contestant's ranking as HTML that wraps at any width: rank, document, grade and score, and a snippet with
the query's terms marked (`core.analysis.highlight`), the full text one click away.

Pure: data in, HTML out (every piece of user text escaped); the page only places it. `LIST_STYLE` is the
stylesheet, emitted once per page.
"""

from __future__ import annotations

import html
from collections.abc import Mapping

from core.analysis.highlight import WeighedWords, marked_html, query_terms, snippet
from core.types import Dataset

LIST_STYLE = """<style>
ol.arena-list { list-style: none; padding: 0; margin: 0.3rem 0 1rem; }
ol.arena-list li { border-bottom: 1px solid rgba(128,128,128,0.25); padding: 0.35rem 0; line-height: 1.35; }
ol.arena-list .head { display: flex; flex-wrap: wrap; gap: 0.15rem 0.5rem; align-items: baseline; }
ol.arena-list .rank { font-weight: 700; min-width: 1.6em; }
ol.arena-list .doc { font-family: monospace; font-size: 0.85em; opacity: 0.75; }
ol.arena-list .title { font-weight: 600; }
ol.arena-list .score { margin-left: auto; font-variant-numeric: tabular-nums; font-size: 0.85em; opacity: 0.8; }
ol.arena-list .grade { font-size: 0.75em; border-radius: 0.6em; padding: 0 0.45em; color: #fff; }
ol.arena-list .text { font-size: 0.92em; margin-top: 0.1rem; }
ol.arena-list details summary { cursor: pointer; list-style: none; }
ol.arena-list details summary::-webkit-details-marker { display: none; }
ol.arena-list details[open] summary { display: none; }
ol.arena-list .weighs { font-size: 0.82em; opacity: 0.85; margin-top: 0.1rem; }
.arena-document { font-size: 1.05em; line-height: 1.5; max-height: 22rem; overflow-y: auto; }
.arena-document .title { font-weight: 600; margin-bottom: 0.3rem; }
mark.term { background: #FFE27A; color: inherit; padding: 0 0.1em; border-radius: 0.15em; }
mark.weighed { background: #BFE3FF; color: inherit; padding: 0 0.1em; border-radius: 0.15em; }
</style>"""
GRADE_STYLE = {0: ("not relevant", "#8A8A8A"), 1: ("relevant", "#5BA35B"), 2: ("highly relevant", "#2E7D32")}
"""How a relevance grade reads, and its colour (grades 2 and above alike)."""


def _grade(grades: Mapping[str, int] | None, doc_id: str) -> str:
    """A badge of the document's grade; "not judged" when its query has judgements but not for it."""
    if grades is None:
        return ""
    grade = grades.get(doc_id)
    words, colour = GRADE_STYLE[min(max(grade, 0), 2)] if grade is not None else ("not judged", "#B8B8B8")
    title = f"relevance grade {'–' if grade is None else grade}"
    return f'<span class="grade" style="background:{colour}" title="{title}">{words}</span>'


def ranked_list_html(dataset: Dataset, ranking: Mapping[str, float], question: str,
                     grades: Mapping[str, int] | None = None,
                     weighed: Mapping[str, WeighedWords] | None = None, chars: int = 220, blind: bool = False,
                     scored: int = 0) -> str:
    """`ranking` (`{doc_id: score}`, best first) as an HTML list: each document's rank, id, title, grade (`grades`
    None: the query has no judgements) and score, then its text with the
    terms of `question` marked, cut to `chars` around the first match and expandable to the whole text; under it,
    the words a model weighs for the pair, when `weighed` has the document. `blind` leaves out ids and scores (a
    blind vote shows what a judge should weigh, nothing that tells the contestant). Past the first `scored` (when
    not 0: a re-ranker's first-stage tail, `core.rankers.tail`) a document shows "first stage" for its score."""
    terms = query_terms(question)
    items = []
    for rank, (doc_id, score) in enumerate(ranking.items(), start=1):
        position = dataset.corpus.position(doc_id)
        title, text = dataset.corpus.titles[position], " ".join(dataset.corpus.texts[position].split())
        words = weighed.get(doc_id) if weighed else None
        marks = frozenset(words.words) if words and words.in_document else frozenset()
        short = snippet(text, terms, chars)
        body = marked_html(short, terms, marks)
        if short != text:
            body = (f"<details><summary>{body} <em>(more)</em></summary>{marked_html(text, terms, marks)}"
                    f"</details>")
        head = (f'<span class="rank">{rank}</span>'
                + ("" if blind else f'<span class="doc">{html.escape(doc_id)}</span>')
                + (f'<span class="title">{marked_html(title, terms, marks)}</span>' if title else "")
                + _grade(grades, doc_id)
                + ("" if blind else f'<span class="score">{_score(score, rank, scored)}</span>'))
        items.append(f'<li><div class="head">{head}</div><div class="text">{body}</div>{_weighs(words)}</li>')
    return f'<ol class="arena-list">{"".join(items)}</ol>'


def _score(score: float, rank: int, scored: int) -> str:
    if scored and rank > scored:
        return '<span title="below the re-ranked documents, in the first stage\'s order">first stage</span>'
    return f"{score:.3f}"


def _weighs(words: WeighedWords | None) -> str:
    if not words or not words.words:
        return ""
    where = "in the document" if words.in_document else "in the question"
    marked = " ".join(f'<mark class="weighed">{html.escape(word)}</mark>' for word in words.words)
    return f'<div class="weighs">weighs most {where}: {marked}</div>'


def document_html(dataset: Dataset, doc_id: str, question: str) -> str:
    """One document in full, its title above it, with the terms of `question` marked: what a judge grades."""
    position, terms = dataset.corpus.position(doc_id), query_terms(question)
    title, text = dataset.corpus.titles[position], " ".join(dataset.corpus.texts[position].split())
    heading = f'<div class="title">{marked_html(title, terms, frozenset())}</div>' if title else ""
    return f'<div class="arena-document">{heading}<div class="text">{marked_html(text, terms, frozenset())}</div></div>'
