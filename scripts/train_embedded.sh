#!/usr/bin/env bash
# Reproduce the embedded cross- and poly-encoder and their measured table (CPU, ~2 cores).
# Writes the weights into core/weights/ and the evaluation into out/eval/; see core/weights/*/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1

python -m core train cross --out core/weights/cross-encoder --sources arguana --lists 1200 --tie-weight 5 --backbone-lr 1.5e-5
# The poly-encoder: codes and the IDF prior's weight over the frozen packaged MiniLM, distilled from the
# cross-encoder above (about 10 minutes, most of it encoding the 9,701 training passages once).
# docs/poly-encoder-trials.md has every recipe tried and why this one; `python -m scripts.poly_selection DIR`
# compares candidates on the held-apart selection queries.
python -m core train poly --out core/weights/poly-encoder --freeze-backbone --idf-prior --sources wikiqa,arguana \
    --lists 1600 --batch-lists 32 --epochs 4 --pool-negatives 1024 --head-lr 2e-3 --tie-weight 2000 \
    --teacher-mix cross=1 --lists-cache out/lists-cache
bash scripts/evaluate_embedded.sh
