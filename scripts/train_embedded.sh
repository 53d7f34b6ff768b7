#!/usr/bin/env bash
# Reproduce the embedded cross- and poly-encoder and their measured table (CPU, ~2 cores).
# Writes the weights into core/weights/ and the evaluation into out/eval/; see core/weights/*/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1

# The cross-encoder's teacher mix reads all-mpnet-base-v2 (training only).
[ -d out/teachers/all-mpnet-base-v2 ] || bash scripts/fetch_teacher.sh
# Cross-encoder v2: the gate, scale and shift over the frozen packaged MiniLM, with the IDF prior held at 0.6
# (about 20 minutes). core/weights/cross-encoder/README.md says why the backbone stays frozen.
python -m core train cross --out core/weights/cross-encoder --freeze-backbone --idf-prior --sources wikiqa,arguana \
    --lists 1600 --tie-weight 5 --teacher-mix gold=2,dense=0.7,bm25=0.3 \
    --teacher-dense out/teachers/all-mpnet-base-v2 --lists-cache out/lists-cache
# The poly-encoder: codes and the IDF prior's weight over the frozen packaged MiniLM, distilled from cross-encoder
# version 1, which git keeps (about 10 minutes, most of it encoding the 9,701 training passages once).
# docs/poly-encoder-trials.md has every recipe tried and why this one; `python -m scripts.poly_selection DIR`
# compares candidates on the held-apart selection queries.
teacher=out/teachers/cross-encoder-v1
mkdir -p "$teacher"
for file in arena_config.json config.json model.safetensors tokenizer.json tokenizer_config.json; do
  git show "ace7dfb:core/weights/cross-encoder/$file" > "$teacher/$file"
done
python -m core train poly --out core/weights/poly-encoder --freeze-backbone --idf-prior --sources wikiqa,arguana \
    --lists 1600 --batch-lists 32 --epochs 4 --pool-negatives 1024 --head-lr 2e-3 --tie-weight 2000 \
    --teacher "$teacher" --teacher-mix cross=1 --lists-cache out/lists-cache
bash scripts/evaluate_embedded.sh
