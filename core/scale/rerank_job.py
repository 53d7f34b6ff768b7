"""`python -m core rerank`: a re-ranker scores every query's shortlist from a first-stage run, as a Ray Data job (or
the same code in this process), and the result is written as a TREC run — a `kind=run` contestant. The re-ranker
runs on `--device` in this process, and on Ray on the GPU each worker reserves with `--gpus-per-worker`, else on its
CPUs (`core.scale.engine`).

Each worker loads the dataset and the contestant once and indexes the corpus (the embedded cross-encoder's IDF
prior is counted over it); a row of the job is one (query, shortlist), so a worker scores a whole shortlist at once,
as the comparison does.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pyarrow as pa

from core.config import ModelPolicy
from core.contestants.registry import parse_contestant
from core.data import load_dataset
from core.data.pseudo_queries import query_shape
from core.data.trec_runs import read_trec_run, write_trec_run
from core.devices import resolve_device
from core.rankers.build import BuildContext, build_ranker
from core.rankers.tail import below_head
from core.scale.engine import check_ray_gpus, job_device, map_arguments, start_ray, threads_per_worker
from core.types import Run

Progress = Callable[[str, float], None]


class ShortlistScorer:
    """Contestant `contestant` indexed on the dataset at `data` (split `split`) on `device` (resolved on the worker:
    "cuda" on a Ray worker that reserved a GPU takes the one Ray gave it), scoring rows of
    `{query_id, query, doc_ids}` into `{query_id, doc_ids, scores}`."""

    def __init__(self, data: str, split: str, contestant: str, threads: int | None = None,
                 device: str = "cpu") -> None:
        import torch

        if threads:
            torch.set_num_threads(threads)
        dataset = load_dataset(Path(data), split=split)  # its queries' shape: the IDF prior's test, as compare() runs it
        self.ranker = build_ranker(parse_contestant(contestant),
                                   BuildContext(ModelPolicy(), query_shape=query_shape(dataset.queries),
                                                device=resolve_device(device)))
        self.ranker.index(dataset.corpus)

    def __call__(self, table: pa.Table) -> pa.Table:
        rows = table.to_pylist()
        scores = [[float(s) for s in self.ranker.score(row["query"], row["doc_ids"])] for row in rows]
        return pa.table({"query_id": [row["query_id"] for row in rows], "doc_ids": [row["doc_ids"] for row in rows],
                         "scores": scores})


def rerank(data: Path, first_stage: Path, out: Path, contestant: str, depth: int = 100, k: int = 100,
           split: str = "test", engine: str = "local", workers: int = 1, address: str | None = None,
           progress: Progress = lambda message, fraction: None, device: str = "cpu",
           gpus_per_worker: float = 0.0, tail: bool = True) -> Run:
    """Re-rank the top `depth` of `first_stage` (a TREC run) for every query of `data` with `contestant`, on
    `engine`, keeping `k` documents; writes the run to `out` (tagged with the contestant's name) and returns it.

    Args:
        tail: Keep the first stage's next documents below the re-ranked ones, up to `k` (`core.rankers.tail`);
            False ends each query's run at `depth`.
        device: The local engine's device ("auto", "cpu", "cuda", ...: `core.scale.engine.local_device`).
        gpus_per_worker: GPUs each Ray worker reserves, its re-ranker running on its GPU (0: on its CPUs); with the
            local engine, more than 0 runs this process's re-ranker on CUDA.

    Raises:
        DataError / SpecError: A bad run file, dataset or contestant.
        ValueError: GPUs asked for where there are none (`core.devices.DeviceError` on the local engine).
    """
    where = job_device(engine, device, gpus_per_worker)  # before any work
    dataset = load_dataset(data, split=split)
    first = read_trec_run(first_stage.read_text(encoding="utf-8"), str(first_stage))
    known = set(dataset.corpus.ids)
    rows = [{"query_id": query_id, "query": text,
             "doc_ids": [doc for doc in first.get(query_id, {}) if doc in known][:depth]}
            for query_id, text in zip(dataset.queries.ids, dataset.queries.texts)]
    rows = [row for row in rows if row["doc_ids"]]
    threads = threads_per_worker(workers)
    arguments = {"data": str(data), "split": split, "contestant": contestant, "threads": threads,
                 "device": where}
    progress(f"re-ranking {len(rows):,} shortlists on {engine}", 0.0)
    if engine == "ray":
        scored = _on_ray(rows, arguments, workers, threads, address, gpus_per_worker)
    else:
        scorer = ShortlistScorer(**arguments)
        scored = []
        for done, row in enumerate(rows, 1):
            scored += scorer(pa.Table.from_pylist([row])).to_pylist()
            progress(f"re-ranked {done:,} of {len(rows):,} shortlists", done / len(rows))
    run = {row["query_id"]: dict(sorted(zip(row["doc_ids"], row["scores"]), key=lambda item: -item[1])[:k])
           for row in scored}
    if tail:
        run = {query_id: below_head(docs, first.get(query_id, {}), k) for query_id, docs in run.items()}
    write_trec_run({query_id: run[query_id] for query_id in dataset.queries.ids if query_id in run}, out,
                   parse_contestant(contestant).name)
    return run


def _on_ray(rows: list[dict], arguments: dict, workers: int, threads: int, address: str | None,
            gpus_per_worker: float) -> list[dict]:
    import ray

    start_ray(address)
    check_ray_gpus(workers, gpus_per_worker)
    shortlists = ray.data.from_items(rows)
    scored = shortlists.map_batches(ShortlistScorer, fn_constructor_kwargs=arguments,
                                    **map_arguments(workers, threads, gpus_per_worker, batch_size=8))
    return scored.take_all()
