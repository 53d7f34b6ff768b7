"""How long a class waits for a question typed live: every contestant of the demo answering it on the lesson data,
and then the words each neural contestant weighs for its top three, after a warm-up question.

    python -m benchmarks.live_question [--repeats 3]

The questions are new (not the lesson's own), the models loaded and the corpus indexed beforehand, as on a server
that ran the demo. Answers are timed once per question, in an empty cache of its own (a repeated question would be
answered from the pair-score cache); the words weighed, which nothing caches, `--repeats` times, keeping the fastest.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

os.environ["ARENA_CACHE_DIR"] = tempfile.mkdtemp(prefix="arena-live-")  # before core reads it: nothing cached

from benchmarks._machine import machine_record, markdown_table, percentiles, report
from core.analysis.live_question import ask, weighed
from core.comparison.compare import indexed_rankers
from core.contestants.presets import demo_spec
from core.data.samples import load_lesson

QUESTIONS = ("which company bought the other one?", "what is heavier than the ember weasel?",
             "which varnish does not turn yellow?", "who acquired Norvale?", "what does not dissolve in water?",
             "which birds migrate in winter?", "did the merger of Caldtek and Tammark happen?",
             "what keeps its colour in sunlight?")
WARM_UP = "how does the demo warm up?"


def fastest_ms(call, repeats: int) -> float:
    """The fastest of `repeats` timed calls, in ms."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        best = min(best, (time.perf_counter() - start) * 1000)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    machine = machine_record()
    data, _ = load_lesson()
    spec = demo_spec()
    start = time.perf_counter()
    rankers = indexed_rankers(data, spec)
    setup_s = time.perf_counter() - start
    ask(WARM_UP, spec, rankers)
    answer_ms, weigh_ms = [], []
    for question in QUESTIONS:
        start = time.perf_counter()
        answers = ask(question, spec, rankers)
        answer_ms.append((time.perf_counter() - start) * 1000)
        weigh_ms.append(fastest_ms(lambda question=question, answers=answers: [
            weighed(rankers[name], question, data.corpus, list(answer.ranking)[:3]) for name, answer in answers.items()],
            args.repeats))
    answer, weigh = percentiles(answer_ms), percentiles(weigh_ms)
    rows = [["every contestant answers", answer["p50"], answer["p95"]],
            ["the words each weighs (top 3)", weigh["p50"], weigh["p95"]]]
    title = (f"A live question on the lesson data ({len(data.corpus)} documents; {', '.join(spec.names)}), "
             f"ms, over {len(QUESTIONS)} questions (after {setup_s:.1f} s loading the models and indexing)")
    report("live_question", machine, {"questions": QUESTIONS, "repeats": args.repeats, "contestants": spec.names},
           {"answer_ms": answer_ms, "weigh_ms": weigh_ms, "setup_s": setup_s},
           {title: markdown_table(["step", "p50 ms", "p95 ms"], rows)})


if __name__ == "__main__":
    main()
