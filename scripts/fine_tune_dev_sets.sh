#!/usr/bin/env bash
# Fine-tune on the training split of development sets with one (`python -m core devset nfcorpus|wikiqa`),
# within MINUTES per model, then compare zero-shot and fine-tuned contestants on the test split (cross-encoders
# re-rank the bi-encoder's top DEPTH; so does a second poly row; MAX_QUERIES bounds their CPU time) and print the
# table. Models already trained (their training.json written) are reused.
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1
minutes=${MINUTES:-20}
for name in ${SETS:-"wikiqa nfcorpus"}; do
  data="out/devsets/$name" models="out/fine-tuned/$name"
  [ -d "$data" ] || python -m core devset "$name" --out "$data"
  [ -f "$models/cross/training.json" ] || python -m core train cross --data "$data" --out "$models/cross" --minutes "$minutes"
  [ -f "$models/poly/training.json" ] || python -m core train poly --data "$data" --teacher "$models/cross" --out "$models/poly" \
    --minutes "$minutes"
  depth=${DEPTH:-100}
  python -m core compare "$data" --split test --out "out/in-domain/$name" ${MAX_QUERIES:+--max-queries $MAX_QUERIES} \
    --ranker name=BM25,kind=bm25 --ranker name=bi,kind=bi \
    --ranker name=poly-zero-shot,kind=poly --ranker "name=cross-zero-shot,kind=cross,first=bi,depth=$depth" \
    --ranker "name=poly-fine-tuned,kind=poly,model=$models/poly" \
    --ranker "name=poly-fine-tuned-reranking,kind=poly,model=$models/poly,first=bi,depth=$depth" \
    --ranker "name=cross-fine-tuned,kind=cross,model=$models/cross,first=bi,depth=$depth"
done
python scripts/metrics_table.py out/in-domain/*/metrics.json
