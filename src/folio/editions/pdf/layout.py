"""WeasyPrint's stage of the PDF editions: lay out the one HTML document, write the PDF.

Only this module (and the pool's workers that run it, see ``pipeline/workers.py``) loads
WeasyPrint: the rest of a build does not wait for its import. It also reads
what the EPUB's page list needs from the laid-out pages: each page's anchors,
label and opening words.
"""

from __future__ import annotations

import ctypes.util
import dataclasses
import hashlib
import logging
import os
import re
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

from folio.content.media import media_type
from folio.editions.pagelist import KEY, squash
from folio.editions.pdf.document import (
    HALF_TITLE_ID,
    ORIGIN,
    LayoutRequest,
    PrintLayout,
    label_pages,
    label_ranges,
    label_runs,
    range_labels,
)
from folio.editions.pdf.finish import finish_pages, finish_pdf, page_count
from folio.editions.pdf.press import spread_stylesheet
from folio.editions.pdf.typeset import guarded_pyphen
from folio.errors import BuildError, Problem
from folio.pipeline.workers import background
from folio.theme import THEME, resolve, shown

# Fontconfig reads its configuration when WeasyPrint first lays out: the theme's, not the
# machine's, so that an SVG's text or an undeclared family is drawn by a font we ship, the
# same on every machine, and no system font file is read (issue 15's "nothing read outside").
os.environ["FONTCONFIG_FILE"] = str(THEME / "fontconfig" / "fonts.conf")

# WeasyPrint dlopens Pango & co. under several names; for each that is not a soname, cffi
# falls back on ctypes.util.find_library, which runs ldconfig, gcc and ld: programs a build
# has no business running (issue 15), and 2-4 s of a loaded machine. The sonames it tries
# next are found by dlopen itself, so the search is left out while WeasyPrint loads.
_find_library, ctypes.util.find_library = ctypes.util.find_library, lambda name: None
try:
    import weasyprint
    import weasyprint.text.line_break
    from weasyprint.formatting_structure.boxes import FootnoteAreaBox, MarginBox, TableBox, TextBox
    from weasyprint.urls import URLFetcher, URLFetcherResponse
finally:
    ctypes.util.find_library = _find_library

# Names are not hyphenated: the line breaker's dictionaries give them no hyphenation point
# (``editions/pdf/typeset.py``), in every document this process lays out.
weasyprint.text.line_break.pyphen = guarded_pyphen()

#: The project's address as WeasyPrint sees it, wherever the folder is: WeasyPrint names
#: each image in the PDF after a hash of its URL, so a real path would change the bytes.
BASE_URL = "file:///project/"
_NUMBER = re.compile(r"^(?:[0-9]+|[ivxlcdm]+)$", re.IGNORECASE)


class ProjectFetcher(URLFetcher):
    """Serves files inside the project folder (``templates/`` falling back on the default
    theme) and refuses everything else (no network).

    ``data:`` URLs (in a template's CSS, say) are decoded in memory: they read nothing.
    """

    def __init__(self, root: Path):
        # Only data: may reach WeasyPrint's own opener; files are read here, nothing else is.
        super().__init__(fail_on_errors=True, allowed_protocols=("data",))
        self.root = root.resolve()

    def fetch(self, url, headers=None):
        parsed = urlparse(url)
        if parsed.scheme == "data":
            return super().fetch(url, headers)
        base = urlparse(BASE_URL).path
        if parsed.scheme != "file" or not unquote(parsed.path).startswith(base):
            raise ValueError(f"refused: {url} (only files inside the project are read)")
        rel = unquote(parsed.path)[len(base):]
        path = (self.root / rel).resolve()
        if rel.startswith("templates/") and path.is_relative_to(self.root / "templates"):
            path = resolve(self.root, path.relative_to(self.root / "templates").as_posix())
        if not (path.is_relative_to(self.root) or path.is_relative_to(THEME)) \
                or not path.is_file():
            raise ValueError(f"refused: {url} (not a file inside the project)")
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": media_type(path.name)})


def lay_out(request: LayoutRequest) -> PrintLayout:
    """Print ``request``'s document: the PDF, and what the EPUB's page list needs of each page;
    with ``request.printing``, the print edition too, drawn from the same layout
    (``editions.pdf.restyle``): in :attr:`PrintLayout.printed`, or alone if ``request.write``
    is False.

    The screen edition is the pages laid out less the blank ones; the print edition, the pages
    from the half-title on (the cover is the screen's). Any WeasyPrint warning is a BuildError.
    """
    warnings = _Capture()
    logger = weasyprint.LOGGER
    logger.addHandler(warnings)
    try:
        html = weasyprint.HTML(string=request.document, base_url=BASE_URL,
                               url_fetcher=ProjectFetcher(request.root))
        document = html.render(pdf_variant=request.variant)
        pages = document.pages[:-1] if request.drop_last else document.pages
        wide_tables(pages)  # before anything is written of a PDF that would cut them
        # Every page's printed label, blank ones included: the screen edition keeps them.
        ranges = label_ranges(pages, request.body_id)
        folios = range_labels(ranges, len(pages)) if ranges else printed_labels(pages)
        screen = None
        if request.write:
            kept = tuple(i for i, page in enumerate(pages) if not page._page_box.page_type.blank)
            screen = _written(request, document, pages, kept, folios, len(pages))
        printed = None
        if request.printing is not None:
            start = next((i for i, page in enumerate(pages) if HALF_TITLE_ID in page.anchors), 0)
            printed = _drawn_for_print(request.printing, html, document, pages, start)
    except weasyprint.urls.FatalURLFetchingError as exc:
        raise BuildError(f"PDF: {exc.__cause__ or exc}", _document(request.root)) from None
    finally:
        logger.removeHandler(warnings)
    if warnings.records:
        raise BuildError([Problem(f"PDF: {message}", _document(request.root))
                          for message in warnings.records])
    if screen is None:
        assert printed is not None
        return printed
    return dataclasses.replace(screen, printed=printed) if printed else screen


def _document(root: Path) -> str:
    """The PDF's document template, as a message names it: the project's own
    (``templates/pdf/document.html``) or the theme's (``folio-theme/pdf/document.html``)."""
    return shown(root, resolve(root, "pdf/document.html"))


def _written(request: LayoutRequest, document, pages, kept: tuple[int, ...], folios,
             laid_out: int) -> PrintLayout:
    """The PDF of ``pages[i] for i in kept`` (with ``folios``, the labels of all ``pages``),
    written and finished as ``request`` says; with ``request.pages_only``, only what the
    EPUB's page list reads of those pages (anchors, labels, first lines), as finishing
    would pad them, and no PDF."""
    chosen = [pages[i] for i in kept]
    labels = tuple(folios[i] for i in kept)
    runs = label_runs(labels) if request.body_id else []
    data, cover, spread = b"", None, None
    if request.pages_only:
        # The blank pages finishing would add, to the press's multiple.
        total = request.press.padded(len(chosen)) if request.press and request.finish \
            else len(chosen)
    else:
        # A fixed file identifier, derived from the publication's: the same on every build.
        file_id = hashlib.md5(request.identifier.encode("utf-8")).hexdigest()
        part = document.copy(chosen)
        cover = _cover(part) if request.cover else None
        data = part.write_pdf(pdf_identifier=file_id.encode("ascii"), pdf_variant=request.variant,
                              finisher=lambda _, pdf: label_pages(pdf, runs))
        if request.finish:
            data = finish_pdf(data, request.identifier, request.press)
        else:  # a unit of a book: what can be finished page by page, here
            data = finish_pages(data, request.variant == "pdf/x-4", request.unit)
        total = page_count(data) if request.press and request.finish else len(chosen)
        spread = lay_out_spread(request, total) if request.spread and request.finish else None
    blank = total - len(chosen)  # the blank pages finishing added, to the profile's multiple
    return PrintLayout(data, tuple(tuple(page.anchors) for page in chosen) + ((),) * blank,
                       (range_labels(runs, total) if runs else labels + ("",) * blank),
                       first_lines(chosen) + ((None, ""),) * blank,
                       cover.result() if cover else None, spread, kept=kept, laid_out=laid_out)


def _drawn_for_print(request: LayoutRequest, html, document, pages, start: int) -> PrintLayout:
    """The print edition of the laid-out ``pages`` from ``start``: its paint from the print
    document's cascade (``editions.pdf.restyle``), written as ``request`` says; with
    ``request.pages_only`` (made only for the EPUB's page list), neither repainted nor
    written."""
    chosen = pages[start:]
    drawn = document
    if not request.pages_only:
        from folio.editions.pdf.restyle import print_cascade, restyle

        restyled, style_for, profiles, swapped = print_cascade(html, request.document,
                                                               document.font_config, None)
        restyle(chosen, restyled, style_for, swapped, html.url_fetcher)
        drawn = document.copy(document.pages)
        drawn.color_profiles = profiles
    ranges = label_ranges(chosen, request.body_id)
    folios = range_labels(ranges, len(chosen)) if ranges else printed_labels(chosen)
    layout = _written(request, drawn, chosen, tuple(range(len(chosen))), folios, len(pages))
    return dataclasses.replace(layout, kept=tuple(range(start, len(pages))))


def lay_out_spread(request: LayoutRequest, pages: int) -> bytes:
    """The cover spread, sized for an interior of ``pages`` pages, finished like the interior."""
    # Only the print edition's request has a spread, and it always has a profile.
    assert request.press is not None and request.spread is not None
    html = weasyprint.HTML(string=request.spread, base_url=BASE_URL,
                           url_fetcher=ProjectFetcher(request.root))
    size = weasyprint.CSS(string=spread_stylesheet(request.press, pages))
    file_id = hashlib.md5((request.identifier + "#cover").encode("utf-8")).hexdigest()
    data = html.write_pdf(stylesheets=[size], pdf_identifier=file_id.encode("ascii"),
                          pdf_variant=request.variant)
    return finish_pdf(data, request.identifier + "#cover", request.press, pad=False)


def _cover(document) -> Future:
    """The cover image, rasterised by pdfium from a PDF of page 1 alone, in a thread, while
    WeasyPrint writes the whole PDF (pdfium and the PNG encoder let go of the GIL): the
    same pixels as page 1 of the whole PDF, 0.15 s sooner."""
    from folio.editions.pdf.cover import cover_png
    page_one = document.copy(document.pages[:1]).write_pdf()
    return background(cover_png, page_one, name="folio-cover")


def first_lines(pages) -> tuple[tuple[str | None, str], ...]:
    """Per laid-out WeasyPrint page: the id of the innermost element with an id around its
    first text, and the page's opening words (running heads, footnotes and repeated table
    headers left out)."""
    out = []
    for page in pages:
        found = _Opening()
        _opening(page._page_box, None, found)
        out.append((found.around, "".join(found.text)))
    return tuple(out)


@dataclass
class _Opening:
    """A page's first text, and the id of the innermost element around it."""

    around: str | None = None
    text: list[str] = field(default_factory=list)


def _opening(box, around: str | None, found: _Opening) -> bool:
    """Collect the page's first text into ``found``; True once there is enough."""
    if isinstance(box, (MarginBox, FootnoteAreaBox)) or getattr(box, "is_header", False) \
            or getattr(box, "is_footer", False):
        return False
    element = getattr(box, "element", None)
    if element is not None and getattr(box, "element_tag", None) != "html" and element.get("id"):
        around = element.get("id")
    if isinstance(box, TextBox) and box.text.strip():
        if not found.text:
            found.around = around
        found.text.append(box.text)
        return len(squash("".join(found.text))) >= KEY
    return any(_opening(child, around, found) for child in getattr(box, "children", ()))


def printed_labels(pages) -> tuple[str, ...]:
    """The number printed on each laid-out WeasyPrint page, for a PDF with no page labels
    of its own (those that have them keep the labels they write: ``pdf.range_labels``).

    The text of a page-margin box that reads as a number (arabic or roman); a page
    that prints none (a title page) counts on from its neighbours.
    """
    shown = [_margin_number(page._page_box) for page in pages]  # WeasyPrint keeps no label
    labels = []
    for i, label in enumerate(shown):
        if label is None:
            label = _counted(shown, i)
        labels.append(label)
    return tuple(labels)


def _margin_number(page_box) -> str | None:
    for box in page_box.children:
        if isinstance(box, MarginBox):
            text = "".join(_texts(box)).strip()
            if _NUMBER.match(text):
                return text
    return None


def wide_tables(pages) -> None:
    """Refuse every table wider than the page's text block: a PDF page cannot scroll, and its
    right-hand columns would print in the margin or off the page (a 60-column table showed
    15). Each is named by the file and line :func:`document.mark_tables` gave it."""
    problems: dict[str, Problem] = {}
    for page in pages:
        box = page._page_box
        limit = box.content_box_x() + box.width + 0.5  # half a point: rounding, not overflow
        for table in _tables(box):
            right = table.border_box_x() + table.border_width()
            origin = table.element.get(ORIGIN) or "templates/pdf/document.html"
            if right > limit and origin not in problems:
                path, _, line = origin.partition(":")
                columns = len(table.column_widths)
                problems[origin] = Problem(
                    f"a table of {columns} columns is wider than the printed page (its last"
                    " columns would be cut off): split it into tables of fewer columns, or"
                    " turn its columns into rows", path, int(line) if line else None)
    if problems:
        raise BuildError(list(problems.values()))


def _tables(box):
    if isinstance(box, TableBox):
        yield box
        return
    for child in getattr(box, "children", ()):
        yield from _tables(child)


def _texts(box):
    if isinstance(box, TextBox):
        yield box.text
    for child in getattr(box, "children", ()):
        yield from _texts(child)


def _counted(shown: list[str | None], i: int) -> str:
    """An unnumbered page's number: the next arabic number counted back, else the last counted on."""
    for j in range(i + 1, len(shown)):
        number = shown[j]
        if number and number.isdigit() and int(number) - (j - i) >= 1:
            return str(int(number) - (j - i))
    for j in range(i - 1, -1, -1):
        number = shown[j]
        if number and number.isdigit():
            return str(int(number) + (i - j))
    return str(i + 1)


class _Capture(logging.Handler):
    """Collects WeasyPrint's warnings and errors."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.records: list[str] = []

    def emit(self, record):
        self.records.append(record.getMessage())


def lay_out_unit(request: LayoutRequest, index: int, side_first: bool, counts, start,
                 watch: tuple[str, ...] = ()) -> PrintLayout:
    """Lay out one unit of a book (``editions.pdf.schedule``) whose start is not known yet:
    the units before it may still be laid out in other processes.

    A unit's page count does not depend on its page numbers (they are printed in the page
    margins only, and WeasyPrint makes the margin boxes after the whole flow is paginated).
    So when WeasyPrint makes its first margin box, this puts ``(index, page count, found)`` on
    the ``counts`` queue (``found``: the index of the first page of each anchor of ``watch``
    the unit holds, which the front matter's contents print the numbers of: known here, the
    front matter can be laid out while this unit is drawn and written) and, unless it has it
    already, waits for the unit's start on ``start``:
    ``(first page number or None, right-hand first page or None)``; then it shifts the page
    counter the margin boxes print. The side of the first page does shape the pages (left and
    right pages may have other margins): a unit whose opening does not fix it
    (``side_first``) waits for its start before WeasyPrint paginates, and its first page
    takes that side. This wraps WeasyPrint internals (``layout.initialize_page_maker`` and
    ``make_margin_boxes`` and their page state, ``make_all_pages``), which is why WeasyPrint is pinned and
    tests/test_book_pdf.py compares the result with the single document.
    """
    import weasyprint.layout as layout_module

    original_margins = layout_module.make_margin_boxes
    original_maker = layout_module.initialize_page_maker
    original_pages = layout_module.make_all_pages
    given: list = []
    reported: list[bool] = []
    made: list = []  # the pages of WeasyPrint's last pagination loop

    def all_pages(*args):
        made[:] = list(original_pages(*args))
        return made

    def page_maker(context, root_box):
        original_maker(context, root_box)
        given.append(start.get())
        right = given[0][1]
        if right is not None:
            resume_at, next_page, _, page_state, remake_state = context.page_maker[0]
            context.page_maker[0] = (resume_at, next_page, right, page_state, remake_state)

    def margin_boxes(context, page, state):
        if not reported:
            reported.append(True)
            pages = len(context.page_maker) - 1 - (1 if request.drop_last else 0)
            counts.put((index, pages, _located(made[:pages], watch)))
            if not given:
                given.append(start.get())
        first = given[0][0]
        if first is not None and first != 1:
            counters = dict(state[1])
            counters["page"] = [value + first - 1 for value in counters.get("page", [0])]
            state = (state[0], counters, *state[2:])
        return original_margins(context, page, state)

    layout_module.make_margin_boxes = margin_boxes
    layout_module.make_all_pages = all_pages
    if side_first:
        layout_module.initialize_page_maker = page_maker
    try:
        return lay_out(request)
    finally:
        layout_module.make_margin_boxes = original_margins
        layout_module.initialize_page_maker = original_maker
        layout_module.make_all_pages = original_pages


def _located(pages, watch: tuple[str, ...]) -> dict[str, int]:
    """The index of the first of the page boxes ``pages`` that holds each anchor of ``watch``
    (as ``weasyprint.anchors.gather_anchors`` finds a page's anchors: the boxes' ``anchor``)."""
    found: dict[str, int] = {}
    wanted = set(watch)
    for i, page in enumerate(pages):
        stack = [page]
        while stack and wanted:
            box = stack.pop()
            anchor = box.style["anchor"]
            if anchor in wanted:
                wanted.discard(anchor)
                found[anchor] = i
            stack.extend(box.all_children())
    return found
