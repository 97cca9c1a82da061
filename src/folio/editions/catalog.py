"""The four editions, declared once: the build, the incremental plan, ``check`` and
``release`` read their names, files, inputs and tools from here.

Each ``make`` imports its edition's module when it runs: a no-op build reads these
declarations without loading lxml, Jinja, ebooklib or WeasyPrint.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from concurrent.futures import Future
from dataclasses import replace
from typing import ClassVar

from folio.editions.base import Context, Edition, Made
from folio.theme import SHOWN

#: The layout job, named so that the build never imports WeasyPrint: the pool's workers do.
LAY_OUT = "folio.editions.pdf.layout:lay_out"
#: Where, in the build folder, a book's laid-out chapters are kept for the next build.
PDF_CACHE = ".cache/pdf"
#: Packages WeasyPrint lays pages out with (its own, its CSS, fonts and images).
WEASYPRINT = ("weasyprint", "pydyf", "fonttools", "pillow", "tinycss2", "cssselect2", "tinyhtml5",
              "pyphen")
#: Packages the EPUB and the site cut their fonts with (``editions/subsets.py``): HarfBuzz's
#: subsetter, fontTools (WOFF2), and the CSS parser and selector engine that find each face's
#: characters (the site's WOFF2 also takes brotli).
FONTS = ("uharfbuzz", "fonttools", "tinycss2", "cssselect2")
#: Where, in the build folder, the EPUB and the site keep their fonts' subsets for the next build.
FONT_CACHE = ".cache/fonts"
#: The EPUB's fonts, cut in the pool (``editions/fonts.py``).
CUT_FONTS = "folio.editions.fonts:cut_edition_fonts"


def themed(*paths: str) -> tuple[str, ...]:
    """Each ``templates/`` input, and the default theme's file or folder it overrides (which
    the manifest's inputs name ``folio-theme/...``): an edition reads whichever wins."""
    return tuple(q for p in paths for q in (p, f"{SHOWN}/{p.removeprefix('templates/')}"))


class HTML(Edition):
    """The multi-page site, with its search index and, under ``downloads/``, copies of the
    PDF and the EPUB (``editions/html.py``)."""

    name = "html"
    inputs = themed("templates/html/", "templates/css/screen.css")
    offers = ("pdf", "epub")
    tools = ("pagefind-bin", *FONTS, "brotli")

    def path(self, slug: str) -> str:
        return "html"

    def begin(self, ctx: Context) -> tuple[tuple[str, ...], dict[str, bytes]]:
        from folio.editions.html import build_html

        # The pages need only to know which editions the site offers, not their bytes: they
        # are made here, while the pool lays out the PDFs; make() adds the downloads.
        offered = self.offered(ctx)
        links = {name.upper(): ctx.paths[name] for name in offered}
        return offered, build_html(ctx.report, links, ctx.env, font_cache=ctx.out / FONT_CACHE)

    def make(self, ctx: Context, begun: tuple[tuple[str, ...], dict[str, bytes]],
             deps: Mapping[str, Made]) -> Made:
        from folio.editions.html import site_downloads

        offered, files = begun
        copies = {}
        for name in offered:
            data = deps[name].data
            assert isinstance(data, bytes), f"{name} is a file, not a folder"
            copies[ctx.paths[name]] = data
        return Made({**files, **site_downloads(copies)})


class PDF(Edition):
    """The screen PDF, laid out by WeasyPrint in the pool (``editions/pdf/``)."""

    name = "pdf"
    inputs: ClassVar[tuple[str, ...]] = themed("templates/pdf/", "templates/css/print.css")
    # pikepdf finishes both PDFs in the layout job (PDF/UA tags; PDF/X-4 boxes and intent).
    # uharfbuzz cuts the fallback faces a document needs beyond the bundle's (``fallback``).
    tools: ClassVar[tuple[str, ...]] = (*WEASYPRINT, "pikepdf", "uharfbuzz")
    pooled = True
    #: Which document ``pdf_document_html`` makes.
    variant = "screen"

    def path(self, slug: str) -> str:
        return f"{slug}.pdf"

    def begin(self, ctx: Context) -> Future:
        from folio.content.limits import fits_one_document
        from folio.editions.pdf.document import layout_request

        if "pdf-layout" in ctx.shared:
            return ctx.shared["pdf-layout"]
        # One layout for both PDF editions, made by whichever begins first: the print edition
        # is drawn from the screen's layout (``editions/pdf/restyle.py``).
        both = {"pdf", "print"} <= ctx.making
        variant = "both" if both else self.variant
        names = "pdf, print" if both else self.name
        # The EPUB's cover is page 1 of the screen PDF: made in the same worker, if needed.
        cover = "epub" in ctx.making and variant != "print"
        # The print made only for the EPUB's page list: its pages, not its PDF, repaint and
        # cover spread, which no one reads.
        print_pages_only = both and not ctx.writes("print")
        if not fits_one_document(ctx.report):
            from folio.pipeline.workers import background

            if both:  # the pages the EPUB reads, known before the PDFs are combined
                ctx.shared["pdf-pages"] = Future()
            ctx.say(f"{names}: laying out pages, chapter by chapter")
            begun = background(self._book, ctx, variant, cover, print_pages_only,
                               name="folio-pdf-book")
        else:
            request = layout_request(ctx.report, ctx.env, ctx.date, variant, cover=cover,
                                     font_cache=ctx.out / FONT_CACHE)
            if request.printing is not None and print_pages_only:
                request = replace(request, printing=replace(request.printing, pages_only=True))
            ctx.say(f"{names}: laying out pages")
            begun = ctx.pool.submit(LAY_OUT, request)
        ctx.shared["pdf-layout"] = begun
        return begun

    def make(self, ctx: Context, begun: Future, deps: Mapping[str, Made]) -> Made:
        layout = self._own(begun.result())
        return Made(layout.data, pages=layout.pages, value=layout)

    def _own(self, layout):
        """This edition's layout, of a job that may have made both."""
        if self.variant == "print" and layout.printed is not None:
            return layout.printed
        return layout

    def _book(self, ctx: Context, variant: str, cover: bool, print_pages_only: bool):
        """A book too large for one document, laid out chapter by chapter in the pool, each
        chapter's pages cached (``editions/pdf/book.py``), and combined in the pool: the
        ``variant`` "screen", "print" or "both" (``print_pages_only``: see ``begin``)."""
        from folio.editions.pdf.book import LayoutCache, lay_out_book
        from folio.pipeline.workers import once

        cache = LayoutCache(ctx.out / PDF_CACHE, ctx.report)
        pages: Future | None = ctx.shared.get("pdf-pages")

        def paged(cover: bytes | None, printed) -> None:
            assert pages is not None
            pages.set_result((cover, printed))

        # The combination holds every page: in a process of its own, not a worker that keeps
        # the memory for the rest of the build.
        try:
            return lay_out_book(ctx.report, ctx.env, ctx.date, variant, ctx.pool.submit, cover,
                                cache, ctx.say, parallel=True, combine_in=once,
                                font_cache=ctx.out / FONT_CACHE,
                                print_pages_only=print_pages_only,
                                paged=paged if pages is not None else None)
        except BaseException as exc:
            if pages is not None and not pages.done():
                pages.set_exception(exc)  # the EPUB waiting on them fails with it
            raise


class Print(PDF):
    """The printer's PDF/X-4: the screen PDF's document with bleed and crop marks, from the
    print profile (``print:`` in data/publication.yaml), and its cover spread, a second file
    sized from the interior's page count."""

    name = "print"
    inputs = (*PDF.inputs, *themed("templates/css/print-edition.css", "templates/css/spread.css",
                                   "templates/pdf/spread.html", "templates/icc/"))
    tools = (*PDF.tools, "python-barcode")
    variant = "print"

    def path(self, slug: str) -> str:
        return f"{slug}-print.pdf"

    def files(self, slug: str) -> tuple[str, ...]:
        return (self.path(slug), cover_path(slug))

    def make(self, ctx: Context, begun: Future, deps: Mapping[str, Made]) -> Made:
        layout = self._own(begun.result())
        spread = Made(layout.spread, pages=1)
        return Made(layout.data, pages=layout.pages, value=layout,
                    also={cover_path(ctx.report.publication.slug): spread})


def cover_path(slug: str) -> str:
    """Where the print edition's cover spread is written, beside its interior."""
    return f"{slug}-print-cover.pdf"


class EPUB(Edition):
    """The EPUB 3 (``editions/epub/``): its cover is page 1 of the screen PDF, its page list
    follows the print edition's pages (pageBreakSource: the printed book, recto openings and
    all; the screen PDF is the same pages less the blank ones)."""

    name = "epub"
    inputs = themed("templates/epub/", "templates/css/epub.css")
    needs = ("pdf", "print")
    tools = ("ebooklib", "pypdfium2", *FONTS)
    preload = ("folio.editions.epub.package",)

    def path(self, slug: str) -> str:
        return f"{slug}.epub"

    def begin(self, ctx: Context) -> Future:
        from folio.editions.epub.package import font_request

        # The EPUB carries font subsets, cut from its own text (no whole font to deflate
        # ahead): in the pool, queued after the PDFs' layouts, so that a worker cuts them
        # while this process makes the site, instead of this process after the PDFs.
        fonts = ctx.pool.submit(CUT_FONTS, *font_request(ctx.report, ctx.env,
                                                         ctx.out / FONT_CACHE))
        pages: Future | None = ctx.shared.get("pdf-pages")
        if pages is None:
            return fonts
        from folio.pipeline.workers import background

        def early() -> bytes:
            cover, printed = pages.result()
            ctx.begun.wait()  # not beside the site's pages
            return self._epub(ctx, cover, printed, fonts)

        # A book's pages are known before its PDFs are combined (seconds): made meanwhile.
        return background(early, name="folio-epub")

    def make(self, ctx: Context, begun: Future, deps: Mapping[str, Made]) -> Made:
        if "pdf-pages" in ctx.shared:
            return Made(begun.result())
        return Made(self._epub(ctx, deps["pdf"].value.cover, deps["print"].value, begun))

    def _epub(self, ctx: Context, cover: bytes | None, printed, fonts: Future) -> bytes:
        """The EPUB, its cover and page list from the PDFs' pages."""
        from folio.editions.epub.package import build_epub
        from folio.editions.pagelist import page_breaks

        assert cover is not None  # the PDF makes the cover when the EPUB is made
        pages = page_breaks(ctx.report.sections, printed.anchors, printed.labels, printed.first_lines)
        return build_epub(ctx.report, cover, pages, ctx.env, ctx.date,
                          font_cache=ctx.out / FONT_CACHE, fonts=fonts.result())


#: Every edition, by name, in the order the command line lists them.
EDITIONS: dict[str, Edition] = {e.name: e for e in (HTML(), EPUB(), PDF(), Print())}
NAMES = tuple(EDITIONS)


def in_order(names: Iterable[str]) -> list[Edition]:
    """The editions named and those they need, each after what it needs and after the
    editions it offers that are among them (the site after the PDF and EPUB it carries)."""
    names = tuple(names)
    among = {edition.name for edition in _ordered(names, frozenset())}
    return _ordered(names, frozenset(among))


def _ordered(names: tuple[str, ...], among: frozenset[str]) -> list[Edition]:
    """``names`` and their needs, each after its needs and its offers found in ``among``."""
    ordered: list[Edition] = []

    def visit(name: str) -> None:
        edition = EDITIONS[name]
        if edition not in ordered:
            for first in (*edition.needs, *(o for o in edition.offers if o in among)):
                visit(first)
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


def files(slug: str) -> dict[str, tuple[str, ...]]:
    """Every file (or folder, for the HTML) of each edition in the build folder, by name:
    its path first, then any others (the print edition's cover spread)."""
    return {name: edition.files(slug) for name, edition in EDITIONS.items()}
