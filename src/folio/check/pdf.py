"""PDF structure, read with pypdf: tagged, /Lang, title shown, bookmarks, fonts embedded,
text extractable in reading order; and the structure tree as PDF/UA-1 asks (``pdfua``, pikepdf):
no content outside the tree that is not an artifact, footnotes /Note, the contents TOC, one
dc:creator per author."""

from __future__ import annotations

from folio.editions.pagelist import squash

from .model import Editions, Finding, Result, Tools
from .pdfua import tagging

NAME = "PDF structure"


def run(editions: Editions, tools: Tools) -> Result:
    """Read each PDF edition's catalogue, fonts and text (the print edition's too, if built)."""
    if failure := editions.missing(editions.pdf):
        return Result(NAME, failure=failure)
    import pypdf

    findings, pages = [], 0
    for path in editions.pdfs():
        reader = pypdf.PdfReader(path)
        problems = structure(reader) + fonts(reader) + reading_order(reader) + tagging(path)
        findings += [Finding(editions.rel(path), where, rule, message)
                     for where, rule, message in problems]
        pages += len(reader.pages)
    return Result(NAME, f"pypdf {pypdf.__version__}", tuple(findings), checked=pages)


def structure(reader) -> list[tuple[str, str, str]]:
    """Tagged PDF, language, displayed title, bookmarks."""
    root = reader.trailer["/Root"]
    out = []
    mark = root.get("/MarkInfo")
    if root.get("/StructTreeRoot") is None or not (mark and mark.get_object().get("/Marked")):
        out.append(("catalog", "tagged", "not a tagged PDF (/MarkInfo /Marked, /StructTreeRoot)"))
    if not str(root.get("/Lang") or "").strip():
        out.append(("catalog", "lang", "no document language (/Lang)"))
    prefs = root.get("/ViewerPreferences")
    if not (prefs and prefs.get_object().get("/DisplayDocTitle")):
        out.append(("catalog", "display-doc-title", "the title is not displayed"
                    " (/ViewerPreferences /DisplayDocTitle)"))
    if not (reader.metadata and (reader.metadata.title or "").strip()):
        out.append(("info", "title", "no document title"))
    if not reader.outline:
        out.append(("catalog", "bookmarks", "no bookmarks (/Outlines)"))
    return out


def fonts(reader) -> list[tuple[str, str, str]]:
    """Every font of every page (and its form XObjects) embedded."""
    out, seen = [], set()
    for number, page in enumerate(reader.pages, 1):
        for font in _fonts(page.get("/Resources")):
            name = str(font.get("/BaseFont", font.get("/Name", "?")))
            if name not in seen and not _embedded(font):
                seen.add(name)
                out.append((f"page {number}", "font-embedded", f"font {name} is not embedded"))
    return out


def _fonts(resources):
    resources = resources.get_object() if resources is not None else {}
    for ref in (resources.get("/Font") or {}).values():
        yield ref.get_object()
    for ref in (resources.get("/XObject") or {}).values():
        xobject = ref.get_object()
        if xobject.get("/Subtype") == "/Form":
            yield from _fonts(xobject.get("/Resources"))


def _embedded(font) -> bool:
    if font.get("/Subtype") == "/Type3":
        return True  # its glyphs are drawn by the PDF itself
    for descendant in font.get("/DescendantFonts") or ():
        font = descendant.get_object()
    descriptor = font.get("/FontDescriptor")
    descriptor = descriptor.get_object() if descriptor is not None else {}
    return any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))


def reading_order(reader) -> list[tuple[str, str, str]]:
    """Each bookmark's title is extractable text on its page, the bookmarks in page order."""
    out, last = [], 0
    texts: dict[int, str] = {}
    for _, title, page in bookmarks(reader):
        if page < last:
            out.append((f"page {page + 1}", "reading-order",
                        f"bookmark '{title}' comes before the page of the one above it"))
        last = max(last, page)
        if page not in texts:
            texts[page] = squash(reader.pages[page].extract_text() or "")
        if squash(title) not in texts[page]:
            out.append((f"page {page + 1}", "text-extractable",
                        f"the heading '{title}' cannot be extracted from its page"))
    if not any(squash(page.extract_text() or "") for page in reader.pages[:3]):
        out.append(("page 1", "text-extractable", "no text can be extracted"))
    return out


def bookmarks(reader) -> list[tuple[int, str, int]]:
    """(depth from 1, title, page index) of every bookmark of a pypdf reader, in order."""
    def walk(items, depth):
        for item in items:
            if isinstance(item, list):
                yield from walk(item, depth + 1)
            else:
                yield depth, item.title, reader.get_destination_page_number(item)
    return list(walk(reader.outline, 1))
