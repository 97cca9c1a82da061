"""A PDF edition laid out chapter by chapter (``editions.pdf.chapters``), then combined.

The units after the front matter are laid out in book order, each knowing its
first page number (the sum of the page counts before it) and the footnotes
before it; then the front matter, with the page numbers its contents print
(the body restarts at 1, so the front matter's length moves no body folio).
``combine`` joins the PDFs; the anchors, labels and first lines of the pages
are joined the same way, for the EPUB's page list.

Each unit's layout is cached (:class:`LayoutCache`) under a key of everything that
shapes it: its document (which holds its first page number, the footnotes before
it and, for the front matter, the page numbers its contents print), the files of
templates/ and the images, and WeasyPrint's version. So an edit lays out again
the chapter it changed; the chapters after it only if its page count moved them;
the front matter only if a number its contents print changed.
"""

from __future__ import annotations

import hashlib
import pickle
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from folio.editions.pdf.chapters import Unit, fill, unit_style, units
from folio.editions.pdf.document import (
    LayoutRequest,
    PrintLayout,
    label_ranges,
    range_labels,
)

if TYPE_CHECKING:
    import datetime as dt

    import jinja2

    from folio.content.gather import Report

LayOut = Callable[[LayoutRequest], PrintLayout]
#: Bump when what a cached layout holds changes meaning.
_CACHE_FORMAT = "1"


class LayoutCache:
    """Laid-out units in ``folder`` (build/.cache/pdf), by a key of all that shapes them."""

    def __init__(self, folder: Path, report: Report):
        self.folder = folder
        self.context = _context_digest(report)
        self.laid_out: list[str] = []
        """The units laid out (not found in the cache) by this build: for tests and progress."""

    def key(self, request: LayoutRequest) -> str:
        digest = hashlib.sha256(self.context.encode())
        for part in (request.document, request.identifier, str(request.drop_last), str(request.cover)):
            digest.update(part.encode("utf-8") + b"\0")
        return digest.hexdigest()

    def get(self, request: LayoutRequest) -> PrintLayout | None:
        try:
            value = pickle.loads((self.folder / f"{self.key(request)}.pickle").read_bytes())
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError):
            return None
        return value if isinstance(value, PrintLayout) else None

    def put(self, request: LayoutRequest, layout: PrintLayout) -> None:
        from folio.pipeline.output import write_file

        write_file(self.folder / f"{self.key(request)}.pickle", pickle.dumps(layout, protocol=5))


def _context_digest(report: Report) -> str:
    """What shapes every unit beyond its document: templates/ (styles, fonts), the images,
    the tools' versions."""
    from importlib.metadata import version

    root = report.project.root
    digest = hashlib.sha256(_CACHE_FORMAT.encode())
    for name in ("weasyprint", "pydyf", "fonttools", "pillow", "pikepdf"):
        digest.update(f"{name}={version(name)}\0".encode())
    files = sorted(p for p in (root / "templates").rglob("*") if p.is_file())
    files += sorted(set(report.images.values()))
    for path in files:
        digest.update(str(path.relative_to(root) if path.is_relative_to(root) else path.name).encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


@dataclass(frozen=True)
class _Page:
    anchors: tuple[str, ...]


def unit_request(report: Report, unit: Unit, edition: str, first_page: int | None,
                 footnotes_before: int, toc_numbers: dict[str, str] | None = None,
                 cover: bool = False) -> LayoutRequest:
    """The request that lays out one unit, its numbers written in."""
    style = unit_style(unit, first_page, footnotes_before, toc_numbers)
    identifier = f"{report.publication.identifier}#{edition}#{unit.name}"
    return LayoutRequest(report.project.root, fill(unit, style), identifier, None,
                         cover and unit.front, unit.sentinel)


def lay_out_book(report: Report, env: jinja2.Environment, date: dt.datetime, edition: str,
                 lay_out: LayOut, cover: bool = False, cache: LayoutCache | None = None,
                 combine: Callable | None = None,
                 say: Callable[[str], None] = lambda message: None) -> PrintLayout:
    """The PDF edition of ``report`` laid out unit by unit with ``lay_out`` (in this process or
    another; through ``cache``), and combined with ``combine`` (by default here): a
    PrintLayout as the single document's."""
    from folio.content.limits import check_unit
    from folio.editions.pdf.combine import combine as combine_here
    from folio.editions.pdf.combine import project_fonts

    combine = combine or combine_here
    parts = units(report, env, date, edition)
    for unit, group in zip(parts, unit_sections(report)):
        check_unit(unit.name, group)
    started, done, total = time.monotonic(), [0], [0]
    name = "pdf" if edition == "screen" else edition

    def lay_out_cached(request: LayoutRequest) -> PrintLayout:
        layout = cache.get(request) if cache else None
        if layout is None:
            layout = lay_out(request)
            if cache:
                cache.put(request, layout)
                cache.laid_out.append(request.identifier.rsplit("#", 1)[-1])
        done[0] += 1
        total[0] += layout.pages
        say(f"{name}: {done[0]}/{len(parts)} chapters, {total[0]} pages,"
            f" {time.monotonic() - started:.1f} s")
        return layout


    front, rest = parts[0], parts[1:]
    footnotes = front.footnotes
    page = 1
    layouts = []
    numbers: dict[str, str] = {}
    for unit in rest:
        layout = lay_out_cached(unit_request(report, unit, edition, page, footnotes))
        for i, anchors in enumerate(layout.anchors):
            for anchor in anchors:
                numbers.setdefault(anchor, str(page + i))
        layouts.append(layout)
        page += layout.pages
        footnotes += unit.footnotes
    front_layout = lay_out_cached(unit_request(report, front, edition, None, 0,
                                        {t: numbers[t] for t in front.toc_targets}, cover))
    layouts.insert(0, front_layout)
    anchors = tuple(a for layout in layouts for a in layout.anchors)
    body_id = next((s.id for s in report.sections if s.part == "body"), None)
    ranges = label_ranges([_Page(a) for a in anchors], body_id) if body_id else []
    data = combine([layout.data for layout in layouts], ranges, project_fonts(report.project.root))
    labels = range_labels(ranges, len(anchors)) if ranges else \
        tuple(label for layout in layouts for label in layout.labels)
    return PrintLayout(data, anchors, labels,
                       tuple(line for layout in layouts for line in layout.first_lines),
                       front_layout.cover)


def unit_sections(report: Report) -> list[list]:
    """The sections of each unit, as :func:`chapters.units` groups them."""
    front = [s for s in report.sections if s.part == "front"]
    return [front] + [[s] for s in report.sections if s.part != "front"]
