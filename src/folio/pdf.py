"""The PDF edition, printed by WeasyPrint from the same section trees plus print CSS.

The whole report is one HTML document: internal links stay ``#id``, notes
become ``float: footnote`` spans, and the table of contents takes its page
numbers from ``target-counter``. WeasyPrint may only read files inside the
project; any warning it logs is an error, so nothing is silently dropped.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

import weasyprint
from lxml import etree
from markupsafe import Markup
from weasyprint.urls import URLFetcher, URLFetcherResponse

from .document import Report
from .edition import creators, inner_html, media_type, retarget, source_date
from .errors import BuildError, Problem
from .pagelist import first_lines, number_blocks, printed_labels
from .render import make_environment, render


#: The project's address as WeasyPrint sees it, wherever the folder is: WeasyPrint names
#: each image in the PDF after a hash of its URL, so a real path would change the bytes.
BASE_URL = "file:///project/"
#: Tagged PDF (structure tree, /Lang, DisplayDocTitle) that claims PDF/UA-1.
PDF_OPTIONS = {"pdf_variant": "pdf/ua-1"}


@dataclass(frozen=True)
class PrintLayout:
    """The laid-out PDF: its bytes, and what the EPUB's page list needs of its pages."""

    data: bytes
    anchors: tuple[tuple[str, ...], ...]
    """Per page, the ids of the elements WeasyPrint placed on it."""
    labels: tuple[str, ...]
    """Per page, its printed page number."""
    first_lines: tuple[tuple[str | None, str], ...] = ()
    """Per page, the id of the element around its first line, and the line's words."""

    @property
    def pages(self) -> int:
        return len(self.labels)


class ProjectFetcher(URLFetcher):
    """Serves files inside the project folder and refuses everything else (no network)."""

    def __init__(self, root: Path):
        super().__init__(fail_on_errors=True)
        self.root = root.resolve()

    def fetch(self, url, headers=None):
        parsed = urlparse(url)
        base = urlparse(BASE_URL).path
        if parsed.scheme != "file" or not unquote(parsed.path).startswith(base):
            raise ValueError(f"refused: {url} (only files inside the project are read)")
        path = (self.root / unquote(parsed.path)[len(base):]).resolve()
        if not path.is_relative_to(self.root) or not path.is_file():
            raise ValueError(f"refused: {url} (not a file inside the project)")
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": media_type(path.name)})


def pdf_document_html(report: Report) -> str:
    """The single HTML document WeasyPrint prints."""
    pub = report.publication
    env = make_environment(report.project.root / "templates")
    bodies = []
    for section in report.sections:
        body = retarget(report, section, lambda s: None, lambda src: src)
        number_blocks(body, section.id)  # ids mark where each page starts, for the EPUB
        _notes_to_footnotes(body)
        for h1 in body.iter("h1"):
            h1.set("data-running-title", pub.title)
        bodies.append({"section": section, "body": Markup(inner_html(body))})
    authors, _ = creators(report)
    return render(env, "pdf/document.html", {
        "pub": pub, "sections": bodies, "authors": [name for name, _ in authors],
        "created": pub.date.isoformat(), "modified": source_date(report).strftime("%Y-%m-%dT%H:%M:%SZ"),
    })


def build_pdf(report: Report) -> tuple[bytes, int]:
    """The PDF of the report, as bytes, and its number of pages."""
    layout = print_layout(report)
    return layout.data, layout.pages


def print_layout(report: Report) -> PrintLayout:
    """Lay out and write the PDF; keep each page's anchors and printed number."""
    document = pdf_document_html(report)
    root = report.project.root
    warnings = _Capture()
    logger = weasyprint.LOGGER
    logger.addHandler(warnings)
    try:
        html = weasyprint.HTML(string=document, base_url=BASE_URL,
                               url_fetcher=ProjectFetcher(root))
        # A fixed file identifier, derived from the publication's: the same on every build.
        identifier = hashlib.md5(report.publication.identifier.encode("utf-8")).hexdigest()
        document = html.render(**PDF_OPTIONS)
        data = document.write_pdf(pdf_identifier=identifier.encode("ascii"), **PDF_OPTIONS)
    except weasyprint.urls.FatalURLFetchingError as exc:
        raise BuildError(f"PDF: {exc.__cause__ or exc}", "templates/pdf/document.html") from None
    finally:
        logger.removeHandler(warnings)
    if warnings.records:
        raise BuildError([Problem(f"PDF: {message}", "templates/pdf/document.html")
                          for message in warnings.records])
    return PrintLayout(data, tuple(tuple(page.anchors) for page in document.pages),
                       printed_labels(document.pages, data), first_lines(document.pages))


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


class _Capture(logging.Handler):
    """Collects WeasyPrint's warnings and errors."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.records: list[str] = []

    def emit(self, record):
        self.records.append(record.getMessage())
