#!/usr/bin/env bash
# Measure bi, poly-16, cross (re-ranking bi top-100) and BM25 on development sets never trained on
# (Cranfield, NFCorpus test, Climate-FEVER, WikiQA test; both trained on ArguAna and WikiQA train lists,
# so WikiQA test is in-domain for them), then print
# the markdown table used in the model cards. MAX_QUERIES bounds the cross-encoder's CPU time.
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1
sets=${SETS:-"cranfield nfcorpus-test climate-fever wikiqa-test"}
for name in $sets; do
  [ -d "out/devsets/$name" ] || python -m core devset "$name" --out "out/devsets/$name"
  extra=""; [ "$name" = arguana ] && extra="--exclude-self"
  python -m core compare "out/devsets/$name" --out "out/eval/$name" --rankers "${RANKERS:-bi,poly,cross,bm25}" \
    --max-queries "${MAX_QUERIES:-50}" $extra
done
python scripts/metrics_table.py out/eval/*/metrics.json
