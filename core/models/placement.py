"""Computing on a model's device: inputs moved per batch to where the module's parameters are, and on an
accelerator the forward passes under `torch.autocast` at the device's precision (`core.devices.accelerator_dtype`),
the weights staying float32. On the CPU all of this is a no-op, so one code path serves every device."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import numpy as np
import torch
from torch import nn

from core.devices import accelerator_dtype, is_accelerator


def device_of(module: nn.Module) -> str:
    """Where `module`'s parameters are, as PyTorch spells it ("cpu", "cuda:0")."""
    return str(next(module.parameters()).device)


@contextmanager
def computing_on(device: str) -> Iterator[None]:
    """Forward passes on `device`: under autocast at its precision on an accelerator (none at float32), as they are
    on the CPU."""
    dtype = accelerator_dtype(device)
    if not is_accelerator(device) or dtype == torch.float32:
        yield
        return
    with torch.autocast(device_type=device.split(":")[0], dtype=dtype):
        yield


def to_device(tensors: Mapping[str, torch.Tensor], device: str) -> dict[str, torch.Tensor]:
    """A tokenised batch with each tensor on `device`."""
    return {name: value.to(device, non_blocking=True) for name, value in tensors.items()}


def as_numpy(tensor: torch.Tensor) -> np.ndarray:
    """`tensor` as a float32 NumPy array on the CPU, whatever its device and precision."""
    return tensor.detach().float().cpu().numpy()
