#!/usr/bin/env bash
# Reproduce the embedded cross-encoder and its measured table (CPU, ~2 cores).
# Writes the weights into core/weights/ and the evaluation into out/eval/; see core/weights/*/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1

python -m core train cross --out core/weights/cross-encoder --sources arguana --lists 1200 --tie-weight 5 --backbone-lr 1.5e-5
# The poly-encoder recipe is not shipped yet: its first run (the line below, 100 steps) gained on WikiQA
# dev (in-domain) but lost 4.9 (Cranfield) and 3.8 (NFCorpus) nDCG@10 points out of domain, so the embedded poly-encoder stays untrained.
# python -m core train poly --out core/weights/poly-encoder --sources wikiqa,arguana --lists 400 --tie-weight 5 \
#     --backbone-lr 1.5e-5 --teacher core/weights/cross-encoder
bash scripts/evaluate_embedded.sh
