"""Many sessions in one server process: numba parallel code under threads, and the line for the CPU.

The numba tests run their threads in a subprocess: on the unguarded path numba aborts the whole
process ("Concurrent access has been detected"), which must not take pytest down with it.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from core.comparison.admission import SLOTS_VARIABLE, Admission, slots_from_env

ROOT = Path(__file__).resolve().parents[2]
ABORT = "Concurrent access has been detected"
THREADS_SCRIPT = """
import random, sys, threading, time, warnings
warnings.simplefilter("ignore")
path, threads, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
random.seed(0)
qrels = {f"q{i}": {f"d{random.randrange(1000)}": random.randint(1, 3) for _ in range(3)} for i in range(300)}
runs = [{q: {f"d{j}": random.random() for j in random.sample(range(1000), 100)} for q in qrels} for _ in range(2)]
if path == "ranx":  # what core.evaluate did before its lock
    from ranx import Qrels, Run, evaluate
    def once():
        return evaluate(Qrels.from_dict(qrels), Run.from_dict(runs[0]), ["ndcg@10", "map@100"], make_comparable=True)
else:
    from core.evaluate import evaluate, significance_report
    def once():
        return evaluate(qrels, runs[0], ("ndcg@10", "map@100"))[0], significance_report(qrels, dict(zip("ab", runs)))
expected = once()  # compiles, or loads numba's cache, before the threads start
results = []
def work():
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        results.append(once())
workers = [threading.Thread(target=work) for _ in range(threads)]
for worker in workers:
    worker.start()
for worker in workers:
    worker.join()
print(len(results), sum(result == expected for result in results))  # evaluations, and those equal to one thread's
"""


def run_threads(path: str, threads: int = 4, seconds: float = 4.0) -> subprocess.CompletedProcess:
    """THREADS_SCRIPT in a fresh interpreter: `threads` threads evaluating through `path` for `seconds`."""
    return subprocess.run([sys.executable, "-c", THREADS_SCRIPT, path, str(threads), str(seconds)], check=False,
                          cwd=ROOT,
                          capture_output=True, text=True, timeout=600)


def test_unguarded_ranx_aborts_the_process_when_threads_meet():
    """The server's death, reproduced: ranx called from several threads at once, as core did before its lock."""
    result = run_threads("ranx", seconds=30)
    assert result.returncode != 0, f"no abort in 30 s (has ranx become thread-safe?): {result.stdout}"
    assert ABORT in result.stderr


def test_core_evaluation_survives_threads_and_gives_one_threads_results():
    result = run_threads("core")
    assert result.returncode == 0, result.stderr[-2000:]
    evaluations, equal = map(int, result.stdout.split())
    assert evaluations >= 4 and equal == evaluations


def _decorators(function: ast.FunctionDef) -> set[str]:
    return {ast.unparse(decorator) for decorator in function.decorator_list}


def test_every_core_function_calling_ranx_holds_the_numba_lock():
    """A function that uses a name imported from ranx (or numba) is `@numba_serial`; bm25s stays on numpy."""
    unguarded = []
    for path in sorted((ROOT / "core").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        numba_names = {alias.asname or alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                       and (node.module or "").split(".")[0] in ("ranx", "numba") for alias in node.names}
        numba_names |= {alias.asname or alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                        for alias in node.names if alias.name.split(".")[0] in ("ranx", "numba")}
        for function in (node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)):
            used = {node.id for node in ast.walk(function) if isinstance(node, ast.Name)}
            if used & numba_names and "numba_serial" not in _decorators(function):
                unguarded.append(f"{path.relative_to(ROOT)}:{function.lineno} {function.name}")
    assert unguarded == []


def test_bm25_ranks_with_bm25s_numpy_backend_not_its_numba_one():
    from core.rankers.bm25 import BM25Ranker

    assert BM25Ranker()._bm25.backend == "numpy"


class Stop(BaseException):
    """Stands for Streamlit's StopException and RerunException, which derive from BaseException."""


def _wait_until(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_callers_enter_in_arrival_order_and_hear_how_many_are_ahead():
    line = Admission(slots=1)
    release = threading.Event()
    heard: dict[str, int] = {}
    order: list[str] = []

    def holder() -> None:
        with line.slot():
            release.wait()

    def waiter(name: str) -> None:
        with line.slot(on_wait=lambda ahead: heard.setdefault(name, ahead), poll_s=0.05):
            order.append(name)

    threads = [threading.Thread(target=holder)]
    threads[0].start()
    _wait_until(lambda: line.running == 1)
    for count, name in enumerate("abc", start=1):
        threads.append(threading.Thread(target=waiter, args=(name,)))
        threads[-1].start()
        _wait_until(lambda count=count, name=name: line.waiting == count and name in heard)
    release.set()
    for thread in threads:
        thread.join(timeout=10)
    assert heard == {"a": 1 + 0, "b": 1 + 1, "c": 1 + 2}  # the holder, plus those in line before
    assert order == ["a", "b", "c"]
    assert (line.running, line.waiting) == (0, 0)


def test_a_caller_stopped_while_waiting_or_while_running_gives_up_its_place():
    line = Admission(slots=2)
    heard: list[int] = []

    def stop(ahead: int) -> None:
        heard.append(ahead)
        raise Stop

    with line.slot(), line.slot():
        with pytest.raises(Stop), line.slot(on_wait=stop):
            pass
        assert (line.running, line.waiting) == (2, 0)
    assert heard == [2]
    with pytest.raises(Stop), line.slot():
        raise Stop
    assert (line.running, line.waiting) == (0, 0)


def test_slots_come_from_the_environment_or_the_cores():
    assert slots_from_env({SLOTS_VARIABLE: " 3 "}) == 3
    assert slots_from_env({}) == max(1, len(os.sched_getaffinity(0)) // 2)
    for bad in ("0", "-1", "two", "1.5"):
        with pytest.raises(ValueError, match=SLOTS_VARIABLE):
            slots_from_env({SLOTS_VARIABLE: bad})
