"""Progress of a build: one line per stage or chapter, with the time elapsed.

``Progress(print)`` prints ``[  1.2 s] convert manuscript/history.md``; a
``log`` that prints nothing (``--quiet``) makes it silent.
"""

from __future__ import annotations

import time


class Progress:
    """A log callable that prefixes each message with the seconds since it was made."""

    def __init__(self, log=lambda message: None):
        self.log = log
        self.start = time.perf_counter()

    @property
    def elapsed(self) -> float:
        """Seconds since the build started."""
        return time.perf_counter() - self.start

    def __call__(self, message: str) -> None:
        self.log(f"[{self.elapsed:5.1f} s] {message}")
