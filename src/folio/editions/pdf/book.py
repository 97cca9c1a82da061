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

    def key(self, request: LayoutRequest, first_page: int | None = None) -> str:
        digest = hashlib.sha256(self.context.encode())
        for part in (request.document, request.identifier, str(request.drop_last), str(request.cover),
                     str(first_page)):
            digest.update(part.encode("utf-8") + b"\0")
        return digest.hexdigest()

    def get(self, request: LayoutRequest, first_page: int | None = None) -> PrintLayout | None:
        """The unit's layout, if it was laid out before (starting on ``first_page``)."""
        try:
            value = pickle.loads((self.folder / f"{self.key(request, first_page)}.pickle").read_bytes())
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError):
            return None
        return value if isinstance(value, PrintLayout) else None

    def put(self, request: LayoutRequest, layout: PrintLayout, first_page: int | None = None) -> None:
        """Keep the unit's layout, and its page count (which its first page number does not
        change: see ``layout.lay_out_unit``)."""
        from folio.pipeline.output import write_file

        write_file(self.folder / f"{self.key(request, first_page)}.pickle", pickle.dumps(layout, protocol=5))
        if first_page is not None:
            write_file(self.folder / f"{self.key(request)}.pages", str(layout.pages).encode())

    def pages(self, request: LayoutRequest) -> int | None:
        """The unit's page count, if it was laid out before, on any first page."""
        try:
            return int((self.folder / f"{self.key(request)}.pages").read_text())
        except (OSError, ValueError):
            return None


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
                 say: Callable[[str], None] = lambda message: None,
                 submit: Callable | None = None) -> PrintLayout:
    """The PDF edition of ``report`` laid out unit by unit with ``lay_out`` (in this process or
    another; through ``cache``), and combined with ``combine`` (by default here): a
    PrintLayout as the single document's.

    With ``submit`` (a process pool's: ``submit(job, *args) -> Future``), the units after the
    front matter are laid out at once, in parallel (:func:`_in_parallel`); else one by one."""
    from folio.content.limits import check_unit
    from folio.editions.pdf.combine import combine as combine_here
    from folio.editions.pdf.combine import project_fonts

    combine = combine or combine_here
    parts = units(report, env, date, edition)
    for unit, group in zip(parts, unit_sections(report), strict=True):
        check_unit(unit.name, group)
    started, done, total = time.monotonic(), [0], [0]
    name = "pdf" if edition == "screen" else edition

    def progress(layout: PrintLayout) -> None:
        done[0] += 1
        total[0] += layout.pages
        say(f"{name}: {done[0]}/{len(parts)} chapters, {total[0]} pages,"
            f" {time.monotonic() - started:.1f} s")

    def lay_out_cached(request: LayoutRequest) -> PrintLayout:
        layout = cache.get(request) if cache else None
        if layout is None:
            layout = lay_out(request)
            if cache:
                cache.put(request, layout)
                cache.laid_out.append(_name(request))
        progress(layout)
        return layout


    front, rest = parts[0], parts[1:]
    footnotes = front.footnotes
    page = 1
    layouts = []
    numbers: dict[str, str] = {}
    if submit is not None:
        requests = []
        for unit in rest:
            requests.append(unit_request(report, unit, edition, None, footnotes))
            footnotes += unit.footnotes
        layouts = _in_parallel(requests, submit, cache, progress)
    for k, unit in enumerate(rest):
        if submit is None:
            layouts.append(lay_out_cached(unit_request(report, unit, edition, page, footnotes)))
            footnotes += unit.footnotes
        for i, anchors in enumerate(layouts[k].anchors):
            for anchor in anchors:
                numbers.setdefault(anchor, str(page + i))
        page += layouts[k].pages
    front_layout = lay_out_cached(unit_request(report, front, edition, None, 0,
                                        {t: numbers[t] for t in front.toc_targets}, cover))
    layouts.insert(0, front_layout)
    book_anchors = tuple(a for layout in layouts for a in layout.anchors)
    body_id = next((s.id for s in report.sections if s.part == "body"), None)
    ranges = label_ranges([_Page(a) for a in book_anchors], body_id) if body_id else []
    data = combine([layout.data for layout in layouts], ranges, project_fonts(report.project.root))
    labels = range_labels(ranges, len(book_anchors)) if ranges else \
        tuple(label for layout in layouts for label in layout.labels)
    return PrintLayout(data, book_anchors, labels,
                       tuple(line for layout in layouts for line in layout.first_lines),
                       front_layout.cover)


#: The job that lays out a unit whose first page number comes later (``layout.lay_out_unit``).
LAY_OUT_UNIT = "folio.editions.pdf.layout:lay_out_unit"


def _name(request: LayoutRequest) -> str:
    return request.identifier.rsplit("#", 1)[-1]


def _in_parallel(requests: list[LayoutRequest], submit: Callable, cache: LayoutCache | None,
                 progress: Callable[[PrintLayout], None]) -> list[PrintLayout]:
    """The units' layouts, each in a pool job started at once (``layout.lay_out_unit``).

    A job reports its page count as soon as its pages are paginated, and waits for its
    first page number: the sum of the counts before it, given as soon as they are all known.
    Jobs go to the pool in book order, so the earliest unfinished one never waits for a
    later one. A unit whose page count the cache knows (its document is unchanged) is not
    laid out at once: once its first page is known, the cache may have its pages on that
    first page; only if not is it laid out. So an edit lays out the edited chapter, and the
    chapters after it only if its page count moved them.
    """
    import multiprocessing
    import queue

    n = len(requests)
    counts = [cache.pages(r) if cache else None for r in requests]
    starts: list[int | None] = [None] * n
    layouts: list[PrintLayout | None] = [None] * n
    futures: dict = {}
    waiting: dict = {}
    manager = multiprocessing.get_context("forkserver").Manager()
    try:
        reported = manager.Queue()

        def start_job(i: int) -> None:
            waiting[i] = manager.Queue()
            futures[i] = submit(LAY_OUT_UNIT, requests[i], i, reported, waiting[i])
            if cache:
                cache.laid_out.append(_name(requests[i]))

        for i in range(n):
            if counts[i] is None:
                start_job(i)
        while any(layout is None for layout in layouts):
            page = 1
            for i in range(n):
                if starts[i] is None:
                    starts[i] = page
                    if i in waiting:
                        waiting[i].put(page)
                    else:
                        found = cache.get(requests[i], page) if cache else None
                        if found is not None:
                            layouts[i] = found
                            progress(found)
                        else:
                            start_job(i)
                            waiting[i].put(page)
                count = counts[i]
                if count is None:
                    break
                page += count
            for i, future in list(futures.items()):
                if future.done():
                    layout = layouts[i] = future.result()
                    counts[i] = layout.pages
                    del futures[i]
                    if cache:
                        cache.put(requests[i], layout, starts[i])
                    progress(layout)
            if any(layout is None for layout in layouts):
                try:
                    i, count = reported.get(timeout=0.1)
                    counts[i] = count
                except queue.Empty:
                    pass
    finally:
        for future in futures.values():
            future.cancel()
        manager.shutdown()
    return [layout for layout in layouts if layout is not None]


def unit_sections(report: Report) -> list[list]:
    """The sections of each unit, as :func:`chapters.units` groups them."""
    front = [s for s in report.sections if s.part == "front"]
    return [front] + [[s] for s in report.sections if s.part != "front"]
