"""Read a built report back for assertions: its sources, and each edition's text and structure.

What a test expects is derived from the project's own sources (data/*.yaml and
the Markdown), read here with plain ``yaml.safe_load`` and regular expressions,
never through folio: a bug in folio must not also shape the expectation.
"""

from __future__ import annotations

import posixpath
import re
import unicodedata
import zipfile
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import yaml
from lxml import etree, html
from pypdf import PdfReader

OPF = {"opf": "http://www.idpf.org/2007/opf", "dc": "http://purl.org/dc/elements/1.1/"}
XHTML = {"x": "http://www.w3.org/1999/xhtml", "epub": "http://www.idpf.org/2007/ops"}
_HEADING = re.compile(r"^(#{1,2}) +(.+?)(?: +\{#([^\s}]+)[^}]*\})? *$", re.M)
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
#: Text whose baseline lies in the top or bottom 7.5% of a PDF page is a running
#: head or a page number (print.css's margins are 8.9% and 9.4% of a 9in page).
MARGIN = 0.075


def squash(text: str) -> str:
    """A form that survives line breaks, hyphenation, ligatures and quote styles.

    NFKC folds ligatures (ﬁ -> fi); dropping everything but letters and digits
    removes spaces, soft and hard hyphens, punctuation and the hyphen WeasyPrint
    adds when it breaks a word at the end of a line.
    """
    text = unicodedata.normalize("NFKC", text).casefold()
    return "".join(c for c in text if c.isalnum())


def spaced(text: str) -> str:
    """Whitespace (including no-break spaces and line breaks) collapsed to single spaces."""
    return " ".join(text.split())


def markdown_text(md: str) -> str:
    """Markdown without link targets, citations, emphasis marks or note calls."""
    md = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", md)
    md = re.sub(r"\[@[^\]]*\]", "", md)
    md = re.sub(r"\[\^[^\]]+\]", "", md)
    return md.replace("*", "")


@dataclass(frozen=True)
class SectionSource:
    """One entry of data/contents.yaml, as the editions should show it."""

    id: str
    title: str
    part: str
    toc: bool
    markdown: str | None
    h2: tuple[tuple[str, str], ...]
    """(id, text) of each level-2 heading of its Markdown."""


def read_sections(root: Path) -> list[SectionSource]:
    """The reading order of a project, with ids and titles from its sources."""
    contents = yaml.safe_load((root / "data/contents.yaml").read_text("utf-8"))
    out = []
    for part in ("front", "body", "back"):
        for entry in contents.get(part) or ():
            md = None
            h1 = (None, None)
            h2: list[tuple[str, str]] = []
            if entry.get("source"):
                md = (root / "manuscript" / entry["source"]).read_text("utf-8")
                for hashes, text, ident in _HEADING.findall(md):
                    if hashes == "#" and h1 == (None, None):
                        h1 = (ident, spaced(markdown_text(text)))
                    elif hashes == "##":
                        assert ident, f"give every h2 of the fixtures an explicit id: {text}"
                        h2.append((ident, spaced(markdown_text(text))))
            ident = entry.get("id") or h1[0]
            title = entry.get("title") or h1[1]
            assert ident and title, f"give {entry} an id and a title, or an h1 with {{#id}}"
            out.append(SectionSource(ident, title, part, entry.get("toc", True), md, tuple(h2)))
    return out


class Built:
    """A project folder after ``folio.build``: its sources and its three editions."""

    def __init__(self, root: Path):
        self.root = root
        self.out = root / "build"
        self._epubcheck: Future | None = None

    def start_epubcheck(self) -> None:
        """Run EPUBCheck (a JVM, ~10 s) in the background while other tests read the build."""
        from folio.check.epubcheck import epubcheck

        pool = ThreadPoolExecutor(1)
        self._epubcheck = pool.submit(epubcheck, self.epub.path)
        pool.shutdown(wait=False)

    def data(self, stem: str):
        """A data file, parsed with plain PyYAML."""
        return yaml.safe_load((self.root / "data" / f"{stem}.yaml").read_text("utf-8"))

    @cached_property
    def pub(self) -> dict:
        return self.data("publication")

    @cached_property
    def full_title(self) -> str:
        pub = self.pub
        return f"{pub['title']}: {pub['subtitle']}" if pub.get("subtitle") else pub["title"]

    @cached_property
    def sections(self) -> list[SectionSource]:
        return read_sections(self.root)

    @cached_property
    def creators(self) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        """(authors, others) as (name, relator) from data/team.yaml."""
        authors, others = [], []
        for role in self.data("team")["roles"]:
            for person in role["members"]:
                relator = role.get("relator", "ctb")
                (authors if relator == "aut" else others).append((person["name"], relator))
        return authors, others

    @cached_property
    def pdf(self) -> PdfView:
        return PdfView(self.out / f"{self.pub['slug']}.pdf")

    @cached_property
    def epub(self) -> EpubView:
        return EpubView(self.out / f"{self.pub['slug']}.epub")

    @cached_property
    def html(self) -> HtmlView:
        return HtmlView(self.out / "html", [f"{s.id}.html" for s in self.sections])

    @property
    def epubcheck(self):
        """EPUBCheck's verdict on the EPUB (one JVM run per report)."""
        if self._epubcheck is None:
            self.start_epubcheck()
        return self._epubcheck.result()

    def text(self, edition: str) -> str:
        """The reading text of an edition, squashed (see :func:`squash`)."""
        view = {"html": self.html, "epub": self.epub, "pdf": self.pdf}[edition]
        return view.squashed

    def raw_text(self, edition: str) -> str:
        """The text of an edition with whitespace collapsed."""
        view = {"html": self.html, "epub": self.epub, "pdf": self.pdf}[edition]
        return view.spaced


class PdfView:
    """A PDF: its text read with pypdfium2, its structure (labels, outline, links) with pypdf.

    pdfium extracts a page's text ~30x faster than pypdf's visitor (0.02 s against 0.7 s for
    the real report's 29 pages), and gives the same characters, band by band.
    """

    def __init__(self, path: Path):
        self.path = path

    @cached_property
    def reader(self) -> PdfReader:
        return PdfReader(self.path)

    @cached_property
    def _bands(self) -> list[tuple[str, str, str, str]]:
        """(whole page, top margin, body, bottom margin) text of each page."""
        import pypdfium2

        out = []
        document = pypdfium2.PdfDocument(self.path)
        try:
            for page in document:
                width, height = page.get_size()
                text = page.get_textpage()
                low, high = MARGIN * height, (1 - MARGIN) * height
                out.append((_lines(text.get_text_range()),
                            _lines(text.get_text_bounded(0, high, width, height)),
                            _lines(text.get_text_bounded(0, low, width, high)),
                            _lines(text.get_text_bounded(0, 0, width, low))))
                text.close()
                page.close()
        finally:
            document.close()
        return out

    @cached_property
    def pages(self) -> list[str]:
        """Extracted text of each page, running heads and page numbers included."""
        return [whole for whole, _, _, _ in self._bands]

    @cached_property
    def body_pages(self) -> list[str]:
        """Squashed text of each page without running heads and page numbers."""
        return [squash(body) for _, _, body, _ in self._bands]

    def margin_text(self, index: int) -> str:
        """Text set in a page's top or bottom margin (running heads and folios), spaced."""
        _, top, _, bottom = self._bands[index]
        return spaced(f"{top} {bottom}")

    def folio(self, index: int) -> str:
        """Text set in a page's bottom margin: its printed number, or ''."""
        return spaced(self._bands[index][3])

    @cached_property
    def squashed(self) -> str:
        return "".join(self.body_pages)

    @cached_property
    def spaced(self) -> str:
        return spaced("\n".join(self.pages))

    @cached_property
    def outline(self) -> list[tuple[int, str, int]]:
        """(depth, title, page index) of every bookmark, in order."""
        out = []

        def walk(items, depth):
            for item in items:
                if isinstance(item, list):
                    walk(item, depth + 1)
                else:
                    out.append((depth, item.title, self.reader.get_destination_page_number(item)))

        walk(self.reader.outline, 0)
        return out

    def links(self, index: int) -> list[dict]:
        """The /Link annotations of one page."""
        page = self.reader.pages[index]
        annots = [a.get_object() for a in page.get("/Annots", ())]
        return [a for a in annots if a.get("/Subtype") == "/Link"]

    def internal_target(self, link) -> str | None:
        """The named destination an internal link goes to (/Dest or /A /GoTo), else None."""
        if "/Dest" in link:
            return str(link["/Dest"])
        action = link.get("/A")
        if action is not None and action.get_object().get("/S") == "/GoTo":
            return str(action.get_object()["/D"])
        return None

    def dest_page(self, name: str) -> int:
        return self.reader.get_destination_page_number(self.reader.named_destinations[name])

    def pages_with(self, text: str) -> list[int]:
        """Indexes of the pages whose body contains ``text`` (compared squashed)."""
        needle = squash(text)
        return [i for i, page in enumerate(self.body_pages) if needle in page]

    def fonts(self) -> dict[str, object]:
        """Every font of every page (and of its form XObjects), by BaseFont name."""
        found = {}

        def visit(resources):
            resources = resources.get_object() if resources is not None else {}
            for ref in (resources.get("/Font") or {}).values():
                font = ref.get_object()
                found[str(font["/BaseFont"])] = font
            for ref in (resources.get("/XObject") or {}).values():
                xobject = ref.get_object()
                if xobject.get("/Subtype") == "/Form":
                    visit(xobject.get("/Resources"))

        for page in self.reader.pages:
            visit(page.get("/Resources"))
        return found


class EpubView:
    """An EPUB read as a zip of XML files."""

    def __init__(self, path: Path):
        self.path = path
        self.zip = zipfile.ZipFile(path)

    def read(self, name: str) -> bytes:
        return self.zip.read(name)

    def xml(self, name: str):
        return etree.fromstring(self.read(name))

    @cached_property
    def opf_path(self) -> str:
        container = self.xml("META-INF/container.xml")
        return container.find(".//{*}rootfile").get("full-path")

    @cached_property
    def opf(self):
        return self.xml(self.opf_path)

    def resolve(self, href: str, base: str | None = None) -> str:
        """Zip name of an href relative to a document (default: the package document)."""
        base = base or self.opf_path
        return posixpath.normpath(posixpath.join(posixpath.dirname(base), href))

    @cached_property
    def manifest(self) -> dict[str, dict]:
        """Manifest items by id: href (zip name), media-type, properties."""
        items = {}
        for item in self.opf.iterfind("opf:manifest/opf:item", OPF):
            items[item.get("id")] = {"href": self.resolve(item.get("href")),
                                     "media-type": item.get("media-type"),
                                     "properties": (item.get("properties") or "").split()}
        return items

    @cached_property
    def spine(self) -> list[str]:
        """Zip names of the spine's documents, in reading order."""
        return [self.manifest[ref.get("idref")]["href"]
                for ref in self.opf.iterfind("opf:spine/opf:itemref", OPF)]

    def meta(self, tag: str) -> list:
        """The metadata elements with a tag such as 'dc:title' or 'opf:meta'."""
        return self.opf.findall(f"opf:metadata/{tag}", OPF)

    def refinements(self, ident: str) -> dict[str, str]:
        """property -> value of the <meta refines="#ident"> elements."""
        return {m.get("property"): (m.text or "").strip()
                for m in self.meta("opf:meta") if m.get("refines") == f"#{ident}"}

    @cached_property
    def nav_path(self) -> str:
        return next(i["href"] for i in self.manifest.values() if "nav" in i["properties"])

    @cached_property
    def docs(self) -> dict[str, etree._Element]:
        """Every spine document, parsed, by zip name."""
        return {name: self.xml(name) for name in self.spine}

    @cached_property
    def spaced(self) -> str:
        return spaced(" ".join("".join(d.find("x:body", XHTML).itertext())
                               for d in self.docs.values()))

    @cached_property
    def squashed(self) -> str:
        return squash(self.spaced)


class HtmlView:
    """The multi-page HTML edition, each page parsed with lxml."""

    def __init__(self, folder: Path, order: list[str]):
        self.folder = folder
        self.order = order
        """The section pages in the order of data/contents.yaml."""

    @cached_property
    def pages(self) -> dict[str, html.HtmlElement]:
        return {p.name: html.parse(str(p)).getroot() for p in sorted(self.folder.glob("*.html"))}

    def ids(self, name: str) -> set[str]:
        return set(self.pages[name].xpath("//@id"))

    def main_text(self, name: str) -> str:
        return " ".join(self.pages[name].xpath("//main")[0].itertext())

    @cached_property
    def spaced(self) -> str:
        return spaced(" ".join(self.main_text(name) for name in self.order))

    @cached_property
    def squashed(self) -> str:
        return squash(self.spaced)


def _lines(text: str) -> str:
    """pdfium ends lines with CR LF; the tests split on LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def is_external(href: str) -> bool:
    """A link with a scheme (https:, mailto:) leaves the publication."""
    return bool(_SCHEME.match(href))
