"""Index and re-rank jobs on GPUs: Ray Data's workers reserve `--gpus-per-worker` GPUs (`num_gpus` in
`map_batches`, tested on the arguments built for it, without Ray) and run their model there; the local engine runs
on `--device`, or on CUDA with `--gpus-per-worker`. Asking for GPUs where there are none is a one-line error (the
device error on the local engine, the cluster's GPU count on Ray); the manifest records the device. On these
machines (no GPU) everything runs on the CPU through the same code; the tests marked `gpu` run it on CUDA."""

from __future__ import annotations

import json

import numpy as np
import pytest
import ray
import torch

from core.cli import main
from core.data.trec_runs import write_trec_run
from core.devices import DeviceError, resolve_device
from core.scale import index_job, rerank_job
from core.scale.encoder import DocumentEncoder
from core.scale.engine import check_ray_gpus, gpus_needed, local_device, map_arguments, worker_device
from core.scale.index_job import build, read_manifest, read_vectors
from core.scale.rerank_job import rerank
from tests.conftest import SAMPLE_BEIR

NO_CUDA = not torch.cuda.is_available()
needs_cuda = pytest.mark.skipif(NO_CUDA, reason="needs a CUDA GPU")
without_cuda = pytest.mark.skipif(not NO_CUDA, reason="this machine has CUDA")
CONTESTANT = "name=bi-encoder,kind=bi"


@pytest.fixture(scope="module")
def shard(tmp_path_factory, sample_dataset):
    """The sample's first 24 documents as one JSONL file."""
    corpus = sample_dataset.corpus
    file = tmp_path_factory.mktemp("shard") / "corpus.jsonl"
    file.write_text("".join(json.dumps({"_id": i, "title": t, "text": x}) + "\n"
                            for i, t, x in zip(corpus.ids[:24], corpus.titles[:24], corpus.texts[:24])))
    return file


def test_ray_workers_reserve_the_gpus_asked_for_in_map_batches():
    arguments = map_arguments(workers=3, threads=2, gpus_per_worker=0.5, batch_size=64)
    assert arguments["num_gpus"] == 0.5 and arguments["num_cpus"] == 2 and arguments["batch_size"] == 64
    assert isinstance(arguments["compute"], ray.data.ActorPoolStrategy)  # a fixed pool: one model load per worker
    assert (arguments["compute"].min_size, arguments["compute"].max_size) == (3, 3)
    assert map_arguments(2, 1, 0.0, 32)["num_gpus"] == 0.0  # on CPUs
    assert (worker_device(1), worker_device(0.25), worker_device(0)) == ("cuda", "cuda", "cpu")
    assert [gpus_needed(*asked) for asked in ((3, 0.4), (4, 0.5), (2, 1), (2, 2), (5, 0))] == [2, 2, 2, 4, 0]


def test_a_ray_cluster_without_the_gpus_asked_for_is_refused(monkeypatch, shard, tmp_path, sample_dataset):
    monkeypatch.setattr(ray, "cluster_resources", lambda: {"CPU": 2.0})
    with pytest.raises(ValueError, match=r"needs 1 GPU\(s\); the Ray cluster has 0"):
        check_ray_gpus(1, 1.0)
    for job in (index_job, rerank_job):  # both jobs ask the cluster once Ray runs (here: a cluster of 2 CPUs)
        monkeypatch.setattr(job, "start_ray", lambda address: None)
    with pytest.raises(ValueError, match=r"needs 2 GPU\(s\); the Ray cluster has 0"):
        build(shard, tmp_path / "index", CONTESTANT, engine="ray", workers=2, gpus_per_worker=1)
    write_trec_run({sample_dataset.queries.ids[0]: {sample_dataset.corpus.ids[0]: 1.0}}, tmp_path / "first.trec", "a")
    with pytest.raises(ValueError, match=r"needs 1 GPU\(s\); the Ray cluster has 0"):
        rerank(SAMPLE_BEIR, tmp_path / "first.trec", tmp_path / "re.trec", "name=bm25,kind=bm25", engine="ray",
               gpus_per_worker=0.5)
    monkeypatch.setattr(ray, "cluster_resources", lambda: {"CPU": 16.0, "GPU": 1.0})
    check_ray_gpus(2, 0.5)  # two workers share the one GPU
    with pytest.raises(ValueError, match=r"needs 2 GPU\(s\); the Ray cluster has 1"):
        check_ray_gpus(3, 0.5)


def test_the_local_engine_runs_on_its_device_or_on_cuda_with_gpus_per_worker():
    assert local_device("cpu", 0) == "cpu" and local_device("auto", 0) == resolve_device("auto")
    with pytest.raises(DeviceError, match="give one or the other"):
        local_device("cpu", 1)
    for wrong in (-1, 1.5):
        with pytest.raises(ValueError, match="--gpus-per-worker"):
            local_device("auto", wrong)


@without_cuda
def test_gpus_where_there_are_none_are_a_one_line_error_before_any_work(tmp_path, capsys):
    out = tmp_path / "index"
    assert main(["index", str(SAMPLE_BEIR), "--out", str(out), "--gpus-per-worker", "1"]) == 2
    assert "error: device 'cuda' is not on this machine; it has cpu" in capsys.readouterr().err
    assert main(["index", str(SAMPLE_BEIR), "--out", str(out), "--device", "cuda:1"]) == 2
    assert "device 'cuda:1' is not on this machine" in capsys.readouterr().err
    assert not out.exists()
    run = tmp_path / "first.trec"
    assert main(["rerank", str(SAMPLE_BEIR), "--run", str(run), "--out", str(tmp_path / "re.trec"),
                 "--contestant", "name=cross,kind=cross", "--gpus-per-worker", "0.5"]) == 2
    assert "device 'cuda' is not on this machine" in capsys.readouterr().err
    assert main(["rerank", str(SAMPLE_BEIR), "--run", str(run), "--out", str(tmp_path / "re.trec"),
                 "--contestant", "name=cross,kind=cross", "--engine", "ray", "--device", "cuda"]) == 2
    assert "--device cuda is the local engine's" in capsys.readouterr().err


def test_the_manifest_records_where_the_documents_were_encoded(shard, tmp_path):
    manifest = build(shard, tmp_path / "index", CONTESTANT, index_type="flat", batch_size=8, device="cpu")
    assert (manifest.device, manifest.gpus_per_worker) == ("cpu", 0.0) and manifest.documents == 24
    assert read_manifest(tmp_path / "index") == manifest
    stored = json.loads((tmp_path / "index" / "manifest.json").read_text())
    for key in ("device", "gpus_per_worker"):  # an index built before devices were recorded: the CPU
        stored.pop(key)
    (tmp_path / "index" / "manifest.json").write_text(json.dumps(stored))
    assert read_manifest(tmp_path / "index").device == "cpu"
    encoder = DocumentEncoder(CONTESTANT, threads=1, device="cpu")
    assert encoder.device == "cpu" and encoder.ranker.device == "cpu"


@pytest.mark.gpu
@needs_cuda
def test_on_the_gpu_both_engines_encode_there_and_agree_with_the_cpu(shard, tmp_path):
    on_cpu = build(shard, tmp_path / "cpu", CONTESTANT, index_type="flat", batch_size=8, device="cpu")
    here = build(shard, tmp_path / "here", CONTESTANT, index_type="flat", batch_size=8, device="cuda")
    try:
        on_ray = build(shard, tmp_path / "ray", CONTESTANT, engine="ray", index_type="flat", batch_size=8,
                       gpus_per_worker=1)
    finally:
        ray.shutdown()
    assert (on_cpu.device, here.device, on_ray.device, on_ray.gpus_per_worker) == ("cpu", "cuda:0", "cuda", 1.0)
    vectors = [dict(item for ids, rows in read_vectors(folder) for item in zip(ids, rows))
               for folder in (tmp_path / "cpu", tmp_path / "here", tmp_path / "ray")]
    for other in vectors[1:]:  # bfloat16 on the GPU: close to the CPU's float32 vectors, not equal
        assert max(float(np.abs(vectors[0][key] - other[key]).max()) for key in vectors[0]) < 0.05


@pytest.mark.gpu
@needs_cuda
def test_on_the_gpu_the_local_engine_reranks_there(tmp_path, sample_dataset):
    first = {query_id: {doc: 1.0 / (rank + 1) for rank, doc in enumerate(sample_dataset.corpus.ids[:10])}
             for query_id in sample_dataset.queries.ids[:4]}
    write_trec_run(first, tmp_path / "first.trec", "first")
    run = rerank(SAMPLE_BEIR, tmp_path / "first.trec", tmp_path / "re.trec", "name=cross,kind=cross", depth=10,
                 device="cuda")
    assert len(run) == 4 and all(len(scores) == 10 for scores in run.values())
