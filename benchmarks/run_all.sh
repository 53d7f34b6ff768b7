#!/usr/bin/env bash
# Every benchmark with its default (bounded) settings, one after another, then the summary.
# About 20-30 minutes on two busy CPU cores. Run from anywhere; uses the project's .venv when present.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f .venv/bin/activate ] && . .venv/bin/activate
export HF_HUB_OFFLINE=1
for script in scoring_cost encoding_throughput index_scaling app_path backends live_question; do
  python -m "benchmarks.$script"
done
python -m benchmarks.summarize
