"""Size limits: a report too large to build in bounded memory fails at once, clearly.

Measured on the tiny report grown by one chapter (``/usr/bin/time -v python -m folio``;
peak resident memory of the largest process):

- pandoc needs about 100 MB per MB of Markdown (a 5 MB chapter: 514 MB), so a
  chapter may hold at most :data:`MAX_CHAPTER_BYTES`;
- WeasyPrint needs about 33 KB per element once a document passes a few
  thousand: a full build (HTML, EPUB, both PDFs) of a report with a 1,700-row
  table (7,300 elements) peaks at 350 MB, with 2,300 rows (9,700) at 430 MB, and
  10,000 rows would take over 800 MB; so the PDF edition takes at most
  :data:`MAX_PDF_ELEMENTS`. Running text is cheap (a 1 MB chapter: 1,600 elements).

Each case measured at these limits stayed under 400 MB (tests/test_hostile_large.py
checks the two of issue 7 on every run). The HTML edition has no element
limit: a 10,000-row table builds it in under 200 MB. (The EPUB's page list follows
the PDF's layout, so the EPUB is bound by the PDF's limit.)
"""

from __future__ import annotations

from folio.errors import BuildError, Problems

#: The largest chapter pandoc converts (bytes of Markdown).
MAX_CHAPTER_BYTES = 1_000_000
#: The most HTML elements the PDF edition lays out.
MAX_PDF_ELEMENTS = 7_500


def check_chapters(specs) -> None:
    """Refuse every chapter larger than :data:`MAX_CHAPTER_BYTES`, before pandoc runs."""
    problems = Problems()
    for spec in specs:
        size = len(spec.text.encode("utf-8")) if spec.text is not None else 0
        if size > MAX_CHAPTER_BYTES:
            problems.add(f"the chapter is {_mb(size)}; a chapter may hold at most"
                         f" {_mb(MAX_CHAPTER_BYTES)}: split it into several", spec.source)
    problems.raise_if_any()


#: The most HTML elements one unit of a book's PDF holds (a chapter, or the front matter),
#: laid out as its own document (``editions.pdf.chapters``): the same measured bound.
MAX_UNIT_ELEMENTS = MAX_PDF_ELEMENTS


def fits_one_document(report) -> bool:
    """True when the PDF can be laid out as one WeasyPrint document in bounded memory; else it
    is laid out chapter by chapter (``editions.pdf.book``), each within :func:`check_unit`."""
    return sum(1 for section in report.sections for _ in section.body.iter()) <= MAX_PDF_ELEMENTS


def check_unit(name: str, sections) -> None:
    """Refuse a chapter (or front matter) of a book whose layout would need more than
    :data:`MAX_UNIT_ELEMENTS` elements, naming it."""
    size = sum(1 for section in sections for _ in section.body.iter())
    if size > MAX_UNIT_ELEMENTS:
        where = "the front matter" if name == "front" else "this chapter"
        raise BuildError(f"too large for the PDF edition: {where} has {size:,} HTML elements; the"
                         f" PDF lays out each chapter on its own, in at most {MAX_UNIT_ELEMENTS:,}:"
                         " split it into several chapters or its long tables, or build only the"
                         " html edition",
                         sections[0].origin if sections else None)


def check_pdf(report) -> None:
    """Refuse a report whose PDF would need more than :data:`MAX_PDF_ELEMENTS` elements,
    naming the largest section."""
    sizes = [(sum(1 for _ in section.body.iter()), section.origin) for section in report.sections]
    total = sum(n for n, _ in sizes)
    if total > MAX_PDF_ELEMENTS:
        largest, origin = max(sizes)
        raise BuildError(f"too large for the PDF edition: {total:,} HTML elements in the report"
                         f" ({largest:,} here), at most {MAX_PDF_ELEMENTS:,}; split long tables,"
                         " or build only the html edition", origin)


def _mb(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"
