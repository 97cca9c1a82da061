"""Finishing: what WeasyPrint's PDFs lack, added by pikepdf, deterministically, bytes -> bytes.

A pure function of the PDF's bytes and plain values, so that it works as well on one
PDF as on PDFs merged from chapters: :func:`finish_pdf` opens the PDF once, applies the
screen edition's PDF/UA repairs (:mod:`folio.editions.pdf.tagging`) or the print
edition's press steps (:mod:`folio.editions.pdf.press`), and saves it with an /ID
derived from its content (qpdf's deterministic_id), so the same input gives the same bytes.
"""

from __future__ import annotations

import io

from folio.editions.pdf.press import Press, finish_print


def finish_pdf(data: bytes, identifier: str, press: Press | None = None, pad: bool = True) -> bytes:
    """The finished PDF: for print (``press`` given) padded, marked and PDF/X-named; for the
    screen, its running heads and folios made artifacts, its notes /Note, its contents TOC."""
    import pikepdf

    with pikepdf.open(io.BytesIO(data)) as pdf:
        finish_open(pdf, identifier, press, pad)
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True, compress_streams=True,
                 object_stream_mode=pikepdf.ObjectStreamMode.preserve)
    return out.getvalue()


def finish_open(pdf, identifier: str, press: Press | None = None, pad: bool = True,
                pages_done: bool = False) -> None:
    """:func:`finish_pdf`'s steps on an open pikepdf.Pdf, in place (a book's combined PDF is
    finished before it is first saved: ``combine.combine``); ``pages_done``: its pages'
    own steps were done, unit by unit (:func:`finish_pages`)."""
    if press is not None:
        finish_print(pdf, press, identifier, pad=pad, convert=not pages_done)
    elif not pages_done:
        from folio.editions.pdf.tagging import finish_tags
        finish_tags(pdf)
    plain_bookmarks(pdf)


def finish_pages(data: bytes, printed: bool, unit: str = "") -> bytes:
    """The steps of :func:`finish_pdf` that rewrite each page's content (the screen's tags
    repaired, the print's RGB converted to CMYK) on one unit of a book, in the process that
    laid it out: each step depends only on the unit's own pages, and the process that
    combines the units then never parses a content stream (their parsed instructions held
    most of its memory). The screen's structure /IDs are prefixed with the ``unit``'s name
    and listed (``tagging.name_ids``)."""
    import pikepdf

    with pikepdf.open(io.BytesIO(data)) as pdf:
        if printed:
            from folio.editions.pdf.colour import to_press_cmyk
            to_press_cmyk(pdf)
        else:
            from folio.editions.pdf.tagging import finish_tags, name_ids
            finish_tags(pdf)
            name_ids(pdf, f"{unit}-")
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True, compress_streams=True,
                 object_stream_mode=pikepdf.ObjectStreamMode.preserve)
    return out.getvalue()


def page_count(data: bytes) -> int:
    """The number of pages of a PDF."""
    import pikepdf

    with pikepdf.open(io.BytesIO(data)) as pdf:
        return len(pdf.pages)


def plain_bookmarks(pdf) -> None:
    """Bookmark titles with plain spaces: the ties typeset.py puts in headings are for the page."""
    with pdf.open_outline() as outline:
        stack = list(outline.root)
        while stack:
            item = stack.pop()
            if "\u00a0" in item.title:
                item.title = item.title.replace("\u00a0", " ")
            stack.extend(item.children)
