#!/usr/bin/env bash
# The zero-shot defaults against the bi-encoder they start from, on every development set (the IDF prior tested on
# each corpus first: core/rankers/prior_check.py; each run's notes say what was decided), and on sets without a training
# split a cross-encoder adapted on PSEUDO pseudo-queries drawn from the corpus alone, within MINUTES. Cross-encoders
# re-rank the bi-encoder's top 100; MAX_QUERIES bounds their CPU time. Adapted models already trained are reused.
# The table in docs/measurements.md of the prior's test (benchmarks/results/zero_shot_prior.json: every judged query, the lesson
# data, and name queries built from titles) is measured by `nice -n 19 python -m benchmarks.zero_shot_prior`.
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1
for name in ${SETS:-"cranfield nfcorpus-test climate-fever wikiqa-test arguana"}; do
  data="out/devsets/$name" adapted="out/pseudo/$name-cross"
  [ -d "$data" ] || python -m core devset "$name" --out "$data"
  extra=(); [ "$name" = arguana ] && extra=(--exclude-self)
  if [ -n "${PSEUDO:-}" ]; then
    [ -f "$adapted/training.json" ] || python -m core train cross --data "$data" --pseudo-queries "$PSEUDO" \
      --out "$adapted" --minutes "${MINUTES:-14}" --bf16
    extra+=(--ranker "name=cross-pseudo-queries,kind=cross,model=$adapted,first=bi,depth=100")
  fi
  python -m core compare "$data" --out "out/zero-shot/$name" --max-queries "${MAX_QUERIES:-200}" \
    --ranker name=BM25,kind=bm25 --ranker name=bi,kind=bi --ranker name=poly-zero-shot,kind=poly \
    --ranker "name=cross-zero-shot,kind=cross,first=bi,depth=100" "${extra[@]}"
done
python scripts/metrics_table.py out/zero-shot/*/metrics.json
