"""The EPUB 3 edition, assembled with ebooklib from the same section trees as the HTML.

ebooklib writes the package document, the nav document and the NCX; we then
re-pack its zip ourselves so that entry times, order and attributes are fixed
(ebooklib stamps entries with the wall clock).
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Sequence
from pathlib import Path

import jinja2
from ebooklib import epub
from lxml import etree
from markupsafe import Markup

from folio.content.gather import Report, Section
from folio.content.media import media_type
from folio.content.names import section_file
from folio.content.render import render
from folio.editions.common import (
    creators,
    drop_print_styles,
    inner_xhtml,
    outline,
    retarget,
    separate_subtitle,
    sort_names,
)
from folio.editions.epub.a11y import accessibility_metadata, page_break_source
from folio.editions.epub.ncx import complete_ncx
from folio.editions.epub.notes import APPLE_OPTIONS, APPLE_OPTIONS_PATH, pop_up_notes
from folio.editions.fonts import edition_fonts
from folio.editions.pagelist import PageBreak, insert_markers, page_list_nav
from folio.inputs.paths import read_input
from folio.pipeline.output import zip_bytes
from folio.theme import resolve

#: DPUB-ARIA roles for the EPUB structural semantics we know; others get none.
ROLES = {
    "chapter": "doc-chapter", "preface": "doc-preface", "appendix": "doc-appendix",
    "bibliography": "doc-bibliography", "colophon": "doc-colophon", "foreword": "doc-foreword",
    "acknowledgments": "doc-acknowledgments", "introduction": "doc-introduction",
    "conclusion": "doc-conclusion", "epilogue": "doc-epilogue", "prologue": "doc-prologue",
    "glossary": "doc-glossary", "index": "doc-index", "toc": "doc-toc", "part": "doc-part",
}
#: Landmarks listed in the nav document, by section type.
LANDMARKS = ("titlepage", "toc", "bibliography")


class XhtmlDocument(epub.EpubItem):
    """A content document kept byte for byte (ebooklib's EpubHtml re-parses and rewrites)."""

    def __init__(self, uid: str, file_name: str, content: bytes, properties=()):
        super().__init__(uid=uid, file_name=file_name, media_type="application/xhtml+xml",
                         content=content)
        self.properties = list(properties)

    def is_chapter(self) -> bool:
        return True


class _Writer(epub.EpubWriter):
    """ebooklib's writer plus what it cannot write: the package's xml:lang, our page list
    (in the nav and the NCX), the NCX's depth."""

    def __init__(self, name, book, options, page_list=None, pages=(), file_of=None):
        super().__init__(name, book, options)
        self.page_list = page_list
        self.pages, self.file_of = list(pages), file_of

    def _get_ncx(self):
        return complete_ncx(super()._get_ncx(), self.pages, self.file_of)

    def _write_opf_file(self, root):
        root.set("{http://www.w3.org/XML/1998/namespace}lang", self.book.language)
        super()._write_opf_file(root)

    def _get_nav(self, item):
        nav = super()._get_nav(item)
        if self.page_list is None:
            return nav
        tree = etree.fromstring(nav)
        tree.find("{http://www.w3.org/1999/xhtml}body").append(self.page_list)
        return etree.tostring(tree, pretty_print=True, encoding="utf-8", xml_declaration=True)


def documents(report: Report, env: jinja2.Environment,
              pages: Sequence[PageBreak] = ()) -> list[tuple[Section, bytes]]:
    """Each section's XHTML document, with the page-break markers of ``pages``."""
    contents: list[tuple[Section, bytes]] = []
    for section in report.sections:
        body = retarget(report, section, _file_of, lambda src: src)
        drop_print_styles(body)
        separate_subtitle(body)
        insert_markers(body, section.id, pages)
        pop_up_notes(body)
        xhtml = render(env, "epub/page.xhtml", {
            "pub": report.publication, "section": section, "stylesheets": STYLESHEETS,
            "role": ROLES.get(section.type), "body": Markup(inner_xhtml(body)),
        })
        contents.append((section, xhtml.encode("utf-8")))
    return contents


def font_request(report: Report, env: jinja2.Environment,
                 font_cache: Path | None = None) -> tuple:
    """What :func:`folio.editions.fonts.cut_edition_fonts` needs to cut the EPUB's fonts, as
    plain values (a job for the pool, while the PDFs are laid out). The documents are those
    without page-break markers: empty elements, they change no face's characters."""
    root = report.project.root
    return (resolve(root, "fonts/fonts.css").parent, [data for _, data in documents(report, env)],
            read_input(resolve(root, "css/epub.css")).decode("utf-8"), font_cache,
            report.publication.language)


def _file_of(section) -> str:
    return section_file(section.id, ".xhtml")


#: The EPUB's stylesheets, in the order its documents link them.
STYLESHEETS = ["fonts/fonts.css", "epub.css"]


def build_epub(report: Report, cover: bytes, pages: list[PageBreak], env: jinja2.Environment,
               date: dt.datetime, font_cache: Path | None = None,
               fonts: dict[str, bytes] | None = None) -> bytes:
    """The EPUB 3 file of the report, as bytes, rendered with the build's ``env``.

    ``cover`` is the cover image (PNG, see :func:`folio.editions.pdf.cover.cover_png`); ``pages``
    marks the print edition's pages; ``date`` is the build's; ``font_cache`` keeps the fonts'
    subsets (see ``edition_fonts``); ``fonts``, if given, are the fonts already cut (from
    :func:`font_request`), else they are cut here.
    """
    pub = report.publication
    book = epub.EpubBook()
    book.set_identifier(pub.identifier)
    book.set_title(pub.full_title)
    book.set_language(pub.language)
    _metadata(book, report)
    for prop, value in accessibility_metadata(report, page_list=bool(pages)):
        book.add_metadata(None, "meta", value, {"property": prop})
    # The printed book the page list follows: by the ISBN its cover's barcode carries, if any.
    printed = pub.press.isbn
    if pages or printed:
        book.add_metadata("DC", "source", f"urn:isbn:{printed}" if printed else page_break_source(report))

    file_of = _file_of
    root = report.project.root
    css = read_input(resolve(root, "css/epub.css"))
    contents = documents(report, env, pages)
    if fonts is None:
        fonts = edition_fonts(resolve(root, "fonts/fonts.css").parent,
                              [etree.fromstring(data) for _, data in contents],
                              [css.decode("utf-8")], cache=font_cache, language=pub.language)
    for rel, data in sorted(fonts.items()):
        book.add_item(_item(rel, data))
    book.add_item(epub.EpubItem(uid="style", file_name="epub.css", media_type="text/css",
                                content=css))
    for rel, path in sorted(report.images.items()):
        book.add_item(_item(rel, read_input(path)))

    docs = [_cover(book, env, pub, cover)]
    for section, data in contents:
        doc = XhtmlDocument(f"s-{section.id}", file_of(section), data)
        book.add_item(doc)
        docs.append(doc)
        if section.type in LANDMARKS:
            book.guide.append({"href": file_of(section), "title": section.title, "type": section.type})
    first_chapter = next(s for s in report.sections if s.part == "body")
    book.guide.append({"href": file_of(first_chapter), "title": first_chapter.title,
                       "type": "bodymatter"})
    book.toc = [_toc(item) for item in outline(report, file_of)]
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav(title="Contents"))
    book.spine = docs
    raw = io.BytesIO()
    # compresslevel 0: repack() compresses every entry again, so ebooklib's deflate was wasted.
    writer = _Writer(raw, book, {"mtime": date.replace(tzinfo=None),
                                 "epub2_guide": False, "landmark_title": "Landmarks",
                                 "epub3_pages": False, "compresslevel": 0},
                     page_list_nav(pages, lambda sid: file_of(report.ids[sid])) if pages else None,
                     pages, lambda sid: file_of(report.ids[sid]))
    writer.process()
    writer.write()
    return repack(raw.getvalue())


def _cover(book: epub.EpubBook, env, pub, png: bytes) -> XhtmlDocument:
    """The cover image (manifest property cover-image) and a cover page to open the spine."""
    image = epub.EpubCover(file_name="cover.png")
    image.media_type, image.content = "image/png", png
    book.add_item(image)
    book.add_metadata(None, "meta", "", {"name": "cover", "content": image.id})
    page = XhtmlDocument("cover", "cover.xhtml", render(env, "epub/cover.xhtml", {
        "pub": pub, "image": image.file_name}).encode("utf-8"))
    book.add_item(page)
    book.guide.append({"href": page.file_name, "title": "Cover", "type": "cover"})
    return page


def _metadata(book: epub.EpubBook, report: Report) -> None:
    """Creators with their roles and sort names, the ISBN if any, publisher, date, subjects."""
    pub = report.publication
    authors, others = creators(report)
    sort = sort_names(report)
    for i, (name, role) in enumerate(authors or [(pub.publisher, "aut")], 1):
        book.add_author(name, role=role, uid=f"creator{i}")
        book.add_metadata(None, "meta", sort.get(name, name),
                          {"refines": f"#creator{i}", "property": "file-as"})
    for i, (name, role) in enumerate(others, 1):
        book.add_metadata("DC", "contributor", name, {"id": f"contributor{i}"})
        book.add_metadata(None, "meta", role, {"refines": f"#contributor{i}", "property": "role",
                                               "scheme": "marc:relators"})
        book.add_metadata(None, "meta", sort.get(name, name),
                          {"refines": f"#contributor{i}", "property": "file-as"})
    if pub.isbn:
        book.add_metadata("DC", "identifier", f"urn:isbn:{pub.isbn}", {"id": "isbn"})
    book.add_metadata("DC", "publisher", pub.publisher)
    book.add_metadata("DC", "date", pub.date.isoformat())
    if pub.rights:
        book.add_metadata("DC", "rights", pub.rights)
    if pub.description:
        book.add_metadata("DC", "description", " ".join(pub.description.split()))
    for subject in pub.subjects:
        book.add_metadata("DC", "subject", subject)


def _toc(item):
    link = epub.Link(item.href, item.title, "nav-" + item.href.replace(".xhtml", "").replace("#", "-"))
    if not item.children:
        return link
    return (epub.Section(item.title, item.href), [_toc(child) for child in item.children])


def _item(rel: str, data: bytes) -> epub.EpubItem:
    uid = "f-" + "".join(c if c.isalnum() else "-" for c in rel)
    return epub.EpubItem(uid=uid, file_name=rel, media_type=media_type(rel), content=data)


def repack(data: bytes) -> bytes:
    """Re-write an EPUB zip with fixed times and attributes; mimetype first and stored."""
    with zipfile.ZipFile(io.BytesIO(data)) as src:
        names = [n for n in src.namelist() if n != APPLE_OPTIONS_PATH]
        order = ["mimetype"] + [n for n in names if n != "mimetype"]
        entries = [(name, src.read(name)) for name in order]
    # Apple Books uses the embedded fonts only when this file asks it to.
    entries.insert(2, (APPLE_OPTIONS_PATH, APPLE_OPTIONS))
    return zip_bytes(entries, stored={"mimetype"})
