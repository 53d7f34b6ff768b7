"""Where models run: one device option for every kind (`auto`, `cpu`, `cuda`, `cuda:N`, `mps`), what each device
computes in, and how big its batches are.

`auto` takes the server's `ARENA_DEVICE` when it is set, else CUDA, then Apple's MPS, then the CPU. Asking for a
device that is not there is a `DeviceError` naming what is. On the CPU the models keep their CPU backends (ONNX
Runtime, PyTorch in bfloat16 where the CPU computes it natively: `core.config`); on an accelerator they run in
PyTorch at `accelerator_dtype`: bfloat16 on CUDA where the GPU supports it (float16 elsewhere), unless
`ARENA_GPU_PRECISION` says otherwise. `python -m benchmarks.gpu` measures what that costs in nDCG@10 against float32.
torch is imported only when a device is resolved, so that reading a spec stays cheap.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

DEVICE_ENV = "ARENA_DEVICE"
PRECISION_ENV = "ARENA_GPU_PRECISION"
CHOICES = ("auto", "cpu", "cuda", "cuda:N", "mps")
_NAME = re.compile(r"auto|cpu|mps|cuda(:\d+)?")
PRECISIONS = ("bfloat16", "float16", "float32")
CPU_BATCH_TOKENS = 512
"""Padded tokens per batch on the CPU: small batches shared by worker threads (`core.models.worker_threads`), the
fastest on two cores (benchmarks/backends.py)."""
ACCELERATOR_BATCH_TOKENS = 262_144
"""Padded tokens per batch on a GPU: 1,024 passages of 256 tokens, a few hundred MB of activations for a MiniLM."""


class DeviceError(ValueError):
    """A device that is not a device name, or not on this machine; the message names those that are."""


def check_device_name(name: str) -> str:
    """`name` if it is a device option's value, else a `DeviceError` listing the choices (no device is probed)."""
    if not _NAME.fullmatch(name):
        raise DeviceError(f"device {name!r} is not one of {', '.join(CHOICES)}")
    return name


def available_devices() -> list[str]:
    """This machine's devices: "cpu", then each CUDA device ("cuda:0", …), then "mps" where PyTorch has it."""
    import torch

    found = ["cpu", *(f"cuda:{index}" for index in range(torch.cuda.device_count() if torch.cuda.is_available() else 0))]
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        found.append("mps")
    return found


def resolve_device(requested: str = "auto", environ: Mapping[str, str] = os.environ) -> str:
    """The device `requested` names on this machine, as PyTorch spells it ("cpu", "cuda:0", "mps").

    Raises:
        DeviceError: For a name that is not a device, or a device this machine does not have (naming those it has).
    """
    name = check_device_name(requested.strip().lower())
    if name == "auto":
        preferred = environ.get(DEVICE_ENV, "").strip().lower()
        if preferred and preferred != "auto":
            return resolve_device(preferred, {})
        there = available_devices()
        return next((device for device in there if device.startswith("cuda")), "mps" if "mps" in there else "cpu")
    there = available_devices()
    device = "cuda:0" if name == "cuda" else name
    if device not in there:
        raise DeviceError(f"device {requested!r} is not on this machine; it has {', '.join(there)}"
                          + ("" if len(there) > 1 else " (a CUDA build of torch and a GPU are needed for cuda: see "
                                                       "the README's \"On a GPU\")"))
    return device


def is_accelerator(device: str) -> bool:
    return device != "cpu"


def accelerator_dtype(device: str, environ: Mapping[str, str] = os.environ) -> torch.dtype:
    """What a model computes in on `device`: float32 on the CPU (its own backends decide there); on an accelerator
    `ARENA_GPU_PRECISION` if set, else bfloat16 where supported, else float16.

    Raises:
        DeviceError: For an `ARENA_GPU_PRECISION` that is not one of `PRECISIONS`.
    """
    import torch

    if not is_accelerator(device):
        return torch.float32
    chosen = environ.get(PRECISION_ENV, "").strip().lower()
    if chosen and chosen not in PRECISIONS:
        raise DeviceError(f"{PRECISION_ENV}={chosen!r} is not one of {', '.join(PRECISIONS)}")
    if not chosen:
        supported = device.startswith("cuda") and torch.cuda.is_bf16_supported()
        chosen = "bfloat16" if supported else "float16"
    return getattr(torch, chosen)


def precision_name(device: str) -> str:
    """What `device` computes in, as a word: "float32", "bfloat16", "float16"."""
    return str(accelerator_dtype(device)).removeprefix("torch.")


def precision_key(device: str, cpu_backend: str = "torch") -> str:
    """What a model's outputs depend on besides its weights, for cache keys: its backend on the CPU, PyTorch at the
    device's precision on an accelerator ("torch-bfloat16"), so that a GPU's vectors and scores are kept apart."""
    return f"torch-{precision_name(device)}" if is_accelerator(device) else cpu_backend


def batch_tokens(device: str) -> int:
    """Padded tokens per batch on `device`."""
    return ACCELERATOR_BATCH_TOKENS if is_accelerator(device) else CPU_BATCH_TOKENS


def device_title(device: str) -> str:
    """How a user reads `device`: "the CPU", "NVIDIA H200 (cuda:0), bfloat16", "Apple MPS, float16"."""
    if not is_accelerator(device):
        return "the CPU"
    import torch

    name = torch.cuda.get_device_name(device) if device.startswith("cuda") else "Apple MPS"
    return f"{name} ({device}), {precision_name(device)}"
