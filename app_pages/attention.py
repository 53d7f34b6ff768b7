"""Attention: for one query and one document, what a contestant's architecture lets the two see of each other."""

from __future__ import annotations

import streamlit as st

from app_pages import _present as present
from app_pages import _runs as runs
from app_pages import _shared as shared
from app_pages.views import attention as attention_views
from app_pages.views.data import document
from app_pages.views.rankings import query_label
from core.attention_types import PairAttention, PolyAttention, TokenSimilarity
from core.contestants.registry import kinds
from core.present.figures import attention_heatmap_figure, code_weights_figure

MEAN = "mean over heads"

st.title("Attention")
data, stored = shared.require_comparison()
comparison, rankers = stored.comparison, runs.rankers(stored)
viewable = [name for name, result in comparison.results.items() if name in rankers and kinds()[result.kind].attention]
if not viewable:
    st.info("None of these contestants has a neural view: attention needs a bi-, poly- or cross-encoder.")
    st.stop()
st.caption("Caution: attention weights show where a model looked, not why it scored a document as it did; "
           "they are not an explanation (Jain & Wallace 2019; Wiegreffe & Pinter 2019).")

name = st.selectbox("Contestant", viewable, key="attention.contestant",
                    format_func=lambda n: comparison.results[n].label)
result = comparison.results[name]
shared.contestant_heading(result)
blind = [shared.plain(r.label) for n, r in comparison.results.items() if n not in viewable]
if blind:
    st.caption(f"No attention view for {', '.join(blind)}: without an encoder, nothing attends.")
query_id = st.selectbox("Query", data.queries.ids, key="attention.query",
                        format_func=lambda q: query_label(data, q, 110))
candidates = attention_views.candidate_documents(comparison, query_id) or list(data.corpus.ids[:10])
grades = (data.qrels or {}).get(query_id) or {}


def describe(doc_id: str) -> str:
    grade = f" (grade {grades[doc_id]})" if doc_id in grades else ""
    return f"{doc_id} · {document(data, doc_id)[0] or '(no title)'}{grade}"


doc_id = st.selectbox("Document (from any contestant's top 10)", candidates, format_func=describe, key="attention.doc")
query = data.queries.text(query_id)
title, text = document(data, doc_id)
passage = f"{title} {text}".strip()
with st.expander("Document text"):
    st.text(passage)
shown = st.slider("Document tokens shown", 8, 256, 48, step=8, key="attention.tokens")


def cross_view(pair: PairAttention) -> None:
    layers, heads = pair.weights.shape[:2]
    left, right = st.columns(2)
    layer = left.slider("Layer", 1, layers, layers, key="attention.layer")
    head = right.selectbox("Head", [MEAN, *range(1, heads + 1)], key="attention.head")
    matrix, query_tokens, document_tokens = attention_views.cross_attention_block(
        pair, layer - 1, None if head == MEAN else head - 1, shown)
    if not pair.trained:
        st.info("This cross-encoder is untrained: it starts as the bi-encoder, with a closed gate between query "
                "and document, so the block below stays empty (all zero) until training opens the gate.")
    if pair.idf_weight is not None:
        st.caption(f"IDF prior: after this attention, the query's token outputs are pooled with weights ∝ "
                   f"IDF^{pair.idf_weight:.2f} of each token in this corpus, so rare, specific words "
                   "count most in the score.")
    present.chart(attention_heatmap_figure(
        matrix, query_tokens, document_tokens,
        f"{result.label}, layer {layer}, {head if head == MEAN else f'head {head}'}: query → document"),
        "attention_cross")
    st.caption("Rows: query tokens; columns: document tokens; each cell is how much a query token attends to a "
               "document token (the query-to-document block of the attention over the joint input).")


def poly_view(poly: PolyAttention) -> None:
    codes = [f"code {i + 1}" for i in range(len(poly.code_weights))]
    if not poly.trained:
        st.info("This poly-encoder is untrained: its codes are all zero, so every code attends uniformly and it "
                "ranks exactly like the bi-encoder.")
    if poly.ranks_as_start:
        st.info("On this corpus it ranks as its start, the bi-encoder (its IDF prior failed the corpus's test: see "
                "the details on Rankings). Below are its m codes as they read this query with the prior.")
    if poly.idf_weight is not None:
        st.caption(f"IDF prior: every code's attention over a query token also gets "
                   f"{poly.idf_weight:.2f} × log IDF of that token in this corpus, so rare, specific "
                   "words pull the codes' attention towards them.")
    present.chart(attention_heatmap_figure(poly.code_weights, codes, poly.query_tokens,
                                             f"{result.label}: how each code spreads over the query tokens",
                                             x_title="query tokens", y_title="codes"), "attention_poly_codes")
    present.chart(code_weights_figure(poly.document_weights, result.colour), "attention_poly_document")
    st.caption(f"Step 1: m codes attend over the query's tokens, giving m query vectors. Step 2: the document "
               f"weighs those m vectors. Poly-encoder score for this pair: {poly.score:.3f}.")


def bi_view(similarity: TokenSimilarity) -> None:
    present.chart(attention_heatmap_figure(
        similarity.matrix[:, :shown], similarity.query_tokens, similarity.document_tokens[:shown],
        f"{result.label}: cosine of each query token with each document token", "RdBu", value_name="cosine"),
        "attention_bi")
    st.caption("A bi-encoder has no attention between query and document at all: each is encoded alone and "
               "mean-pooled into one vector. This shows how the separately encoded tokens relate.")


VIEWS = {"pair": cross_view, "codes": poly_view, "tokens": bi_view}
"""What draws each attention view a kind declares (`Kind.attention`)."""
try:
    seen = runs.attention(stored, name, query, passage)
except shared.PAGE_ERRORS as error:
    st.error(f"This view cannot be computed: {shared.plain(error)}")
else:
    VIEWS[kinds()[result.kind].attention](seen)
