"""Where a scale-out job runs: "local" (this process) or "ray" (Ray Data, on a local Ray or a cluster), and on which
device its models compute.

The local engine runs its one model on `--device` (`core.devices`; `auto` takes CUDA where there is one). On Ray,
`--gpus-per-worker G` reserves G GPUs for each worker (a Ray Data actor: `num_gpus` in `map_batches`; a fraction
shares one GPU among workers) and its model runs on the GPU Ray gave it; with G = 0 the workers run on their CPUs.
"""

from __future__ import annotations

import math
import os

from core.devices import DeviceError, resolve_device

ENGINES = ("local", "ray")


def threads_per_worker(workers: int) -> int:
    """Torch threads for each of `workers` encoders sharing this machine's cores (at least one)."""
    return max(1, (os.cpu_count() or 1) // max(1, workers))


def start_ray(address: str | None) -> None:
    """Join the Ray cluster at `address` ("auto", "ray://host:port"), or start a local Ray with this machine's cores
    (and the GPUs Ray finds on it); nothing when this process already runs Ray."""
    import ray

    if not ray.is_initialized():
        ray.init(address=address, include_dashboard=False, log_to_driver=False,
                 **({} if address else {"num_cpus": os.cpu_count()}))


def check_gpus_per_worker(gpus: float) -> None:
    """Raises ValueError for a GPU share Ray cannot reserve: below 0, or above 1 and not a whole number."""
    if gpus < 0 or (gpus > 1 and not float(gpus).is_integer()):
        raise ValueError(f"--gpus-per-worker {gpus:g}: give 0 (CPUs only), a share of one GPU (0.5: two workers per "
                         "GPU), or a whole number of GPUs")


def local_device(device: str, gpus_per_worker: float) -> str:
    """The local engine's device, resolved: `device`, or CUDA when `gpus_per_worker` > 0 (this process is then the
    one worker, and it takes the GPU), which `device` may also name.

    Raises:
        core.devices.DeviceError: For a device this machine does not have (the message names those it has).
        ValueError: When `device` names another device than the GPU that `gpus_per_worker` asks for.
    """
    check_gpus_per_worker(gpus_per_worker)
    if gpus_per_worker <= 0:
        return resolve_device(device)
    if device != "auto" and not device.startswith("cuda"):
        raise DeviceError(f"--gpus-per-worker {gpus_per_worker:g} runs this process's model on CUDA, but --device "
                          f"says {device!r}: give one or the other")
    return resolve_device("cuda" if device == "auto" else device)


def job_device(engine: str, device: str, gpus_per_worker: float) -> str:
    """Where a job's model runs, checked before any work: on Ray each worker's (`worker_device`), else this
    process's (`local_device`).

    Raises:
        ValueError / core.devices.DeviceError: As `check_gpus_per_worker` and `local_device` say.
    """
    check_gpus_per_worker(gpus_per_worker)
    return worker_device(gpus_per_worker) if engine == "ray" else local_device(device, gpus_per_worker)


def worker_device(gpus_per_worker: float) -> str:
    """Where a Ray worker's model runs, as the worker resolves it: "cuda" (the GPU Ray gave it, which it sees as
    cuda:0) when it reserves GPUs, else "cpu"."""
    return "cuda" if gpus_per_worker > 0 else "cpu"


def gpus_needed(workers: int, gpus_per_worker: float) -> int:
    """GPUs that `workers` workers of `gpus_per_worker` each take at once (Ray packs shares of one GPU whole: three
    workers of 0.4 need two GPUs)."""
    if gpus_per_worker <= 0:
        return 0
    if gpus_per_worker < 1:
        return math.ceil(workers / math.floor(1 / gpus_per_worker))
    return math.ceil(workers * gpus_per_worker)


def map_arguments(workers: int, threads: int, gpus_per_worker: float, batch_size: int) -> dict:
    """`Dataset.map_batches`'s arguments for a callable class run by `workers` Ray Data actors (a fixed pool, one model
    load each), each reserving `threads` CPUs and `gpus_per_worker` GPUs, fed `batch_size` rows (pyarrow) at a time."""
    import ray.data

    return {"compute": ray.data.ActorPoolStrategy(size=workers), "num_cpus": threads, "num_gpus": gpus_per_worker,
            "batch_size": batch_size, "batch_format": "pyarrow"}


def check_ray_gpus(workers: int, gpus_per_worker: float) -> None:
    """Once Ray runs: a ValueError when its cluster has fewer GPUs than `workers` workers of `gpus_per_worker` reserve
    (Ray would otherwise wait for them without end)."""
    import ray

    need, have = gpus_needed(workers, gpus_per_worker), ray.cluster_resources().get("GPU", 0)
    if need > have:
        raise ValueError(f"--gpus-per-worker {gpus_per_worker:g} with {workers} worker(s) needs {need} GPU(s); the "
                         f"Ray cluster has {have:g} (an autoscaling cluster: start its GPU nodes first; or run on CPUs "
                         "with --gpus-per-worker 0)")
