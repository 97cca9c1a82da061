"""The four editions, declared once: the build, the incremental plan, ``check`` and
``release`` read their names, files, inputs and tools from here.

Each ``make`` imports its edition's module when it runs: a no-op build reads these
declarations without loading lxml, Jinja, ebooklib or WeasyPrint.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from concurrent.futures import Future
from typing import Any, ClassVar

from folio.editions.base import Context, Edition, Made

#: The layout job, named so that the build never imports WeasyPrint: the pool's workers do.
LAY_OUT = "folio.editions.pdf.layout:lay_out"
#: The combination of a book's chapters (pikepdf), in the pool too: it holds every page.
COMBINE = "folio.editions.pdf.combine:combine"
#: Packages WeasyPrint lays pages out with (its own, its CSS, fonts and images).
WEASYPRINT = ("weasyprint", "pydyf", "fonttools", "pillow", "tinycss2", "cssselect2", "tinyhtml5",
              "pyphen")


class HTML(Edition):
    """The multi-page site, with its search index (``editions/html.py``)."""

    name = "html"
    inputs = ("templates/html/", "templates/css/screen.css")
    tools = ("pagefind", "pagefind-bin")

    def path(self, slug: str) -> str:
        return "html"

    def make(self, ctx: Context, begun: Any, deps: Mapping[str, Made]) -> Made:
        from folio.editions.html import build_html

        links = {"PDF": f"../{ctx.paths['pdf']}", "EPUB": f"../{ctx.paths['epub']}"}
        return Made(build_html(ctx.report, links, ctx.env))


class PDF(Edition):
    """The screen PDF, laid out by WeasyPrint in the pool (``editions/pdf/``)."""

    name = "pdf"
    inputs: ClassVar[tuple[str, ...]] = ("templates/pdf/", "templates/css/print.css")
    tools = WEASYPRINT
    pooled = True
    #: Which document ``pdf_document_html`` makes.
    variant = "screen"

    def path(self, slug: str) -> str:
        return f"{slug}.pdf"

    def begin(self, ctx: Context) -> Future:
        from folio.content.limits import fits_one_document
        from folio.editions.pdf.document import layout_request

        # The EPUB's cover is page 1 of the screen PDF: made in the same worker, if needed.
        cover = self.variant == "screen" and "epub" in ctx.making
        if not fits_one_document(ctx.report):
            from folio.pipeline.workers import background

            ctx.say(f"{self.name}: laying out pages, chapter by chapter")
            return background(self._book, ctx, cover, name=f"folio-{self.name}-book")
        request = layout_request(ctx.report, ctx.env, ctx.date, self.variant, cover=cover)
        ctx.say(f"{self.name}: laying out pages")
        return ctx.pool.submit(LAY_OUT, request)

    def make(self, ctx: Context, begun: Future, deps: Mapping[str, Made]) -> Made:
        layout = begun.result()
        return Made(layout.data, pages=layout.pages, value=layout)

    def _book(self, ctx: Context, cover: bool):
        """A book too large for one document, laid out chapter by chapter in the pool, each
        chapter's pages cached (``editions/pdf/book.py``), and combined in the pool."""
        from folio.editions.pdf.book import LayoutCache, lay_out_book

        cache = LayoutCache(ctx.cache / "pdf", ctx.report) if ctx.cache else None
        return lay_out_book(ctx.report, ctx.env, ctx.date, self.variant,
                            lambda request: ctx.pool.submit(LAY_OUT, request).result(), cover,
                            cache, lambda *args: ctx.pool.submit(COMBINE, *args).result(), ctx.say,
                            submit=ctx.pool.submit)


class Print(PDF):
    """The printer's PDF: the screen PDF's document with bleed and crop marks."""

    name = "print"
    inputs = (*PDF.inputs, "templates/css/print-edition.css")
    variant = "print"

    def path(self, slug: str) -> str:
        return f"{slug}-print.pdf"


class EPUB(Edition):
    """The EPUB 3, its page list and cover taken from the screen PDF (``editions/epub/``)."""

    name = "epub"
    inputs = ("templates/epub/", "templates/css/epub.css")
    needs = ("pdf",)
    tools = ("ebooklib", "pypdfium2")
    preload = ("folio.editions.epub.package",)

    def path(self, slug: str) -> str:
        return f"{slug}.epub"

    def begin(self, ctx: Context) -> Future:
        from folio.editions.html import font_files
        from folio.pipeline.output import precompress

        # The fonts are nine tenths of the EPUB's compression: deflated while the PDF is laid out.
        return precompress(font_files(ctx.report.project.root).values())

    def make(self, ctx: Context, begun: Future, deps: Mapping[str, Made]) -> Made:
        from folio.editions.epub.package import build_epub
        from folio.editions.pagelist import page_breaks

        layout = deps["pdf"].value
        pages = page_breaks(ctx.report.sections, layout.anchors, layout.labels, layout.first_lines)
        return Made(build_epub(ctx.report, layout.cover, pages, ctx.env, ctx.date, begun.result()))


#: Every edition, by name, in the order the command line lists them.
EDITIONS: dict[str, Edition] = {e.name: e for e in (HTML(), EPUB(), PDF(), Print())}
NAMES = tuple(EDITIONS)


def in_order(names: Iterable[str]) -> list[Edition]:
    """The editions named and those they need, each after what it needs."""
    ordered: list[Edition] = []

    def visit(name: str) -> None:
        edition = EDITIONS[name]
        if edition not in ordered:
            for need in edition.needs:
                visit(need)
            ordered.append(edition)

    for name in names:
        visit(name)
    return ordered


def reads(name: str) -> tuple[str, ...]:
    """The inputs one edition reads of those the editions declare: its own and its needs'."""
    return tuple(dict.fromkeys(p for e in in_order([name]) for p in e.inputs))


def uses(name: str) -> tuple[str, ...]:
    """The tools one edition uses beyond the shared ones: its own and its needs'."""
    return tuple(dict.fromkeys(t for e in in_order([name]) for t in e.tools))


def all_tools() -> tuple[str, ...]:
    """Every edition's own tools, for the manifest."""
    return tuple(dict.fromkeys(t for e in EDITIONS.values() for t in e.tools))


def paths(slug: str) -> dict[str, str]:
    """Where each edition is written in the build folder, by name."""
    return {name: edition.path(slug) for name, edition in EDITIONS.items()}
