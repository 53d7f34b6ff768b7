"""The model card written beside fine-tuned weights: data, split sizes, recipe, where it trained and how fast, dev
curve, and the test table once `python -m core compare` has measured it."""

from __future__ import annotations

import json
from pathlib import Path

from core.data.pseudo_queries import SPLIT as PSEUDO_SPLIT
from core.models.sources import TRAINING_RECORD, model_title
from core.training.loop import RERANKED_DEV
from core.training.selection import CARVED_DEV_SPLIT, DEV_SHORTLIST, kept_start

TEST_MARKER = "## Test split"


def write_model_card(folder: Path, record: dict) -> None:
    """Write `folder/README.md` and `folder/training.json` from a training record (see `in_domain.fine_tune`)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / TRAINING_RECORD).write_text(json.dumps(record, indent=2) + "\n")
    history = record["history"]
    recipe = record["recipe"]
    dev = history["dev_ndcg@10"]
    best = next(value for step, value in dev if step == history["best_step"])
    start = record.get("start") or ""
    backbone = f"the backbone of the fine-tuned bi-encoder `{start}`" if start else "all-MiniLM-L6-v2"
    kind = {"bi": f"sentence-transformers bi-encoder, from {model_title(start)} (a sentence-transformers folder: compare it as "
                  "`kind=bi,model=THIS_FOLDER`)",
            "cross": f"cross-encoder (joint module over {_learned_from(record) or backbone})",
            "poly": f"poly-encoder, m = {record['n_codes']} codes, over {backbone}",
            "early-layer": f"dual encoder made of the teacher's first {record.get('layers')} layers, mean-pooled "
                           "(a sentence-transformers folder: compare it as `kind=bi,model=THIS_FOLDER`)",
            }[record["kind"]]
    kept = kept_start(record)
    lines = [
        (f"# {record['kind']} · tried on {record['dataset']}: no gain, kept the untrained start" if kept
         else f"# {record['kind']} · fine-tuned on {record['dataset']}"),
        "",
        f"A {kind}, fine-tuned by Encoder Arena on {_trained_on(record)}.",
        "" if not record.get("teacher") else f"Distilled from the cross-encoder `{record['teacher']}`.",
        "",
        "## Data",
        (f"- training split: {record['queries']['training']} {_query_kind(record)} trained on, as lists of "
        f"{record['pairs_per_list']} passages ({record['lists_seen'] / max(1, record['training_lists']):.1f} passes)"),
        (f"- dev split: {record['queries']['dev']} queries, {record.get('dev_split', CARVED_DEV_SPLIT)}, which chose "
         "the checkpoint"),
        *([(f"- dev lists: each dev query's top {DEV_SHORTLIST} of the corpus by `{record['dev_first_stage']}`, the "
            "first stage it re-ranks in a comparison")] if record.get("dev_first_stage") else []),
        *([f"- checkpoint rule: {record['dev_rule']}"] if record.get("dev_rule") else []),
        "- negatives: mined from the corpus by the bi-encoder (all-MiniLM-L6-v2) and BM25, top 30 of each",
        "- the test split was never seen; measure it with `python -m core compare DATA --split test ...`",
        "",
        "## Recipe",
        f"- trained: {_what_trained(recipe, record['kind'])}",
        _settings(record),
        (f"- budget {record['budget_minutes']:g} min; wall time {record['wall_s'] / 60:.1f} min on "
        f"{trained_where(record)}; {history['steps']} steps{_pace(record)}, stopped by {history['stopped']}"),
        "",
        f"## Dev curve ({history.get('dev_measure', RERANKED_DEV)})",
        "| step | dev nDCG@10 |",
        "|---:|---:|",
        *(f"| {step} | {value:.4f}{' (kept)' if step == history['best_step'] else ''} |" for step, value in dev),
        "",
        (f"Kept: step 0, the untrained start (dev nDCG@10 {best:.4f}): no checkpoint beat it {_beyond(history)}on the "
         "dev split, so these are the start's weights, labelled \"no gain: kept the untrained start\" wherever the "
         "model is named." if kept else
         f"Kept: step {history['best_step']} (dev nDCG@10 {best:.4f}; step 0 is the untrained start{_verdict(history)})."),
        "",
        ("Licence: the training data's terms apply (`../shared/data`: research, non-commercial or share-alike; "
        "the project's own `sample_data`: the project's)."),
        "",
    ]
    (folder / "README.md").write_text("\n".join(lines))


def _learned_from(record: dict) -> str:
    """What a cross-encoder started from a fine-tuned bi-encoder trained over, when that is another model ("" if not)."""
    learned, start = record.get("learned_from"), record.get("start")
    if not learned or learned == start:
        return ""
    return (f"{model_title(learned)}, which the fine-tuned bi-encoder `{start}` was fine-tuned from; it starts ranking "
            "exactly as that bi-encoder (its weights, the gate closed), kept unless a checkpoint beats it")


def _beyond(history: dict) -> str:
    """How the best checkpoint fared against the start by the rule, when it was ahead at all."""
    selection = history.get("selection")
    if not selection or selection["gain"] <= 0:
        return ""
    return (f"beyond the dev queries' noise (the best was {selection['gain']:+.4f} ahead, beyond the chance gain of "
            f"{_checkpoints(selection)} in {selection['confidence']:.1%} of the resamples, "
            f"{selection['required']:.1%} required) ")


def _verdict(history: dict) -> str:
    selection = history.get("selection")
    return (f"; ahead of it beyond the chance gain of {_checkpoints(selection)} in {selection['confidence']:.1%} of "
            f"{selection['resamples']:,} paired resamples of the {selection['queries']} dev queries, "
            f"{selection['required']:.1%} required" if selection else "")


def _checkpoints(selection: dict) -> str:
    """The checkpoints the best was chosen from; records written before the max-T rule leave the count out."""
    compared = selection.get("compared")
    return f"all {compared} evaluated checkpoints" if compared and compared > 1 else "the checkpoint"


def _settings(record: dict) -> str:
    recipe = record["recipe"]
    batch = record.get("lists_per_step", recipe["batch_lists"])
    if record["kind"] == "bi":
        return (f"- batch {batch} queries, each with its positive and 7 mined negatives"
                f"{' (cached loss)' if record.get('cached_loss') else ''}; learning rate {recipe['backbone_lr']:g}; "
                f"scale {1 / recipe['temperature']:g}; at most {recipe['max_document_length']} tokens a text; "
                f"seed {record['seed']}")
    return (f"- teacher: `{recipe['teacher_mix']}`; batch {batch} lists; learning rates {recipe['backbone_lr']:g} "
            f"(backbone), {recipe['head_lr']:g} (new parameters); tie {recipe['tie_weight']:g}; lengths "
            f"{recipe['max_query_length']}/{recipe['max_document_length']} tokens; seed {record['seed']}")


def trained_where(record: dict) -> str:
    """Where a run trained, as its record says: "2 CPU threads", "NVIDIA H200 (cuda:0), bfloat16"."""
    if record.get("device", "cpu") == "cpu":
        return f"{record['threads']} CPU threads"
    return record.get("device_title") or record["device"]


def _pace(record: dict) -> str:
    pace = record.get("steps_per_minute")
    return f" ({pace:,.0f} steps a minute)" if pace else ""


def _trained_on(record: dict) -> str:
    if record.get("split") == PSEUDO_SPLIT:
        return (f"pseudo-queries drawn from the corpus of `{record['data']}` alone (a sentence taken out of a "
                "document is the query, the rest of the document its positive); no judged query was read")
    return f"the training split of `{record['data']}`"


def _query_kind(record: dict) -> str:
    return "pseudo-queries" if record.get("split") == PSEUDO_SPLIT else "judged queries"


def add_test_table(folder: Path, table: str, command: str) -> None:
    """Put (or replace) the test-split table at the end of the model card in `folder`."""
    card = folder / "README.md"
    if not card.is_file():
        return
    text = card.read_text().split(TEST_MARKER)[0].rstrip()
    card.write_text(f"{text}\n\n{TEST_MARKER}\nMeasured by `{command}`:\n\n```\n{table}\n```\n")


def _what_trained(recipe: dict, kind: str) -> str:
    if kind == "bi":
        return ("the whole bi-encoder, with sentence-transformers' trainer and its multiple negatives ranking loss "
                "(in-batch negatives plus the mined ones)")
    if kind == "early-layer":
        return "a copy of the teacher's token embeddings and first layers (the teacher is unchanged)"
    if recipe.get("backbone_bitfit"):
        return "the backbone's biases and LayerNorm weights (BitFit) and the gate, scale and shift; saved as a delta"
    if recipe.get("query_bitfit"):
        return ("the codes and the query side's biases and LayerNorm weights (BitFit); documents keep the "
                "bi-encoder's vectors; saved as a delta")
    return "the whole backbone and the new parameters"
