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

A chapter's lines are limited too, before pandoc runs (:func:`check_chapters`): one
line of 215 KB (a paragraph of 40,000 words) takes the EPUB edition two minutes to
build, since its page list walks the paragraph's laid-out lines (a 1 MB line did not
finish in 15 minutes), so a line may hold at most :data:`MAX_LINE_CHARS` characters;
and block quotes nested 1,000 deep outrun lxml's parser, which drops what lies below
256 levels without a word, so nesting is at most :data:`MAX_NESTING` (block quotes,
and the parsed tree's depth, :data:`MAX_DEPTH`, for raw HTML).

Each case measured at these limits stayed under 400 MB (tests/test_hostile_large.py
checks the two of issue 7 on every run). The HTML edition has no element
limit: a 10,000-row table builds it in under 200 MB. (The EPUB's page list follows
the PDF's layout, so the EPUB is bound by the PDF's limit.)
"""

from __future__ import annotations

import re

from folio.errors import BuildError, Problems

#: The largest chapter pandoc converts (bytes of Markdown).
MAX_CHAPTER_BYTES = 1_000_000
#: The longest line of a chapter (a long real paragraph, 1,500 words, is about 10,000).
MAX_LINE_CHARS = 20_000
#: The deepest block quotes (``> > >``) a chapter may nest.
MAX_NESTING = 20
#: The deepest a section's parsed HTML may nest (pandoc's deepest real output is about 12).
MAX_DEPTH = 100
_QUOTES = re.compile(r"(?:[ \t]{0,3}>)+")
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
        elif spec.text is not None:
            _check_lines(spec.text, spec.source, problems)
    problems.raise_if_any()


def _check_lines(text: str, origin: str, problems: Problems) -> None:
    """One problem for the first line too long, and one for the first nested too deeply."""
    long = deep = False
    for number, line in enumerate(text.split("\n"), 1):
        if not long and len(line) > MAX_LINE_CHARS:
            long = True
            problems.add(f"this line is {len(line):,} characters long; a line may hold at most"
                         f" {MAX_LINE_CHARS:,}: break the paragraph into several", origin, number)
        quotes = _QUOTES.match(line)
        depth = quotes.group().count(">") if quotes else 0
        if not deep and depth > MAX_NESTING:
            deep = True
            problems.add(f"block quotes nested {depth} deep; at most {MAX_NESTING}", origin, number)
        if long and deep:
            return


def check_depth(body, origin: str) -> None:
    """Refuse a section whose HTML nests deeper than :data:`MAX_DEPTH` (raw HTML can)."""
    stack = [(body, 1)]
    while stack:
        el, depth = stack.pop()
        if depth > MAX_DEPTH:
            # (el.sourceline counts lines of pandoc's output, not of the chapter)
            raise BuildError(f"HTML elements nested more than {MAX_DEPTH} deep", origin)
        stack.extend((child, depth + 1) for child in el)


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
