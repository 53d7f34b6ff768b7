"""What every benchmark shares: the machine record, timing helpers, markdown tables and the JSON writer.

Absolute times on a shared 2-core machine drift with the load, so each result file records the machine
(CPU model, cores, load average at the start and at the end, thread settings, library versions) and
every ratio a script reports is measured side by side within one run.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the embedded models never need the network

RESULTS_DIR = Path(__file__).resolve().parent / "results"
LIBRARIES = ("torch", "sentence-transformers", "transformers", "faiss-cpu", "numpy", "onnxruntime", "onnx",
             "bm25s", "ranx", "streamlit")


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (the platform's processor string elsewhere)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _git_commit() -> str | None:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              cwd=RESULTS_DIR.parent, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def machine_record() -> dict[str, Any]:
    """CPU, cores, load, thread settings and library versions, taken now (call it before measuring)."""
    import torch

    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "cores_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "load_average_start": list(os.getloadavg()),
        "torch_threads": torch.get_num_threads(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "libraries": {name: _version(name) for name in LIBRARIES},
        "git_commit": _git_commit(),
        "command": " ".join(["python -m", f"benchmarks.{Path(sys.argv[0]).stem}", *sys.argv[1:]]),
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def write_result(name: str, machine: dict[str, Any], settings: dict[str, Any], results: Any,
                 tables: dict[str, str]) -> Path:
    """Write `results/<name>.json`: machine (load at the end added), settings, raw results and markdown tables."""
    machine = {**machine, "load_average_end": list(os.getloadavg()),
               "finished": datetime.now(UTC).isoformat(timespec="seconds")}
    machine["summary"] = machine_line(machine)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    payload = {"benchmark": name, "machine": machine, "settings": settings, "results": results, "tables": tables}
    path.write_text(json.dumps(payload, indent=2, default=_plain) + "\n")
    return path


def _plain(value: Any) -> Any:
    """JSON for numpy scalars and arrays."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def time_ms(call: Callable[[], object]) -> float:
    """Milliseconds one call of `call` takes."""
    start = time.perf_counter()
    call()
    return (time.perf_counter() - start) * 1000


def percentiles(milliseconds: Sequence[float]) -> dict[str, float]:
    """p50, p95 and mean of a list of timings."""
    p50, p95 = np.percentile(milliseconds, [50, 95])
    return {"p50": float(p50), "p95": float(p95), "mean": float(np.mean(milliseconds)), "n": len(milliseconds)}


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A GitHub markdown table; floats get thousands separators and 3 significant decimals at most."""
    def cell(value: object) -> str:
        if value is None:
            return "–"
        if isinstance(value, float):
            return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.3g}" if abs(value) < 1 else f"{value:,.1f}"
        return str(value)

    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(value) for value in row) + " |" for row in rows]
    return "\n".join(lines)


def machine_line(machine: dict[str, Any]) -> str:
    """One line naming the machine a result was measured on."""
    libraries = ", ".join(f"{name} {version}" for name, version in machine["libraries"].items() if version)
    start, end = machine["load_average_start"][0], machine["load_average_end"][0]
    return (f"{machine['cpu']}, {machine['cores_usable']} cores, 1-minute load average {start:.2f} at the start "
            f"and {end:.2f} at the end, torch threads {machine['torch_threads']}; Python {machine['python']}; "
            f"{libraries}")


def report(name: str, machine: dict[str, Any], settings: dict[str, Any], results: Any,
           tables: dict[str, str]) -> None:
    """Print the tables and write the result file."""
    for title, table in tables.items():
        print(f"\n## {title}\n\n{table}")
    print(f"\nwritten: {write_result(name, machine, settings, results, tables)}")
