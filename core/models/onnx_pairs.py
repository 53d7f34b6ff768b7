"""A faster CPU backend for the project's joint cross-encoder: its transformer exported to ONNX and run by ONNX
Runtime, while pooling, the IDF prior and the score head stay in PyTorch (they cost little).

The graph takes what `JointCrossEncoder.encode_pairs` feeds the transformer (token ids, positions restarting at
each segment, the additive cross-segment attention bias) and returns its token outputs; it is exported in memory
when the backend is loaded (seconds, once per process). "onnx-int8" quantises the linear layers' weights.
benchmarks/backends.py measures both against PyTorch, in pairs per second and nDCG@10.
"""

from __future__ import annotations

import torch
from torch import nn

from core.models.cross_encoder import JointCrossEncoder, PairBatch, run_backbone
from core.models.onnx_encoder import cpu_session, export_graph

INPUTS = ("input_ids", "position_ids", "attention_bias")


class _JointHiddenStates(nn.Module):
    """The backbone as the joint cross-encoder calls it, with positional inputs and one output."""

    def __init__(self, backbone: nn.Module) -> None:
        super().__init__()
        self.backbone = backbone

    def forward(self, input_ids: torch.Tensor, position_ids: torch.Tensor, attention_bias: torch.Tensor) -> torch.Tensor:
        return run_backbone(self.backbone, input_ids, position_ids, attention_bias).last_hidden_state


class OnnxPairBackbone:
    """`JointCrossEncoder.runtime`: the token outputs of prepared pairs, computed by ONNX Runtime.

    Args:
        model: The loaded joint cross-encoder whose backbone is exported.
        quantize: Quantise the linear layers' weights to int8.

    The session runs each call on one thread: `JointCrossEncoder.predict` calls it from worker threads that get one
    of PyTorch's threads each, so both backends use the same cores.
    """

    def __init__(self, model: JointCrossEncoder, quantize: bool = False) -> None:
        example = model.prepare([("an example query", "an example document")])
        with torch.no_grad():
            inputs = dict(zip(INPUTS, (example.input_ids, example.position_ids, model.attention_bias(example.segments))))
        axes = {"input_ids": {0: "batch", 1: "tokens"}, "position_ids": {0: "batch", 1: "tokens"},
                "attention_bias": {0: "batch", 2: "tokens", 3: "tokens"},
                "last_hidden_state": {0: "batch", 1: "tokens"}}
        graph = export_graph(_JointHiddenStates(model.backbone), inputs, axes, quantize)
        self.session = cpu_session(graph, threads=1)

    def __call__(self, batch: PairBatch, attention_bias: torch.Tensor) -> torch.Tensor:
        states = self.session.run(None, {"input_ids": batch.input_ids.numpy(), "position_ids": batch.position_ids.numpy(),
                                         "attention_bias": attention_bias.detach().numpy()})[0]
        return torch.from_numpy(states)
