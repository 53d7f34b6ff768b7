"""Where a scale-out job runs: "local" (this process) or "ray" (Ray Data, on a local Ray or a cluster)."""

from __future__ import annotations

import os

ENGINES = ("local", "ray")


def threads_per_worker(workers: int) -> int:
    """Torch threads for each of `workers` encoders sharing this machine's cores (at least one)."""
    return max(1, (os.cpu_count() or 1) // max(1, workers))


def start_ray(address: str | None) -> None:
    """Join the Ray cluster at `address` ("auto", "ray://host:port"), or start a local Ray with this machine's cores;
    nothing when this process already runs Ray."""
    import ray

    if not ray.is_initialized():
        ray.init(address=address, include_dashboard=False, log_to_driver=False,
                 **({} if address else {"num_cpus": os.cpu_count()}))
