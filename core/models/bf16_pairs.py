"""The joint cross-encoder's transformer in bfloat16: on CPUs that compute bfloat16 natively (AVX-512 BF16, AMX) its
matrix products run about twice as fast as in float32, and scores move by about 10⁻³ (benchmarks/backends.py
measures the speed and the nDCG@10 change). Pooling, the IDF prior and the score head stay in float32.
"""

from __future__ import annotations

import copy

import torch

from core.models.cross_encoder import JointCrossEncoder, PairBatch, run_backbone


class Bf16PairBackbone:
    """`JointCrossEncoder.runtime`: the token outputs of prepared pairs from a bfloat16 copy of the backbone (the
    model's own float32 backbone stays for training and the attention views)."""

    def __init__(self, model: JointCrossEncoder) -> None:
        self.backbone = copy.deepcopy(model.backbone).to(torch.bfloat16).eval()

    def __call__(self, batch: PairBatch, attention_bias: torch.Tensor) -> torch.Tensor:
        return run_backbone(self.backbone, batch.input_ids, batch.position_ids,
                            attention_bias.to(torch.bfloat16)).last_hidden_state.float()
