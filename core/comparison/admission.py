"""A first-come, first-served line for heavy work shared by every session of one server process.

At most `slots` callers compute at once; the others wait in arrival order and are told, every `poll_s`
seconds, how many are ahead of them, so that ten sessions on two cores see "2 comparisons ahead of
yours" instead of all of them thrashing the cores. A caller's place is given up however it leaves,
including through a `BaseException` such as Streamlit's stop and rerun signals, which its `on_wait`
callback may raise while it waits.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

SLOTS_VARIABLE = "ARENA_CONCURRENT_RUNS"


def slots_from_env(environ: Mapping[str, str] = os.environ) -> int:
    """How many comparisons may compute at once: `ARENA_CONCURRENT_RUNS`, else one per two CPU cores (at least 1).

    Raises:
        ValueError: If the variable is set to anything but a whole number of at least 1; the message names it.
    """
    raw = environ.get(SLOTS_VARIABLE, "").strip()
    if not raw:
        return max(1, len(os.sched_getaffinity(0)) // 2)
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"{SLOTS_VARIABLE} must be a whole number of at least 1, not {raw[:40]!r}")
    return int(raw)


class Admission:
    """A FIFO admission queue: at most `slots` holders at once.

    Example:
        >>> line = Admission(slots=1)
        >>> with line.slot(on_wait=lambda ahead: print(f"{ahead} ahead of yours")):
        ...     line.waiting, line.running
        (0, 1)
    """

    def __init__(self, slots: int = 1) -> None:
        if slots < 1:
            raise ValueError(f"an admission queue needs at least 1 slot, not {slots}")
        self.slots = slots
        self._running = 0
        self._line: deque[object] = deque()
        self._changed = threading.Condition()

    @property
    def running(self) -> int:
        return self._running

    @property
    def waiting(self) -> int:
        return len(self._line)

    def _ahead(self, ticket: object) -> int:
        """Holders plus the callers in line before `ticket` (call with the condition held)."""
        return self._running + self._line.index(ticket)

    @contextmanager
    def slot(self, on_wait: Callable[[int], None] = lambda ahead: None, poll_s: float = 0.5) -> Iterator[None]:
        """Hold one slot for the `with` body, first waiting in line for it.

        Args:
            on_wait: Called with the number of holders and callers ahead, about every `poll_s` seconds while
                this caller waits (never when a slot is free at once). What it raises ends the wait.
            poll_s: Seconds between `on_wait` calls.
        """
        ticket = object()
        admitted = False
        with self._changed:
            self._line.append(ticket)
        try:
            while True:
                with self._changed:
                    if self._running < self.slots and self._line[0] is ticket:
                        self._line.popleft()
                        self._running += 1
                        admitted = True
                        break
                    ahead = self._ahead(ticket)
                on_wait(ahead)  # outside the condition: it may take time, or raise
                with self._changed:
                    self._changed.wait_for(lambda ahead=ahead: self._ahead(ticket) < ahead, timeout=poll_s)
            yield
        finally:
            with self._changed:
                if admitted:
                    self._running -= 1
                else:
                    self._line.remove(ticket)
                self._changed.notify_all()
