"""Writing cache files that several processes share: atomically, and keeping only the newest few."""

from __future__ import annotations

import os
import threading
from pathlib import Path


def write_newest(path: Path, content: bytes, keep: int) -> None:
    """Write `content` to `path` atomically (no process ever reads half a file), then delete all but the `keep`
    newest files with `path`'s suffix in its folder.

    Raises:
        OSError: When the disk is full or read-only (callers log it: it only costs the cache).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
    partial.write_bytes(content)
    os.replace(partial, path)
    entries = sorted(path.parent.glob(f"*{path.suffix}"), key=lambda file: file.stat().st_mtime)
    for old in entries[:-keep]:
        old.unlink(missing_ok=True)
