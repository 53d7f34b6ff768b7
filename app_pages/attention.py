"""Attention: for one query and one document, what each architecture lets the query and document see."""

from __future__ import annotations

import streamlit as st

from app_pages import _shared as shared
from core import session
from core.figures import attention_heatmap_figure, code_weights_figure
from core.rankers import JointCrossEncoder

MEAN = "mean over heads"

st.title("Attention")
data, stored = shared.require_comparison()
comparison, chosen = stored.comparison, stored.comparison.config
st.caption("Caution: attention weights show where a model looked, not why it scored a document as it did; "
           "they are not an explanation (Jain & Wallace 2019; Wiegreffe & Pinter 2019).")

query_id = st.selectbox("Query", data.queries.ids, key="attention.query",
                        format_func=lambda q: session.query_label(data, q, 110))
candidates = session.candidate_documents(comparison, query_id) or list(data.corpus.ids[:10])
grades = (data.qrels or {}).get(query_id) or {}


def describe(doc_id: str) -> str:
    grade = f" (grade {grades[doc_id]})" if doc_id in grades else ""
    return f"{doc_id} · {session.document(data, doc_id)[0] or '(no title)'}{grade}"


doc_id = st.selectbox("Document (from any ranker's top 10)", candidates, format_func=describe, key="attention.doc")
query = data.queries.text(query_id)
title, text = session.document(data, doc_id)
passage = f"{title} {text}".strip()
with st.expander("Document text"):
    st.text(passage)
shown = st.slider("Document tokens shown", 8, 256, 48, step=8, key="attention.tokens")


def cross_view() -> None:
    pair = shared.cross_attention(chosen.cross_model, query, passage)
    layers, heads = pair.weights.shape[:2]
    left, right = st.columns(2)
    layer = left.slider("Layer", 1, layers, layers, key="attention.layer")
    head = right.selectbox("Head", [MEAN, *range(1, heads + 1)], key="attention.head")
    matrix, query_tokens, document_tokens = session.cross_attention_block(
        pair, layer - 1, None if head == MEAN else head - 1, shown)
    scorer = shared.cross_encoder(chosen.cross_model)
    if not scorer.trained:
        st.info("This cross-encoder is untrained: it starts as the bi-encoder, with a closed gate between query "
                "and document, so the block below stays empty (all zero) until training opens the gate.")
    if isinstance(scorer, JointCrossEncoder) and scorer.config.idf_prior:
        st.caption(f"IDF prior: after this attention, the query's token outputs are pooled with weights ∝ "
                   f"IDF^{scorer.idf_weight.item():.2f} of each token in this corpus, so rare, specific words "
                   "count most in the score.")
    st.plotly_chart(attention_heatmap_figure(
        matrix, query_tokens, document_tokens,
        f"Cross-encoder, layer {layer}, {head if head == MEAN else f'head {head}'}: query → document"))
    st.caption("Rows: query tokens; columns: document tokens; each cell is how much a query token attends to a "
               "document token (the query-to-document block of the attention over the joint input).")


def poly_view() -> None:
    poly = shared.poly_attention(chosen.poly_model, chosen.poly_codes, query, passage, data.corpus.content_hash,
                                 data.corpus)
    codes = [f"code {i + 1}" for i in range(len(poly.code_weights))]
    model = shared.poly_encoder(chosen.poly_model, chosen.poly_codes)
    if not model.config.trained:
        st.info("This poly-encoder is untrained: its codes are all zero, so every code attends uniformly and it "
                "ranks exactly like the bi-encoder.")
    if model.config.idf_prior:
        st.caption(f"IDF prior: every code's attention over a query token also gets "
                   f"{model.idf_weight.item():.2f} × log IDF of that token in this corpus, so rare, specific "
                   "words pull the codes' attention towards them.")
    st.plotly_chart(attention_heatmap_figure(poly.code_weights, codes, poly.query_tokens,
                                             "Poly-encoder: how each code spreads over the query tokens",
                                             x_title="query tokens", y_title="codes"))
    st.plotly_chart(code_weights_figure(poly.document_weights))
    st.caption(f"Step 1: m codes attend over the query's tokens, giving m query vectors. Step 2: the document "
               f"weighs those m vectors. Poly-encoder score for this pair: {poly.score:.3f}.")


def bi_view() -> None:
    similarity = shared.bi_similarity(chosen.bi_model, query, passage)
    st.plotly_chart(attention_heatmap_figure(
        similarity.matrix[:, :shown], similarity.query_tokens, similarity.document_tokens[:shown],
        "Bi-encoder: cosine of each query token with each document token", "RdBu", value_name="cosine"))
    st.caption("A bi-encoder has no attention between query and document at all: each is encoded alone and "
               "mean-pooled into one vector. This shows how the separately encoded tokens relate.")


for tab, view in zip(st.tabs(["Cross-encoder", "Poly-encoder", "Bi-encoder"]), (cross_view, poly_view, bi_view)):
    with tab:
        try:
            view()
        except shared.PAGE_ERRORS as error:
            st.error(f"This view cannot be computed: {shared.plain(error)}")
