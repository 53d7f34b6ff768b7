"""Start: what the three architectures do, and a one-click demo on the lesson data."""

from __future__ import annotations

import streamlit as st

from app_pages import _shared as shared

NODE = ('graph [nodesep=0.25, ranksep=0.3]; node [shape=box, style="rounded,filled", fillcolor="#E8F1FA", '
        'color="#4C6A92", fontname="Helvetica", fontsize=16];')
CACHED = 'fillcolor="#FFE9B3", color="#B07D00"'


def dual_encoder(query_encoder: str, document_encoder: str) -> str:
    """The diagram of a dual encoder: query and document encoded apart, document vectors cached, cosine."""
    return f"""digraph {{ rankdir=TB; {NODE} edge [color="#4C6A92"];
        q [label="query"]; d [label="document"];
        eq [label="{query_encoder}"]; ed [label="{document_encoder}\\n(once, offline)"];
        vq [label="query vector"]; vd [label="document vector\\ncached in a FAISS index", {CACHED}];
        s [label="cosine similarity", fillcolor="#D9F2E6"];
        q -> eq -> vq -> s; d -> ed -> vd -> s; }}"""


DIAGRAMS = {
    "Bi-encoder": (dual_encoder("encoder", "encoder"),
        ("Query and document never meet: each becomes one vector on its own. Document vectors are "
        "computed once and **cached**; a query costs one encoding plus a vector search, "
        "**O(L² + N·d)** for N documents of dimension d (L = query tokens).")),
    "Poly-encoder": (f"""digraph {{ rankdir=TB; {NODE} edge [color="#4C6A92"];
        q [label="query"]; d [label="document"];
        eq [label="encoder"]; ed [label="encoder\\n(once, offline)"];
        codes [label="m learned codes\\nattend over the\\nquery's tokens"]; vq [label="m query vectors"];
        vd [label="document vector\\ncached", {CACHED}];
        a [label="document attends\\nover the m vectors\\n→ dot product", fillcolor="#D9F2E6"];
        q -> eq -> codes -> vq -> a; d -> ed -> vd -> a; }}""",
        ("A middle way: the query becomes **m** vectors instead of one, and each document (still one "
        "**cached** vector) picks its own mix of them. A query costs one encoding plus **O(N·m·d)**. "
        "The embedded one also tilts its codes towards the query's rare words (an IDF prior counted over "
        "your corpus).")),
    "Cross-encoder": (f"""digraph {{ rankdir=TB; {NODE} edge [color="#4C6A92"];
        q [label="query"]; d [label="document"];
        j [label="[CLS] query [SEP] document [SEP]"];
        t [label="one transformer reads both:\\nevery query token attends to\\nevery document token"];
        s [label="relevance score", fillcolor="#D9F2E6"];
        q -> j; d -> j; j -> t -> s; }}""",
        ("Query and document are read **together**, so nothing can be cached: every pair is a full "
        "forward pass, **O(N·(L + D)²)** per query. It is therefore used to **re-rank** a cheap first "
        "stage's top few (the re-rank depth), not the whole corpus. The embedded one learns how much query "
        "and document tokens may attend to each other, and weighs the query's rare words up with the same IDF "
        "prior as the poly-encoder.")),
}

MORE_DIAGRAMS = {
    "Early-layer embedder": (dual_encoder("cross-encoder's\\nfirst ℓ layers", "first ℓ layers"),
        ("Run a cross-encoder's **first ℓ layers** on each text **alone** and average its token outputs: an "
         "embedder, searched like a bi-encoder. A document costs **ℓ/L** of a full pass and is **cached**; a query "
         "costs ℓ layers plus a vector search. Early layers already embed usefully; a study of cross-encoders as "
         "embedders built ≈5× faster dual encoders this way, distilling those layers from the whole cross-encoder "
         "(the Train page does that on your training split). Kind `early-layer`, option `layers`.")),
    "ANNCUR": (f"""digraph {{ rankdir=TB; {NODE} edge [color="#4C6A92"];
        a [label="anchor queries × every document\\n(cross-encoder, once)", {CACHED}];
        q [label="query"]; c [label="cross-encoder on\\nk_i anchor documents"];
        u [label="approximate every score\\n(CUR: c · pinv · anchors)"];
        r [label="re-score the best\\nwith the cross-encoder", fillcolor="#D9F2E6"];
        q -> c -> u -> r; a -> u; }}""",
        ("Finds a cross-encoder's own nearest neighbours **without a bi-encoder** (Yadav et al., 2022): the corpus "
         "is scored once against a few anchor queries (here pseudo-queries made from document titles), a matrix "
         "that is **cached**. A query pays **k_i** calls on anchor documents, which place it among the anchors; "
         "every other score is approximated from them, and the best approximations are re-scored exactly. "
         "Kind `anncur`; the index costs anchors × N calls.")),
}

st.title("Encoder Arena")
st.markdown("Three ways a neural network can decide which documents answer a query, plus **BM25** (word "
            "overlap, no neural network) as the classic baseline. Load a corpus and queries, run all of "
            "them side by side, and see where they agree, where they differ, and what each one costs.")

st.subheader("Try it in one click")
clicked = st.button("Load the lesson data and run the demo", type="primary", key="start.demo")
description = st.empty()  # filled once the registry is imported (below): the button comes first, in view

# Imported once the page is drawn: the contestant registry loads the model libraries (seconds on a fresh server).
from app_pages import _present as present
from app_pages import _runs as runs
from app_pages.views.data import document
from app_pages.views.settings import contestants_sentence
from core.attention_types import PolyAttention
from core.contestants import presets
from core.data import samples
from core.present.figures import attention_heatmap_figure
from core.present.summary import findings
from core.types import Dataset


def poly_codes(stored: shared.Stored, data: Dataset | None) -> None:
    """What makes a poly-encoder one, on the comparison's first judged query: its m codes over the query's tokens."""
    comparison = stored.comparison
    poly = next((result for result in comparison.results.values() if result.kind == "poly"), None)
    query_id = next((q for q in data.queries.ids if poly.run.get(q)), None) if poly and data else None
    if query_id is None:
        return
    query, top = data.queries.text(query_id), next(iter(poly.run[query_id]))
    attention = runs.attention(stored, poly.name, query, " ".join(document(data, top)).strip())
    if not isinstance(attention, PolyAttention):
        return
    codes = [f"code {i + 1}" for i in range(len(attention.code_weights))]
    present.chart(attention_heatmap_figure(attention.code_weights, codes, attention.query_tokens,
                                           f"{len(codes)} codes over the query's tokens",
                                           x_title="query tokens", y_title="codes"), "start_poly_codes")
    st.caption(f"{shared.plain(poly.label)} on “{shared.plain(query)}”: each code reads the question its own way, "
               f"giving {len(codes)} query vectors; each cached document then weighs them (Attention shows any pair).")


demo = presets.demo_spec()
description.markdown(f"Loads the **lesson data**, written for this demo: questions where word overlap and a single "
                     f"vector per text mislead (who did what to whom, negation, which is heavier, two-part questions), "
                     f"each with near-identical documents that say the opposite. It compares "
                     f"{contestants_sentence(demo)} on its test questions, keeping the top **k = {demo.k}** per "
                     f"query. The **zero-shot** models were never trained on anything like it; the **fine-tuned** ones "
                     f"learned from its separate training questions (a few minutes on a CPU; the Train page does the "
                     f"same on your data). The **Settings** page offers deeper runs, other models and other "
                     f"contestants.")
if clicked:
    try:
        data, training = samples.load_lesson()
        shared.set_dataset(data, training, "qrels/train.tsv")
        outcome = runs.start_comparison(data, demo)
    except Exception as error:  # noqa: BLE001 - describe() logs anything unexpected
        st.error(f"The demo could not run: {shared.describe(error)}")
    else:
        if outcome is not None:
            shared.rerun_with(shared.done_message(*outcome))
        st.rerun()  # so that the sidebar names the data; the run is followed below
if shared.watching() is not None:  # the demo's run, or any run this session waits for, until it ends
    try:
        outcome = runs.follow()
    except Exception as error:  # noqa: BLE001 - describe() logs anything unexpected
        st.error(f"The comparison could not finish: {shared.describe(error)}")
    else:
        shared.rerun_with(shared.done_message(*outcome))
shared.show_flash()

if shared.current() is not None:
    comparison = shared.current().comparison
    st.markdown(f"**Results** on {shared.plain(comparison.dataset['name'])}: {len(comparison.results)} contestants "
                f"over {comparison.dataset['queries']:,} queries (the other pages show them in full).")
    runs.leaderboard(comparison)
    words, codes = st.columns(2, gap="large")
    words.markdown(" ".join(shared.plain(line) for line in findings(comparison)))
    with codes:
        poly_codes(shared.current(), shared.dataset())
    st.markdown("Ask every contestant a question of your own, on the same documents:")
    with st.form("start.ask", border=False, enter_to_submit=True):
        question = st.text_input("Ask your own question", key="start.question", icon=":material/search:",
                                 placeholder="e.g. who acquired the ember weasel company?", label_visibility="collapsed")
        if st.form_submit_button("Ask every contestant", icon=":material/send:") and question.strip():
            st.switch_page("app_pages/rankings.py", query_params={"q": question.strip()})
    st.markdown("Or look at the results:")
    for page, label in (("app_pages/rankings.py", "Rankings: the contestants' top documents side by side"),
                        ("app_pages/scores.py", "Scores: how each contestant's scores are distributed"),
                        ("app_pages/tradeoffs.py", "Trade-offs: quality against cost")):
        st.page_link(page, label=label, icon=":material/arrow_forward:")

st.divider()
st.subheader("How they work")
for column, (name, (dot, text)) in zip(st.columns(3, gap="large"), DIAGRAMS.items()):
    with column:
        st.subheader(name)
        st.graphviz_chart(dot, width="stretch")
        st.markdown(text)
st.caption("Yellow boxes are computed once per corpus and cached; green is what each query pays for.")

with st.expander("Two more ways to use a cross-encoder: its early layers as an embedder, and its nearest "
                 "neighbours without a bi-encoder"):
    for column, (name, (dot, text)) in zip(st.columns(2, gap="large"), MORE_DIAGRAMS.items()):
        with column:
            st.subheader(name)
            st.graphviz_chart(dot, width="stretch")
            st.markdown(text)
