"""The one error type a build raises for bad input, located at a file and line.

An expected failure (broken YAML, a missing chapter, an undefined template
variable) is a :class:`BuildError`: the command line prints its message and
exits non-zero, without a traceback. Anything else is a bug and keeps its
traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One located problem: ``path:line: message`` (path and line optional)."""

    message: str
    path: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = ""
        if self.path:
            where = f"{self.path}:{self.line}: " if self.line else f"{self.path}: "
        return f"{where}{self.message}"


class BuildError(Exception):
    """Bad input: one or more located problems, reported together."""

    def __init__(self, problems: list[Problem] | Problem | str, path=None, line=None):
        if isinstance(problems, str):
            problems = [Problem(problems, _rel(path), line)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    def __reduce__(self) -> tuple[type[BuildError], tuple[list[Problem]]]:
        # Pickled (from a worker process, say) with its located problems, not only its text.
        return (type(self), (self.problems,))


class Terminated(BaseException):
    """SIGTERM arrived (a BaseException, like KeyboardInterrupt): the command line turns the
    signal into this exception so that writers clean up on the way out."""


class Problems:
    """Collects the problems of one pass so that all are reported at once."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, message: str, path=None, line: int | None = None) -> None:
        """Record one problem."""
        self.items.append(Problem(message, _rel(path), line))

    def extend(self, error: BuildError) -> None:
        """Record every problem of a :class:`BuildError`."""
        self.items.extend(error.problems)

    def raise_if_any(self) -> None:
        """Raise one :class:`BuildError` carrying every problem recorded so far."""
        if self.items:
            raise BuildError(self.items)

    def __bool__(self) -> bool:
        return bool(self.items)


def _rel(path) -> str | None:
    """Paths are shown as given: callers pass them relative to the project."""
    return None if path is None else Path(path).as_posix()
