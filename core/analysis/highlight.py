"""Why a document ranks where it does, in words a reader can see: the query's terms marked in a snippet, and the
words a neural contestant weighs most in its attention data.

Term matching is BM25's own (`core.rankers.bm25`: words of two or more letters, lower-cased, English stop words
dropped, Snowball stems), so a marked word is exactly a word BM25 counted. Weighted words come from
`Ranker.attention` (`core.attention_types`); attention weights are not explanations, only what the model looked at.
Everything returned as HTML is escaped text plus `<mark>` tags.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import Stemmer
from bm25s.stopwords import STOPWORDS_EN

from core.attention_types import Attention, PairAttention, PolyAttention, TokenSimilarity

WORD = re.compile(r"(?u)\b\w\w+\b")
"""A word as BM25 tokenises it (bm25s' default pattern)."""
SPECIAL_TOKENS = frozenset({"[CLS]", "[SEP]", "[PAD]", "[UNK]", "[MASK]", "<s>", "</s>", "<pad>"})
STOPWORDS = frozenset(STOPWORDS_EN)


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def stem(word: str) -> str:
    return _stemmer().stemWord(word.lower())


def query_terms(query: str) -> frozenset[str]:
    """The stems BM25 matches for `query`."""
    return frozenset(stem(word) for word in WORD.findall(query) if word.lower() not in STOPWORDS)


def snippet(text: str, terms: frozenset[str], chars: int = 240) -> str:
    """At most `chars` characters of `text` (whitespace collapsed), starting shortly before the first word that
    matches `terms`, so that a match far into a long document still shows; cut ends are marked "…"."""
    text = " ".join(text.split())
    if len(text) <= chars:
        return text
    first = next((match.start() for match in WORD.finditer(text) if stem(match.group()) in terms), 0)
    start = 0 if first < chars // 3 else text.rfind(" ", 0, first - chars // 6) + 1
    cut = text[start:start + chars]
    if start + chars < len(text):
        cut = cut[: cut.rfind(" ")] if " " in cut else cut
    return f"{'…' if start else ''}{cut}{'…' if start + len(cut) < len(text) else ''}"


def marked_html(text: str, terms: frozenset[str], weighted: frozenset[str] = frozenset()) -> str:
    """`text` as escaped HTML with words matching the query's `terms` in `<mark class="term">` and words a model
    weighs (`weighted`, lower-case) in `<mark class="weighed">`."""
    parts, end = [], 0
    for match in WORD.finditer(text):
        word = match.group()
        kind = "term" if stem(word) in terms else "weighed" if word.lower() in weighted else None
        if kind is None:
            continue
        parts.append(html.escape(text[end:match.start()]))
        parts.append(f'<mark class="{kind}">{html.escape(word)}</mark>')
        end = match.end()
    parts.append(html.escape(text[end:]))
    return "".join(parts)


@dataclass(frozen=True)
class WeighedWords:
    """The words a neural contestant weighs most for one (query, document) pair, heaviest first.

    Attributes:
        in_document: True when the words are the document's (bi-, cross-encoder), False when the query's
            (a poly-encoder's codes attend over the query only).
    """

    words: tuple[str, ...]
    in_document: bool


def weighed_words(attention: Attention, view: str, top: int = 5) -> WeighedWords:
    """The `top` content words `attention` weighs most, read as its kind's attention view says (`Kind.attention`):
    "pair" (a cross-encoder), the document tokens its query tokens attend to in the last layer (mean over heads and
    query tokens); "tokens" (a bi-encoder or an early-layer embedder), the document tokens most similar to any query
    token; "codes" (a poly-encoder), the query tokens the codes the document picks attend to. Word pieces are joined
    into words; special tokens, stop words and punctuation are skipped.

    Raises:
        ValueError: For a view with no words to weigh ("").
    """
    if view not in WEIGHERS:
        raise ValueError(f"no weighed words for the attention view {view!r}")
    return WEIGHERS[view](attention, top)


def _pair_words(pair: PairAttention, top: int) -> WeighedWords:
    weights = pair.query_to_document[-1].mean(axis=(0, 1))
    return WeighedWords(_top_words(pair.tokens[pair.boundary:], weights, top), True)


def _token_words(similarity: TokenSimilarity, top: int) -> WeighedWords:
    return WeighedWords(_top_words(similarity.document_tokens, similarity.matrix.max(axis=0), top), True)


def _code_words(poly: PolyAttention, top: int) -> WeighedWords:
    return WeighedWords(_top_words(poly.query_tokens, poly.document_weights @ poly.code_weights, top), False)


WEIGHERS: dict[str, Callable[[Any, int], WeighedWords]] = {"pair": _pair_words, "tokens": _token_words,
                                                           "codes": _code_words}
"""How each attention view (`core.contestants.kind.ATTENTION_VIEWS`) weighs words."""


def _top_words(tokens: list[str], weights: np.ndarray, top: int) -> tuple[str, ...]:
    """Word pieces ("bread", "##s") joined into words, each weighing as its heaviest piece; the `top` heaviest
    content words, each once."""
    words: list[tuple[str, float]] = []
    for token, weight in zip(tokens, np.asarray(weights, dtype=float)):
        if token.startswith("##") and words:
            word, best = words[-1]
            words[-1] = (word + token[2:], max(best, weight))
        elif token not in SPECIAL_TOKENS:
            words.append((token, weight))
    heaviest = sorted((item for item in words if WORD.fullmatch(item[0]) and item[0].lower() not in STOPWORDS),
                      key=lambda item: -item[1])
    return tuple(dict.fromkeys(word.lower() for word, _ in heaviest))[:top]
