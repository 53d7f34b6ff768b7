"""A faster CPU backend for the bi-encoder: its transformer exported to ONNX and run by ONNX Runtime.

`OnnxSentenceEncoder` wraps a loaded mean-pooling sentence-transformers model and offers the part of
`SentenceTransformer.encode` the bi-encoder ranker calls. The export happens in memory when the encoder
is built (a few seconds, once per process); "onnx-int8" then quantises the weights of the linear layers
to int8 (dynamic quantisation: activations are quantised on the fly). benchmarks/encoding_throughput.py
measures the speed-up and the nDCG@10 change of each backend against plain sentence-transformers.
"""

from __future__ import annotations

import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch
from sentence_transformers import SentenceTransformer
from sentence_transformers.sentence_transformer.modules import Normalize, Pooling
from torch import nn

INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
OPSET = 17


class _HiddenStates(nn.Module):
    """The Hugging Face transformer with keyword inputs and one output, as the exporter needs."""

    def __init__(self, transformer: nn.Module) -> None:
        super().__init__()
        self.transformer = transformer

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                token_type_ids: torch.Tensor) -> torch.Tensor:
        return self.transformer(input_ids=input_ids, attention_mask=attention_mask,
                                token_type_ids=token_type_ids).last_hidden_state


def export_graph(module: nn.Module, example: dict[str, torch.Tensor], dynamic_axes: dict[str, dict[int, str]],
                 quantize: bool) -> bytes:
    """`module` as a serialised ONNX graph whose inputs are `example`'s keys (in order) and whose one output is
    "last_hidden_state"; int8 if `quantize` (dynamic quantisation of the linear layers' weights)."""
    with tempfile.TemporaryDirectory() as folder, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tracer's notes on shape-dependent Python code, expected here
        exported = Path(folder) / "model.onnx"
        torch.onnx.export(module.eval(), tuple(example.values()), str(exported), dynamo=False,
                          input_names=list(example), output_names=["last_hidden_state"], dynamic_axes=dynamic_axes,
                          opset_version=OPSET)
        if quantize:
            from onnxruntime.quantization import QuantType, quantize_dynamic  # imports onnx: only when asked

            quantized = Path(folder) / "model-int8.onnx"
            quantize_dynamic(str(exported), str(quantized), weight_type=QuantType.QInt8)
            exported = quantized
        return exported.read_bytes()


def export_onnx(model: SentenceTransformer, quantize: bool) -> bytes:
    """The model's transformer as a serialised ONNX graph (dynamic batch and length), int8 if `quantize`."""
    example = model.tokenizer(["an example sentence"], return_tensors="pt")
    axes = {name: {0: "batch", 1: "tokens"} for name in (*INPUT_NAMES, "last_hidden_state")}
    return export_graph(_HiddenStates(model[0].auto_model), {name: example[name] for name in INPUT_NAMES}, axes,
                        quantize)


def cpu_session(graph: bytes, threads: int) -> ort.InferenceSession:
    """An ONNX Runtime session on the CPU with `threads` intra-op threads."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    return ort.InferenceSession(graph, options, providers=["CPUExecutionProvider"])


class OnnxSentenceEncoder:
    """Mean-pooled sentence embeddings of a sentence-transformers model, computed by ONNX Runtime.

    Args:
        model: A loaded model made of Transformer, mean Pooling and optionally Normalize modules.
        quantize: Quantise the linear layers' weights to int8.
        threads: ONNX Runtime intra-op threads (1 is fastest for one query on a busy 2-core machine).

    Raises:
        ValueError: If the model pools otherwise than by the mean of its token outputs.
    """

    def __init__(self, model: SentenceTransformer, quantize: bool = False, threads: int = 1) -> None:
        modules = list(model)
        pooling = modules[1] if len(modules) > 1 else None
        if (not isinstance(pooling, Pooling) or pooling.get_config_dict().get("pooling_mode") != "mean"
                or any(not isinstance(extra, Normalize) for extra in modules[2:])):
            raise ValueError("the ONNX backend supports Transformer → mean Pooling (→ Normalize) models only")
        self.tokenizer = model.tokenizer
        self.max_seq_length = model.max_seq_length
        self.normalizes = len(modules) > 2
        self.session = cpu_session(export_onnx(model, quantize), threads)

    def encode(self, sentences: Sequence[str], batch_size: int = 32, normalize_embeddings: bool = False,
               convert_to_numpy: bool = True, show_progress_bar: bool = False) -> np.ndarray:
        """Embeddings `[len(sentences), dim]`, as `SentenceTransformer.encode` returns them.

        Sentences are batched by length (longest first) to pad little; `convert_to_numpy` and
        `show_progress_bar` exist for call compatibility (the result is always a numpy array).
        """
        order = np.argsort([-len(text) for text in sentences], kind="stable")
        vectors = np.empty((len(sentences), 0), dtype=np.float32)
        for start in range(0, len(sentences), batch_size):
            rows = order[start:start + batch_size]
            pooled = self._mean_pooled([sentences[i] for i in rows])
            if vectors.shape[1] == 0:
                vectors = np.empty((len(sentences), pooled.shape[1]), dtype=np.float32)
            vectors[rows] = pooled
        if self.normalizes or normalize_embeddings:
            vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        return vectors

    def _mean_pooled(self, texts: list[str]) -> np.ndarray:
        batch = self.tokenizer(texts, padding=True, truncation=True, max_length=self.max_seq_length,
                               return_tensors="np")
        states = self.session.run(None, {name: batch[name].astype(np.int64) for name in INPUT_NAMES})[0]
        mask = batch["attention_mask"][..., None].astype(np.float32)
        return (states * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
