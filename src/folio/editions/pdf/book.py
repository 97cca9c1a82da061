"""A PDF edition laid out chapter by chapter (``editions.pdf.chapters``), then combined.

The units after the front matter are laid out in book order, each knowing its
first page number (the sum of the page counts before it), the footnotes before
it and the side its first page is on; then the front matter, with the page
numbers its contents print (the body restarts at 1, so the front matter's length
moves no body folio). Where a unit opens on whichever side comes next (the screen
edition), its side depends on the front matter's length as well: the front matter
is then laid out first, with the numbers of the last build (or a guess), and again
at the end only if the real numbers differ. ``combine`` joins the PDFs and finishes
the whole once (``finish``: PDF/UA tags, or the printer's PDF/X-4 steps); the
anchors, labels and first lines of the pages are joined the same way, for the
EPUB's page list; the print edition's cover spread is sized from the total.

Each unit's layout is cached (:class:`LayoutCache`) under a key of everything that
shapes it: its document (which holds the footnotes before it and, for the front
matter, the page numbers its contents print), its first page number and side, the
files of templates/ and the images, and the tools' versions. So an edit lays out
again the chapter it changed; the chapters after it only if its page count moved
them; the front matter only if a number its contents print changed.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import pickle
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from folio.editions.pdf.chapters import Unit, fill, unit_style, units
from folio.editions.pdf.document import (
    LayoutRequest,
    PdfEdition,
    PrintLayout,
    edition_of,
    label_ranges,
    label_runs,
    range_labels,
)
from folio.errors import BuildError, Problem

if TYPE_CHECKING:
    import datetime as dt

    import jinja2

    from folio.content.gather import Report

#: ``run(job, *args) -> Future``: a process pool's ``submit``, or :func:`here`.
Run = Callable[..., Future]
#: The most layouts of a book before the page numbers of its cross-references settle.
_PASSES = 4
#: Bump when what a cached layout holds changes meaning.
_CACHE_FORMAT = "3"
#: The jobs, by name (``pipeline/workers.py``), so that the build never imports WeasyPrint.
LAY_OUT = "folio.editions.pdf.layout:lay_out"
LAY_OUT_UNIT = "folio.editions.pdf.layout:lay_out_unit"
LAY_OUT_SPREAD = "folio.editions.pdf.layout:lay_out_spread"
COMBINE = "folio.editions.pdf.combine:combine"
#: A unit's start: its first page number (None: its own, the front matter's) and whether its
#: first page is a right-hand one (None: its opening fixes the side).
Start = tuple[int | None, bool | None]


class LayoutCache:
    """Laid-out units in ``folder`` (build/.cache/pdf), by a key of all that shapes them."""

    def __init__(self, folder: Path, report: Report):
        self.folder = folder
        self.context = _context_digest(report)
        self.laid_out: list[str] = []
        """The units laid out (not found in the cache) by this build: for tests and progress."""

    def key(self, request: LayoutRequest, start: Start | None = None) -> str:
        """The file name of ``request`` laid out from ``start``."""
        if start == (None, None):
            start = None  # told nothing: laid out as its document says, as with no start
        digest = hashlib.sha256(self.context.encode())
        printing = request.printing
        for part in (request.document, request.identifier, request.variant, str(request.drop_last),
                     str(request.cover), str(start), str(request.write),
                     printing.document if printing else "", printing.identifier if printing else "",
                     # pages only (for the EPUB alone): no print PDF a later build could reuse
                     str(printing.pages_only) if printing else ""):
            digest.update(part.encode("utf-8") + b"\0")
        return digest.hexdigest()

    def get(self, request: LayoutRequest, start: Start | None = None) -> PrintLayout | None:
        """The unit's layout, if it was laid out before (from ``start``)."""
        try:
            value = pickle.loads((self.folder / f"{self.key(request, start)}.pickle").read_bytes())
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError):
            return None
        return value if isinstance(value, PrintLayout) else None

    def put(self, request: LayoutRequest, layout: PrintLayout, start: Start | None = None) -> None:
        """Keep the unit's layout, and that its document was laid out (:meth:`known`)."""
        from folio.pipeline.output import write_file

        write_file(self.folder / f"{self.key(request, start)}.pickle", pickle.dumps(layout, protocol=5))
        if not self.known(request):
            write_file(self.folder / f"{self.key(request)}.known", b"")

    def known(self, request: LayoutRequest) -> bool:
        """The unit's document was laid out before, from some start: its layout from the start
        it gets now may be in the cache (the one edited chapter's is not)."""
        return (self.folder / f"{self.key(request)}.known").is_file()

    def numbers(self, edition: str) -> dict[str, str] | None:
        """The page numbers the front matter's contents printed in the edition's last build:
        a guess, for the screen edition's first pass (see :func:`lay_out_book`), that outlives
        a change of style or text."""
        try:
            found = json.loads((self.folder / f"{edition}.numbers").read_text())
        except (OSError, ValueError):
            return None
        return found if isinstance(found, dict) else None

    def keep_numbers(self, edition: str, numbers: dict[str, str]) -> None:
        """Keep the numbers the front matter's contents print, for the next build's guess."""
        from folio.pipeline.output import write_file

        write_file(self.folder / f"{edition}.numbers",
                   json.dumps(numbers, sort_keys=True).encode())


def _context_digest(report: Report) -> str:
    """What shapes every unit beyond its document: templates/ and the theme's files it does
    not override (styles, fonts), the images, the tools' versions."""
    from importlib.metadata import version

    root = report.project.root
    digest = hashlib.sha256(_CACHE_FORMAT.encode())
    for name in ("weasyprint", "pydyf", "fonttools", "pillow", "pikepdf", "uharfbuzz"):
        digest.update(f"{name}={version(name)}\0".encode())
    from folio.theme import theme_inputs

    files = sorted(p for p in (root / "templates").rglob("*") if p.is_file())
    files += [theme_inputs(root)[name] for name in sorted(theme_inputs(root))]
    files += sorted(set(report.images.values()))
    for path in files:
        digest.update(str(path.relative_to(root) if path.is_relative_to(root) else path.name).encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


@dataclass(frozen=True)
class _Page:
    anchors: tuple[str, ...]


def unit_request(report: Report, unit: Unit, edition: str | PdfEdition, first_page: int | None,
                 footnotes_before: int, toc_numbers: dict[str, str] | None = None,
                 cover: bool = False, right: bool | None = None,
                 printing: Unit | None = None, write: bool = True,
                 print_pages_only: bool = False) -> LayoutRequest:
    """The request that lays out one unit, its numbers written in (``right``: its first page's
    side, when its opening does not fix it and it is known now); with ``printing`` (the same
    unit of the print edition's documents), the print edition drawn from its layout too
    (``write``: the unit's own PDF as well; ``print_pages_only``: the print's pages only,
    for the EPUB's page list, neither repainted nor written)."""
    variant = edition if isinstance(edition, str) else "print" if edition.press else "screen"
    style = unit_style(unit, first_page, footnotes_before, toc_numbers, right)
    identifier = f"{report.publication.identifier}#{variant}#{unit.name}"
    drawn = None
    if printing is not None:
        drawn = LayoutRequest(report.project.root, fill(printing, style),
                              f"{report.publication.identifier}#print#{unit.name}", None,
                              variant="pdf/x-4", finish=False, pages_only=print_pages_only)
    return LayoutRequest(report.project.root, fill(unit, style), identifier, None,
                         cover and unit.front and write,
                         variant="pdf/x-4" if variant == "print" else "pdf/ua-1",
                         drop_last=unit.sentinel, finish=False, printing=drawn, write=write)


def here(job: str, *args) -> Future:
    """Run a job in this process (the default of :func:`lay_out_book`'s ``run``)."""
    import importlib

    module, name = job.split(":")
    future: Future = Future()
    future.set_result(getattr(importlib.import_module(module), name)(*args))
    return future


def lay_out_book(report: Report, env: jinja2.Environment, date: dt.datetime, edition: str,
                 run: Run = here, cover: bool = False, cache: LayoutCache | None = None,
                 say: Callable[[str], None] = lambda message: None,
                 parallel: bool = False, combine_in: Run | None = None,
                 font_cache: Path | None = None, print_pages_only: bool = False,
                 paged: Callable[[bytes | None, PrintLayout], None] | None = None) -> PrintLayout:
    """The PDF edition of ``report`` ("screen", "print", or "both": the screen's, with the
    print's in :attr:`PrintLayout.printed`) laid out unit by unit with ``run`` (a pool's
    submit, or in this process), through ``cache``, combined and finished with ``combine_in``
    (by default ``run``): a PrintLayout as the single document's. Each unit is laid out once
    for both editions (``layout.lay_out``), and each edition combined from its PDFs.

    ``parallel`` (with a pool): the units are laid out at once, each told its first page
    number once the units before it are paginated (:mod:`folio.editions.pdf.schedule`);
    else one by one, in book order. ``print_pages_only`` ("both", for a build that does not
    write the print edition): the print edition's pages as the EPUB's page list reads them,
    neither repainted, written nor combined (:attr:`LayoutRequest.pages_only`). ``paged``
    ("both"): called, before the editions are combined, with the front matter's cover (if
    ``cover``) and the print edition's pages (their anchors, labels and first lines, no
    PDF): all the EPUB reads of them."""
    from folio.content.limits import check_unit
    from folio.editions.pdf.document import check_paint_only, section_bodies
    from folio.editions.pdf.schedule import Scheduler

    # One layout, the screen documents', for both editions: the print edition is drawn from
    # it (``editions.pdf.restyle``) with the print documents' paint.
    values = edition_of(report, env, date, "screen")
    printing = None if edition == "screen" else edition_of(report, env, date, "print")
    write = edition != "print"
    bodies = section_bodies(report)  # the same for both editions: made once
    drawn: dict[str, Unit] = {}
    if printing is not None:
        check_paint_only(report.project.root)
        copied = [{**item, "body": copy.deepcopy(item["body"])} for item in bodies]
        drawn = {unit.name: unit for unit in units(report, env, date, "print", font_cache, copied)}
    parts = units(report, env, date, "screen", font_cache, bodies)
    name = values.name if printing is None else printing.name if not write else "pdf, print"
    sections = {s.id: s for s in report.sections}
    for unit in parts:
        check_unit(unit.name, [sections[name] for name in unit.sections])
    started = time.monotonic()
    done: dict[str, int] = {}

    def progress(request: LayoutRequest, layout: PrintLayout) -> None:
        done[request.unit] = layout.count  # the front matter's second pass counts once
        say(f"{name}: {len(done)} of {len(parts)} chapters laid out,"
            f" {sum(done.values())} pages, {time.monotonic() - started:.1f} s")

    def lay_out_cached(request: LayoutRequest) -> PrintLayout:
        layout = cache.get(request) if cache else None
        if layout is None:
            layout = run(LAY_OUT, request).result()
            if cache:
                cache.put(request, layout)
                cache.laid_out.append(request.unit)
        progress(request, layout)
        return layout

    def request(unit: Unit, first: int | None, before: int, numbers: dict[str, str],
                right: bool | None = None, writes: bool = write) -> LayoutRequest:
        return unit_request(report, unit, values, first, before, numbers, cover, right,
                            drawn.get(unit.name), writes, print_pages_only)

    def front_jobs(numbers: dict[str, str]) -> list[tuple[LayoutRequest, PrintLayout | Future]]:
        """The front matter (with the body's page ``numbers``), each request from the cache
        or in the pool. It is laid out at the end, alone: in the pool, its two editions go to
        two jobs at once, one writing the screen's pages, the other drawing the print's (each
        laying the front matter out: the same bytes as one job drawing both)."""
        whole = request(front, None, 0, numbers)
        wanted = [whole]
        if parallel and whole.printing is not None and whole.write and not print_pages_only:
            wanted = [dataclasses.replace(whole, printing=None),
                      request(front, None, 0, numbers, writes=False)]
        jobs: list[tuple[LayoutRequest, PrintLayout | Future]] = []
        for each in wanted:
            found = cache.get(each) if cache else None
            jobs.append((each, run(LAY_OUT, each) if found is None else found))
        return jobs

    def front_of(jobs: list[tuple[LayoutRequest, PrintLayout | Future]]) -> PrintLayout:
        """The front matter's layout, of :func:`front_jobs`, kept in the cache."""
        laid: list[PrintLayout] = []
        for each, job in jobs:
            if isinstance(job, Future):
                job = job.result()
                if cache:
                    cache.put(each, job)
                    if each.unit not in cache.laid_out:  # its two jobs: one unit
                        cache.laid_out.append(each.unit)
            laid.append(job)
        layout = laid[0] if len(laid) == 1 else dataclasses.replace(laid[0], printed=laid[1])
        progress(jobs[0][0], layout)
        return layout

    front, rest = parts[0], parts[1:]
    befores = [front.footnotes]
    for unit in rest[:-1]:
        befores.append(befores[-1] + unit.footnotes)
    # The front matter goes last, once, with the real numbers its contents print, unless the
    # pages after it follow its length (a project's chapters opening on either side): then
    # first, with a guess.
    front_last = all(unit.side is not None for unit in rest)
    guess = (cache.numbers(values.name) if cache else None) or {}
    numbered = [unit for unit in (rest if front_last else parts) if unit.targets]

    def wanted(unit: Unit) -> dict[str, str]:
        return {target: guess.get(target, "1") for target in unit.targets}

    # Laid out early (parallel, the front matter last): as soon as the body is paginated,
    # with the numbers its contents print, beside the body's last units. Its numbers, and
    # its requests with their layouts (from the cache) or jobs.
    early: list[tuple[dict[str, str], list[tuple[LayoutRequest, PrintLayout | Future]]]] = []

    def paginated(numbers: dict[str, str]) -> None:
        if not all(t in numbers for t in front.targets):
            return  # a target in no unit: _check_targets says so
        printed = {t: numbers[t] for t in front.targets}
        early.append((printed, front_jobs(printed)))

    def drop_early() -> None:
        for _, jobs in early:
            for _, job in jobs:
                if isinstance(job, Future):
                    job.cancel()  # of a pass whose numbers did not settle
        early.clear()

    for _ in range(_PASSES):
        front_layout = None
        drop_early()
        scheduler = Scheduler(cache, progress)
        if not front_last:
            front_request = request(front, None, 0, wanted(front))
            if parallel:
                scheduler.add(front_request, fixed=True, body=False)
            else:
                front_layout = lay_out_cached(front_request)
        for unit, before in zip(rest, befores, strict=True):
            watch = tuple(t for t in front.targets if t in unit.ids) if front_last else ()
            scheduler.add(request(unit, None, before, wanted(unit)), fixed=unit.side is not None,
                          watch=watch)
        if parallel:
            layouts = scheduler.in_parallel(run, paginated if front_last else None)
            if not front_last:
                front_layout, layouts = layouts[0], layouts[1:]
        else:
            layouts = scheduler.one_by_one(
                lambda i, start: request(rest[i], start[0], befores[i], wanted(rest[i]), start[1]),
                lay_out_cached, front_layout.count if front_layout else None)
        real = _numbers(layouts)
        _check_targets(parts, real)
        # Like LaTeX: the numbers a unit printed are those of the pages now, or it is laid
        # out again with them (the cache keeps every unit they did not change).
        if all(real[t] == guess.get(t, "1") for unit in numbered for t in unit.targets):
            break
        guess = {**guess, **real}
    else:
        raise BuildError(f"PDF: the page numbers of cross-references do not settle after {_PASSES}"
                         " layouts (a number that moves a page moves itself): reword around one",
                         "templates/css/print.css")
    if front_last:
        final = {t: real[t] for t in front.targets}
        if early and early[0][0] == final:
            front_layout = front_of(early.pop()[1])
        else:
            drop_early()
            front_layout = front_of(front_jobs(final))
    if cache:
        cache.keep_numbers(values.name, real)
    assert front_layout is not None
    every = [front_layout, *layouts]
    combine = combine_in or run
    screen_joined = _combined(report, values, every, run, combine, cover and front_layout.cover,
                              front.fallbacks) if write else None
    printed_joined = None
    if printing is not None:
        printed_joined = _combined(report, printing, [_printed(layout) for layout in every], run,
                                   combine, None, front.fallbacks, pages_only=print_pages_only)
        if paged is not None:  # the pages are known: what the EPUB needs of them, at once
            paged(front_layout.cover if cover else None, printed_joined[0])
    screen = screen_joined[1]() if screen_joined else None
    printed = printed_joined[1]() if printed_joined else None
    if screen is None:
        assert printed is not None
        return printed
    return dataclasses.replace(screen, printed=printed) if printed else screen


def _printed(layout: PrintLayout) -> PrintLayout:
    """The print edition of a unit laid out for both."""
    return layout.printed if layout.printed is not None else layout  # or laid out for print alone


def _check_targets(parts: list[Unit], numbers: dict[str, str]) -> None:
    """Every page number a unit prints is of a target in the body or back (not the front
    matter, which has its own numbers and is laid out on its own)."""
    missing = sorted({(unit.name, t) for unit in parts for t in unit.targets if t not in numbers})
    if missing:
        raise BuildError([Problem(f"PDF: a page reference from another chapter to #{t}, in the front"
                                  " matter, which a book laid out chapter by chapter cannot print:"
                                  " link to it without its page number", "templates/css/print.css")
                          for _, t in missing])


def _numbers(layouts: list[PrintLayout]) -> dict[str, str]:
    """The page number each anchor of the body and back units is printed on first."""
    numbers: dict[str, str] = {}
    page = 1
    for layout in layouts:
        for i, anchors in zip(layout.indices(), layout.anchors, strict=False):
            for anchor in anchors:
                numbers.setdefault(anchor, str(page + i))
        page += layout.count
    return numbers


#: One combination at a time in a build: each holds the whole book (the screen's 240 MB for
#: 530 pages; the print's beside it, in the pool, took the build's tree from 690 to 790 MB).
_COMBINING = threading.Lock()


def _combined(report: Report, values: PdfEdition, layouts: list[PrintLayout], run: Run,
              combine_in: Run, cover, fallbacks: str = "",
              pages_only: bool = False) -> tuple[PrintLayout, Callable[[], PrintLayout]]:
    """The units' layouts joined: their pages' facts at once (a PrintLayout with no PDF),
    and a function that combines and finishes them, in one job (of ``combine_in``, one at a
    time), the cover spread beside it (``run``). ``pages_only``: the facts, padded as
    finishing would, and no PDF or spread."""
    from folio.editions.pdf.combine import project_fonts

    anchors = tuple(a for layout in layouts for a in layout.anchors)
    first_lines = tuple(line for layout in layouts for line in layout.first_lines)
    body_id = next((s.id for s in report.sections if s.part == "body"), None)
    # Every page laid out, those this edition leaves out too (the screen's blank pages, the
    # print's cover: no anchors known), numbered as printed; this edition's pages keep theirs.
    laid: list[tuple[str, ...]] = []
    kept: list[int] = []
    for layout in layouts:
        slots: list[tuple[str, ...]] = [()] * layout.count
        for i, found in zip(layout.indices(), layout.anchors, strict=True):
            slots[i] = found
        kept += [len(laid) + i for i in layout.indices()]
        laid += slots
    full = label_ranges([_Page(a) for a in laid], body_id) if body_id else []
    folios = range_labels(full, len(laid)) if full else ()
    ranges = label_runs([folios[i] for i in kept]) if full else []
    pages = len(anchors)
    padded = values.press.padded(pages) if values.press else pages
    blank = padded - pages  # the blank pages finishing added, to the profile's multiple
    labels = range_labels(ranges, padded) if ranges else \
        tuple(label for layout in layouts for label in layout.labels) + ("",) * blank
    facts = PrintLayout(b"", anchors + ((),) * blank, labels, first_lines + ((None, ""),) * blank,
                        cover or None)

    def made() -> PrintLayout:
        if pages_only:
            return facts
        spread = None
        if values.spread is not None:  # sized from the total, laid out beside the combine
            request = LayoutRequest(report.project.root, "", values.identifier,
                                    variant=values.variant, press=values.press,
                                    spread=values.spread)
            spread = run(LAY_OUT_SPREAD, request, padded)
        with _COMBINING:
            data = combine_in(COMBINE, [layout.data for layout in layouts], ranges,
                              project_fonts(report.project.root, fallbacks), values.identifier,
                              values.press).result()
        return dataclasses.replace(facts, data=data, spread=spread.result() if spread else None)

    return facts, made
