"""What an edition is, to the build: a name, its files, its own inputs, what it needs, how
it makes its bytes (Sphinx calls these builders).

An edition declares, once, what the rest of the pipeline must know of it: the
incremental plan keys it on the inputs only it reads and the tools only it uses,
the build makes it after the editions it ``needs`` and writes it where
:meth:`Edition.path` says, ``check`` and ``release`` find it there. The four
editions are in ``folio.editions.catalog``.

This module imports nothing heavy: a no-op build reads the declarations and stops.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    import jinja2

    from folio.content.gather import Report
    from folio.pipeline.workers import Pool


@dataclass(frozen=True)
class Made:
    """What an edition made, in memory: written only once every edition is made."""

    data: bytes | dict[str, bytes]
    """The file's bytes; or, for a folder edition, its files' bytes by relative path."""
    pages: int | None = None
    """The page count the manifest records (PDF editions)."""
    value: Any = None
    """What the editions that need this one take from it (the PDF's laid-out pages)."""
    also: Mapping[str, Made] = field(default_factory=dict)
    """The edition's other files, by path in the build folder (:meth:`Edition.files`)."""


@dataclass(frozen=True)
class Context:
    """What every edition of one build is made from, made once for the build."""

    report: Report
    env: jinja2.Environment
    """The build's one Jinja environment (the gather's)."""
    date: dt.datetime
    """The build's one date (``editions.common.source_date``)."""
    pool: Pool
    """Where WeasyPrint lays out pages, in other processes."""
    paths: Mapping[str, str]
    """Every edition's path in the build folder, by name (the site links to the PDF)."""
    making: frozenset[str]
    """The editions this build makes (the PDF makes the EPUB's cover only if it is one)."""
    out: Path
    """The build folder: its ``.cache/`` keeps what a build may reuse (the fonts' subsets),
    and an edition offered by another but not made again is read where it was written."""
    say: Callable[[str], None]
    """The build's progress log."""
    writing: frozenset[str] | None = None
    """The editions this build writes (None: all it makes); one made only for another (the
    print edition, for the EPUB's page list) may skip what no one reads of it."""
    shared: dict[str, Any] = field(default_factory=dict, compare=False)
    """What editions of this build share, by name (the two PDFs' one layout job)."""
    begun: threading.Event = field(default_factory=threading.Event, compare=False)
    """Set once every edition has begun: work an edition does in a thread of its own waits
    for it, so as not to run beside another's ``begin`` (the site's pages)."""

    def writes(self, name: str) -> bool:
        """Whether this build writes edition ``name`` (not only makes it for another)."""
        return self.writing is None or name in self.writing


class Edition:
    """One edition. Subclasses set the class attributes and :meth:`path` and :meth:`make`."""

    name: ClassVar[str]
    inputs: ClassVar[tuple[str, ...]] = ()
    """Project paths (a folder ends in '/') that this edition reads and the others need not:
    a change to one of them leaves the editions that do not declare it up to date."""
    needs: ClassVar[tuple[str, ...]] = ()
    """Editions whose :class:`Made` this one takes; it also reads their inputs and tools."""
    offers: ClassVar[tuple[str, ...]] = ()
    """Editions whose files this one carries (the site's downloads), if they are built: their
    :class:`Made` is in its ``deps``, made in the same build before it or read from where an
    earlier build wrote it. Its key holds theirs: it is made again whenever one of them is."""
    tools: ClassVar[tuple[str, ...]] = ()
    """Python distributions only this edition uses: their versions are in its key."""
    preload: ClassVar[tuple[str, ...]] = ()
    """Modules to import in a thread while pandoc converts the chapters."""
    pooled: ClassVar[bool] = False
    """True if it lays out pages in the pool (whose server starts as the build does)."""

    def path(self, slug: str) -> str:
        """Where it is written, relative to the build folder (a folder for the HTML)."""
        raise NotImplementedError

    def files(self, slug: str) -> tuple[str, ...]:
        """All its files in the build folder, :meth:`path` first: the others are what
        :attr:`Made.also` holds (the print edition's cover spread)."""
        return (self.path(slug),)

    def begin(self, ctx: Context) -> Any:
        """Start what can run beside the other editions (a layout, in the pool), before any
        edition is made (the pooled editions' first); what it returns is given to :meth:`make`."""
        return None

    def offered(self, ctx: Context) -> tuple[str, ...]:
        """The editions of :attr:`offers` this build hands to :meth:`make`: those it makes,
        and those an earlier build wrote (one never built is not offered)."""
        return tuple(name for name in self.offers
                     if name in ctx.making or (ctx.out / ctx.paths[name]).is_file())

    def make(self, ctx: Context, begun: Any, deps: Mapping[str, Made]) -> Made:
        """Make the edition's bytes from the report and what its ``needs`` made."""
        raise NotImplementedError
