"""Print one markdown table from several `python -m core compare` metrics.json files, then what each run decided
about the IDF prior (`core.rankers.prior_check`)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

IN_DOMAIN = {"arguana"}  # the shipped models were trained on ArguAna synthetic pairs over its corpus
COLUMNS = ("ndcg@10", "mrr@10", "recall@100")


def main(paths: list[str]) -> None:
    print("| set | queries | ranker | " + " | ".join(COLUMNS) + " | p50 ms |")
    print("|---|---|---|" + "---|" * (len(COLUMNS) + 1))
    notes = []
    for path in paths:
        name = Path(path).parent.name
        metrics = json.loads(Path(path).read_text())
        notes += [f"- {name}: {note}" for note in metrics.get("notes", []) if "IDF prior" in note]
        label = f"{name} (in-domain)" if name in IN_DOMAIN else name
        for ranker in metrics["rankers"].values():
            cells = " | ".join(f"{100 * ranker['metrics'].get(c, float('nan')):.2f}" for c in COLUMNS)
            print(f"| {label} | {metrics['dataset']['judged_queries']} | {ranker['label']} | {cells} | "
                  f"{ranker['latency_ms']['p50']:.1f} |")
    print("\n".join(["", *notes]) if notes else "")


if __name__ == "__main__":
    main(sys.argv[1:])
