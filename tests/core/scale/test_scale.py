"""Index building past one machine: the Ray Data engine (a local 2-CPU Ray) against the same code in this process,
Parquet and JSONL shards, the manifest, and a prebuilt index opened by a comparison (or refused)."""

from __future__ import annotations

import json

import faiss
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from core.cli import main
from core.comparison.compare import compare
from core.contestants.registry import comparison, parse_contestant
from core.data import DataError, first_queries, load_dataset
from core.data.trec_runs import read_trec_run, write_trec_run
from core.index import search_index
from core.rankers.bi_encoder import BiEncoderRanker
from core.scale.index_job import build, read_manifest, read_vectors
from core.scale.prebuilt import open_prebuilt
from core.scale.shards import corpus_files, corpus_hash
from tests.conftest import SAMPLE_BEIR

DOCUMENTS = 120


@pytest.fixture(scope="module")
def shards(tmp_path_factory, sample_dataset):
    """The sample's first documents as two JSONL shards (and as one Parquet file), with a record without text."""
    folder = tmp_path_factory.mktemp("shards")
    corpus = sample_dataset.corpus
    records = [{"_id": i, "title": t, "text": x} for i, t, x in
               zip(corpus.ids[:DOCUMENTS], corpus.titles[:DOCUMENTS], corpus.texts[:DOCUMENTS])]
    for part, rows in enumerate((records[:70] + [{"_id": "empty", "text": " "}], records[70:])):
        (folder / f"part-{part}.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    parquet = tmp_path_factory.mktemp("parquet") / "corpus.parquet"
    pq.write_table(pa.Table.from_pylist(records), parquet)
    return folder, parquet


@pytest.fixture(scope="module")
def built(shards, tmp_path_factory):
    """The same shards indexed by both engines (exact search, so that top-10s compare)."""
    import ray

    folder, _ = shards
    here, on_ray = tmp_path_factory.mktemp("local"), tmp_path_factory.mktemp("ray")
    built_here = build(folder, here, index_type="flat", batch_size=32)
    try:
        built_on_ray = build(folder, on_ray, engine="ray", index_type="flat", batch_size=32, workers=2)
    finally:
        ray.shutdown()
    return (built_here, here), (built_on_ray, on_ray)


def _vectors(folder) -> dict[str, np.ndarray]:
    return {item_id: vector for ids, vectors in read_vectors(folder) for item_id, vector in zip(ids, vectors)}


def test_ray_and_local_give_the_same_vectors_and_the_same_top_10(built):
    (here, here_dir), (on_ray, ray_dir) = built
    local, remote = _vectors(here_dir), _vectors(ray_dir)
    assert set(local) == set(remote) and len(local) == DOCUMENTS  # the record without text is skipped by both
    assert max(float(np.abs(local[k] - remote[k]).max()) for k in local) <= 1e-5
    queries = np.stack([local[k] for k in list(local)[:5]])
    tops = []
    for folder in (here_dir, ray_dir):
        ids = [json.loads(line) for line in (folder / "ids.jsonl").read_text().splitlines()]
        _, rows = search_index(faiss.read_index(str(folder / "index.faiss")), queries, 10)
        tops.append([[ids[row] for row in found] for found in rows])
    assert tops[0] == tops[1]
    assert (here.engine, on_ray.engine, on_ray.workers) == ("local", "ray", 2) and here.recall_at_10 == 1.0


def test_the_manifest_ties_the_index_to_the_corpus_as_loaded(built, shards):
    (here, here_dir), _ = built
    folder, parquet = shards
    assert read_manifest(here_dir) == here and here.documents == DOCUMENTS
    for part in (here_dir / "embeddings").glob("*.parquet"):  # every row names the weights that made it
        assert set(pq.read_table(part, columns=["model"]).column("model").to_pylist()) == {here.fingerprint}
    assert corpus_hash(corpus_files(folder)) == (here.corpus_hash, DOCUMENTS)
    assert corpus_hash([parquet])[0] == here.corpus_hash  # the same documents as Parquet hash alike
    loaded = load_dataset(SAMPLE_BEIR).corpus
    assert corpus_hash(corpus_files(SAMPLE_BEIR)) == (loaded.content_hash, len(loaded))


def test_a_comparison_opens_a_prebuilt_index_instead_of_encoding(tmp_path, sample_dataset, monkeypatch):
    out = tmp_path / "index"
    assert main(["index", str(SAMPLE_BEIR), "--out", str(out), "--index-type", "ivf-sq8"]) == 0
    manifest = read_manifest(out)
    assert manifest.index == "ivf-sq8" and 0.9 <= manifest.recall_at_10 <= 1.0
    spec = comparison([parse_contestant("name=bi-encoder,kind=bi"), parse_contestant("name=bm25,kind=bm25")], k=10)
    data = first_queries(sample_dataset, 5)
    assert open_prebuilt(out, data.corpus, spec)[1] == ["bi-encoder"]
    monkeypatch.setattr(BiEncoderRanker, "encode_queries", _refuse_documents(BiEncoderRanker.encode_queries))
    result = compare(data, spec)  # the documents' vectors come from the index: only queries are encoded
    assert result.results["bi-encoder"].index_s >= manifest.encode_s  # what encoding cost, where it ran
    other = comparison([parse_contestant("name=big,kind=bi,model=all-MiniLM-L6-v2,backend=torch")], k=10)
    with pytest.raises(DataError, match="no contestant here uses"):
        open_prebuilt(out, data.corpus, other)
    smaller = load_dataset(SAMPLE_BEIR).corpus
    with pytest.raises(DataError, match="built on another corpus"):
        open_prebuilt(out, type(smaller)(smaller.ids[:5], smaller.texts[:5], smaller.titles[:5]), spec)


def _refuse_documents(encode):
    def guarded(self, texts):
        assert len(texts) <= 2, "encoded the corpus although a prebuilt index holds its vectors"
        return encode(self, texts)
    return guarded


def test_bad_index_input_is_one_line(tmp_path, capsys):
    assert main(["index", str(tmp_path / "missing"), "--out", str(tmp_path / "out")]) == 2
    assert "no such file or folder" in capsys.readouterr().err
    assert main(["compare", str(SAMPLE_BEIR), "--out", str(tmp_path / "o"), "--index", str(tmp_path)]) == 2
    assert "not an index directory" in capsys.readouterr().err


def test_re_ranking_shortlists_on_ray_gives_the_comparison_s_pipeline_run(tmp_path, sample_dataset):
    import ray

    first_stage = tmp_path / "bi.trec"
    data = first_queries(sample_dataset, 4)
    spec = comparison([parse_contestant("name=bi,kind=bi"),
                       parse_contestant("name=cross,kind=cross,first=bi,depth=5")], k=5)
    result = compare(data, spec)
    write_trec_run(result.results["bi"].run, first_stage, "bi")
    runs = {}
    try:
        for engine in ("local", "ray"):
            out = tmp_path / f"{engine}.trec"
            assert main(["rerank", str(SAMPLE_BEIR), "--run", str(first_stage), "--out", str(out), "--contestant",
                         "name=cross,kind=cross", "--depth", "5", "--k", "5", "--engine", engine,
                         "--workers", "2"]) == 0
            runs[engine] = read_trec_run(out.read_text(), engine)
    finally:
        ray.shutdown()
    expected = result.results["cross"].run
    for run in runs.values():
        assert list(run) == list(expected)
        for query_id, docs in expected.items():
            assert list(run[query_id]) == list(docs)
            assert np.allclose(list(run[query_id].values()), list(docs.values()), atol=1e-5)
