"""The PDF edition, printed by WeasyPrint from the same section trees plus print CSS.

The whole report is one HTML document: internal links stay ``#id``, notes
become ``float: footnote`` spans, and the table of contents takes its page
numbers from ``target-counter``. This module makes that document and the
request to print it; ``printer`` (the only module that loads WeasyPrint, in a
worker of the build's process pool) lays it out and writes the PDF.
WeasyPrint may only read files inside the project; any warning it logs is an
error, so nothing is silently dropped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import pydyf
from lxml import etree

from folio.editions.pdf.press import Press
from folio.theme import THEME, resolve

if TYPE_CHECKING:
    import datetime as dt

    import jinja2

    from folio.content.gather import Report

# The WeasyPrint worker imports this module too, for the request and layout types and the
# page labels: what only the document needs (the data models, Jinja) is imported where it is
# made, so that the worker does not load it (~0.25 s, on the build's critical path).


@dataclass(frozen=True)
class PrintLayout:
    """The laid-out PDF: its bytes, and what the EPUB's page list needs of its pages."""

    data: bytes
    anchors: tuple[tuple[str, ...], ...]
    """Per page, the ids of the elements WeasyPrint placed on it."""
    labels: tuple[str, ...]
    """Per page, its label: the PDF's /PageLabels, else the number printed in its margin."""
    first_lines: tuple[tuple[str | None, str], ...] = ()
    """Per page, the id of the element around its first line, and the line's words."""
    cover: bytes | None = None
    """Page 1 as a PNG (``folio.editions.pdf.cover.cover_png``), when the request asked for it."""
    spread: bytes | None = None
    """The print edition's cover spread (back, spine, front), a PDF/X-4 of its own."""
    printed: PrintLayout | None = None
    """The print edition, drawn from the same layout (``LayoutRequest.printing``)."""
    kept: tuple[int, ...] | None = None
    """Per page, its index among the pages laid out (None: every page laid out is here):
    the screen edition leaves out the blank ones, the print edition the cover."""
    laid_out: int | None = None
    """How many pages were laid out (None: :attr:`pages`): what numbers the pages after it."""

    @property
    def pages(self) -> int:
        return len(self.labels)

    @property
    def count(self) -> int:
        """The pages laid out: what the page numbers after them count on from."""
        return self.pages if self.laid_out is None else self.laid_out

    def indices(self) -> tuple[int, ...]:
        """Per page here, its index among the pages laid out."""
        return tuple(range(self.pages)) if self.kept is None else self.kept


@dataclass(frozen=True)
class LayoutRequest:
    """What WeasyPrint needs to print a document of the project: plain values, sent as they
    are to the child process that lays it out."""

    root: Path
    document: str
    """The HTML document (see :func:`pdf_document_html`)."""
    identifier: str
    """Seeds the PDF's fixed /ID."""
    body_id: str | None = None
    """The first body section's id, where arabic page numbers start (None: no page labels)."""
    cover: bool = False
    """Also make the EPUB's cover image, a PNG of page 1."""
    variant: str = "pdf/ua-1"
    """WeasyPrint's pdf_variant: PDF/UA-1 for the screen, PDF/X-4 for the printer."""
    press: Press | None = None
    """The print profile (the print edition only): padding, marks, output intent, spine."""
    spread: str | None = None
    """The cover spread's HTML document (templates/pdf/spread.html), sized once the
    interior's page count is known (``press.spread_stylesheet``)."""
    drop_last: bool = False
    """Leave out the last page: a unit's sentinel (``editions.pdf.chapters``)."""
    finish: bool = True
    """Finish the PDF (``finish.finish_pdf``); a book's units are finished once, combined."""
    printing: LayoutRequest | None = None
    """The print edition, drawn from this document's layout (``editions.pdf.restyle``): its
    document gives the print's paint, its other fields how to write it."""
    write: bool = True
    """Write this document's own (screen) PDF; False: only :attr:`printing`'s."""
    pages_only: bool = False
    """Only what the EPUB's page list needs of the pages: no PDF, no cover spread (the print
    edition made for the EPUB of a build that does not write it)."""

    @property
    def unit(self) -> str:
        """The unit of a book this lays out ("front", or its first section's id): the last
        part of a unit's :attr:`identifier` (``book.unit_request``)."""
        return self.identifier.rsplit("#", 1)[-1]


def pdf_document_html(report: Report, env: jinja2.Environment, date: dt.datetime,
                      edition: str = "screen") -> str:
    """The single HTML document WeasyPrint prints, rendered with the build's ``env``, dated
    ``date`` (the build's date)."""
    return render_document(report, section_bodies(report), env, date, edition)


def section_bodies(report: Report) -> list[dict]:
    """Each section's body as the PDF prints it (notes as footnotes, block ids for the EPUB's
    page list, words guarded against hyphenation), with ``part_start`` on the first section of
    each part: where a part's page numbering starts (roman in front, arabic from the body)."""
    from folio.editions.common import retarget
    from folio.editions.pagelist import number_blocks
    from folio.editions.pdf.typeset import guard_words, tie_last_words

    bodies = []
    previous = None
    for section in report.sections:
        body = retarget(report, section, lambda s: None, lambda src: src)
        number_blocks(body, section.id)  # ids mark where each page starts, for the EPUB
        _notes_to_footnotes(body)
        guard_words(body)
        tie_last_words(body)
        mark_tables(body, section)
        for h1 in body.iter("h1"):
            h1.set("data-running-title", report.publication.title)
        bodies.append({"section": section, "body": body, "part_start": section.part != previous})
        previous = section.part
    return bodies


def render_document(report: Report, bodies: list[dict], env: jinja2.Environment, date: dt.datetime,
                    edition: str, cover: bool = True, unit_style: str = "",
                    sentinel: bool = False) -> str:
    """The HTML document of ``bodies`` (from :func:`section_bodies`): the whole report, or one
    unit of the chapter-by-chapter layout (``editions.pdf.chapters``), which may leave out the
    cover and half-title, carry a style of its own, and end with a sentinel page."""
    from markupsafe import Markup

    from folio.content.render import render
    from folio.editions.common import inner_html

    sections = [{**item, "body": Markup(inner_html(item["body"]))} for item in bodies]
    return render(env, "pdf/document.html", {
        **_context(report, date, edition), "sections": sections, "cover": cover,
        "unit_style": unit_style, "sentinel": sentinel})


def _context(report: Report, date: dt.datetime, edition: str) -> dict:
    """What both PDF documents (the book, the cover spread) are made of, besides the text,
    dated ``date`` (the build's date)."""
    from folio.editions.common import creators

    pub = report.publication
    authors, _ = creators(report)
    return {"pub": pub, "authors": [name for name, _ in authors], "edition": edition,
            "press": pub.press,
            "created": pub.date.isoformat(), "modified": date.strftime("%Y-%m-%dT%H:%M:%SZ")}


def spread_html(report: Report, env: jinja2.Environment, date: dt.datetime) -> str:
    """The print edition's cover spread: back cover (the description, the publisher, an ISBN
    barcode when the profile gives an ISBN), spine (title, publisher), front cover."""
    from folio.content.render import render

    isbn = report.publication.press.isbn
    return render(env, "pdf/spread.html", {**_context(report, date, "print"),
                                           "isbn": isbn, "bars": ean13_bars(isbn) if isbn else ""})


def ean13_bars(isbn: str) -> str:
    """An ISBN-13's EAN-13 modules, '1' a bar and '0' a space (python-barcode's encoding)."""
    import barcode

    return str(barcode.get("ean13", isbn).build()[0])


def layout_request(report: Report, env: jinja2.Environment, date: dt.datetime,
                   edition: str = "screen", cover: bool = False,
                   font_cache: Path | None = None) -> LayoutRequest:
    """The request to print a PDF edition of the report, "screen", "print" or "both" (checked
    against the size limit first: a report too large fails at once, before WeasyPrint, in
    bounded memory). Each lays out the screen document: the print edition is drawn from its
    layout (``LayoutRequest.printing``), so that the two have the same pages."""
    from folio.content.limits import check_pdf
    from folio.editions.catalog import EDITIONS, PDF

    if edition not in {e.variant for e in EDITIONS.values() if isinstance(e, PDF)} | {"both"}:
        raise ValueError(f"unknown PDF edition: {edition!r}")
    check_pdf(report)
    body = next((s.id for s in report.sections if s.part == "body"), None)

    def request(name: str, cover: bool) -> LayoutRequest:
        values = edition_of(report, env, date, name)
        document = with_fallbacks(report, pdf_document_html(report, env, date, edition=name),
                                  name, font_cache)
        return LayoutRequest(report.project.root, document, values.identifier, body, cover,
                             variant=values.variant, press=values.press, spread=values.spread)

    # One layout, the screen document's, for both: the print edition is drawn from it.
    screen = request("screen", cover and edition != "print")
    if edition == "screen":
        return screen
    check_paint_only(report.project.root)
    printing = request("print", False)
    return replace(screen, printing=printing, write=edition == "both")


def check_paint_only(root: Path) -> None:
    """The print edition's stylesheets change only what is painted, not what moves a line:
    it is drawn over the screen edition's layout (``editions.pdf.restyle``)."""
    from folio.editions.pdf.restyle import check_paint_only as found_in
    from folio.errors import BuildError, Problem
    from folio.inputs.paths import read_input

    problems = []
    for rel, every_rule in (("css/print-edition.css", True), ("css/print.css", False)):
        path = resolve(root, rel)
        shown = f"templates/{rel}" if path.is_relative_to(root) else f"folio-theme/{rel}"
        for name, line in found_in(read_input(path).decode("utf-8"), every_rule):
            problems.append(Problem(
                f"'{name}' for the print edition only: both PDFs are drawn from one layout, so"
                " a rule for one edition may change only colours, text decoration and visibility;"
                " set it for both editions", shown, line))
    if problems:
        raise BuildError(problems)


@dataclass(frozen=True)
class PdfEdition:
    """What a PDF edition's units and its finishing need: plain values."""

    name: str
    variant: str
    identifier: str
    """The single document's identifier: the finished PDF's XMP DocumentID derives from it."""
    press: Press | None = None
    """The print profile, for the printer's edition."""
    spread: str | None = None
    """The cover spread's document (the printer's edition)."""


def edition_of(report: Report, env: jinja2.Environment, date: dt.datetime, edition: str) -> PdfEdition:
    """The values of the PDF edition ``edition`` ("screen" or "print") of the report."""
    pub = report.publication
    if edition == "screen":
        return PdfEdition("pdf", "pdf/ua-1", pub.identifier)
    check_profile(report)
    return PdfEdition(edition, "pdf/x-4", f"{pub.identifier}#{edition}", Press.of(pub.press),
                      spread_html(report, env, date))


def with_fallbacks(report: Report, document: str, edition: str,
                   font_cache: Path | None = None) -> str:
    """The document with the fallback fonts its text needs (``editions/fallback.py``),
    in a ``<style>`` at the end of its head; as it was when the bundle draws everything."""
    style = fallback_style(report, document, edition, font_cache)
    return document.replace("</head>", style + "</head>", 1) if style else document


def fallback_style(report: Report, document: str, edition: str,
                   font_cache: Path | None = None) -> str:
    """The ``<style>`` of the fallback fonts ``document`` needs ("" if none): a book laid out
    chapter by chapter gives every chapter the whole book's (``chapters.units``)."""
    from folio.editions.fallback import pdf_style
    from folio.inputs.paths import read_input

    root = report.project.root
    sheets = ["css/print.css", *(["css/print-edition.css"] if edition == "print" else [])]
    return pdf_style(resolve(root, "fonts/fonts.css").parent, document,
                     [read_input(resolve(root, rel)).decode("utf-8") for rel in sheets],
                     report.publication.language, font_cache)


def check_profile(report: Report) -> None:
    """The output intent's ICC profile is a file inside the project (scripts/setup copies it)."""
    from folio.errors import BuildError

    profile = report.publication.press.colour.profile
    root = report.project.root.resolve()
    path = (root / profile).resolve()
    if path.is_relative_to(root / "templates"):  # the project's, else the default theme's
        path = resolve(root, path.relative_to(root / "templates").as_posix())
    if not (path.is_relative_to(root) or path.is_relative_to(THEME)) or not path.is_file():
        raise BuildError(f"print.colour.profile: no ICC profile at '{profile}' inside the project"
                         " (scripts/setup copies Debian's libgs-common default_cmyk.icc to"
                         " templates/icc/ and the default theme's icc/)", "data/publication.yaml")


#: The anchor of the half-title page (templates/pdf/half-title.html), where roman folios start.
HALF_TITLE_ID = "folio-half-title"


#: A page-label range: (first page index, prefix, style[, first number]): style "r" lower
#: roman, "D" arabic, None for the prefix alone, as in a PDF's /PageLabels (/St: 1 if left out).
LabelRange = tuple[int, str | None, str | None] | tuple[int, str | None, str | None, int]


def label_ranges(pages, body_id: str | None) -> list[LabelRange]:
    """Page-label ranges matching the printed folios, or none when the pages are not a book's.

    "Cover" before the half-title, lower-roman from the half-title (i), arabic from the first
    body section (1): the same counters print.css prints.
    """
    def first_page(anchor):
        return next((i for i, page in enumerate(pages) if anchor in page.anchors), None)

    front = first_page(HALF_TITLE_ID)
    body = first_page(body_id) if body_id else None
    if front is None or body is None:
        return []
    ranges: list[LabelRange] = [(0, "Cover", None)] if front > 0 else []
    if front > 1:
        ranges.append((1, "Inside cover", None))
    return [*ranges, (front, None, "r"), (body, None, "D")]


def label_pages(pdf, ranges: list[LabelRange]) -> None:
    """Write the ranges as the PDF's /PageLabels, for viewers' page boxes."""
    if not ranges:
        return
    numbers = []
    for start, prefix, style, *first in ranges:
        entry = pydyf.Dictionary({"P": pydyf.String(prefix)} if prefix else {})
        if style:
            entry["S"] = "/" + style
        if first and first[0] != 1:
            entry["St"] = first[0]
        numbers += [start, entry]
    pdf.catalog["PageLabels"] = pydyf.Dictionary({"Nums": pydyf.Array(numbers)})


def range_labels(ranges: list[LabelRange], count: int) -> tuple[str, ...]:
    """The label of each of ``count`` pages under ``ranges``, as a PDF viewer shows them."""
    labels = []
    for i in range(count):
        start, prefix, style, *first = max((r for r in ranges if r[0] <= i), key=lambda r: r[0])
        number = i - start + (first[0] if first else 1)
        labels.append((prefix or "") + (roman(number) if style == "r" else
                                         str(number) if style == "D" else ""))
    return tuple(labels)


def label_runs(labels: Sequence[str]) -> list[LabelRange]:
    """The fewest page-label ranges that give each page its label in ``labels``: a new range
    where the numbering skips (the screen edition, its blank pages left out, keeps the printed
    folios), changes style, or a page has a name ("Cover")."""
    romans = {roman(n): n for n in range(1, 400)}
    out: list[LabelRange] = []
    previous: tuple | None = None
    for i, label in enumerate(labels):
        kind: tuple = ("D", int(label)) if label.isdigit() else ("r", romans[label]) \
            if label in romans else (label, None)
        if kind[1] is None:
            if previous is None or previous != kind:
                out.append((i, label or None, None, 1))
        elif previous is None or previous[0] != kind[0] or previous[1] is None \
                or previous[1] + 1 != kind[1]:
            out.append((i, None, kind[0], kind[1]))
        previous = kind
    return out


def roman(number: int) -> str:
    """Lower-case roman numerals."""
    out = ""
    for value, letters in ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"),
                           (90, "xc"), (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"),
                           (4, "iv"), (1, "i")):
        while number >= value:
            out, number = out + letters, number - value
    return out


#: The attribute that carries a table's place in the sources ("path:line") to the layout,
#: which refuses a table wider than the page (``layout.wide_tables``).
ORIGIN = "data-folio-origin"
#: Where a Markdown table starts: a pipe table's header (a row, then its |---| rule), a grid
#: table's top rule, a simple table's dashes, or raw HTML's <table>.
_TABLE_START = re.compile(r"^[ ]{0,3}(?:<table\b|\+[-=:+]{3,}\+?\s*$)", re.IGNORECASE)
_PIPE_RULE = re.compile(r"^[ ]{0,3}\|?\s*:?-{1,}:?\s*(?:\|\s*:?-{1,}:?\s*)+\|?\s*$")


def mark_tables(body, section) -> None:
    """Mark each table of a section copy with its file and, in a chapter, the line it starts on."""
    tables = list(body.iter("table"))
    if not tables:
        return
    starts = table_lines(section.spec.text) if section.spec.text is not None else []
    for i, table in enumerate(tables):
        line = starts[i] if len(starts) == len(tables) else None
        table.set(ORIGIN, f"{section.origin}:{line}" if line else section.origin)


def table_lines(text: str) -> list[int]:
    """The line each table of a chapter's Markdown starts on, in order."""
    lines = text.split("\n")
    found = []
    for number, line in enumerate(lines, 1):
        before = lines[number - 2].lstrip() if number > 1 else ""
        if _TABLE_START.match(line) and not before.startswith(("|", "+")):  # a grid's first rule
            found.append(number)
        elif number < len(lines) and "|" in line and _PIPE_RULE.match(lines[number]):
            found.append(number)
    return found


def _notes_to_footnotes(body) -> None:
    """Move each endnote's text to its call, as a span WeasyPrint floats to the page foot."""
    notes = {li.get("id"): li for li in body.iterfind(".//section[@role='doc-endnotes']//li")}
    for ref in list(body.iterfind(".//a[@role='doc-noteref']")):
        li = notes.get(ref.get("href", "")[1:])
        if li is None:
            continue
        note = etree.Element("span", {"class": "footnote", "id": ref.get("id", "")})
        for back in li.iterfind(".//a[@role='doc-backlink']"):
            _drop(back)
        paragraphs = list(li)
        note.text = li.text
        for i, block in enumerate(paragraphs):
            block.tag = "span"
            if i:
                block.text = " " + (block.text or "")
            note.append(block)
        note.tail = ref.tail
        ref.getparent().replace(ref, note)
    for section in list(body.iterfind(".//section[@role='doc-endnotes']")):
        section.getparent().remove(section)


def _drop(el) -> None:
    """Remove an element, keeping its tail text."""
    parent = el.getparent()
    prev = el.getprevious()
    if el.tail:
        if prev is not None:
            prev.tail = (prev.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)
