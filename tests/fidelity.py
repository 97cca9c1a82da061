"""Fidelity to the sources: cut them into units, account for every word of an edition.

The sources are ``sources/report.txt`` (the report as printed) and ``sources/article.txt``
(the CC BY-SA encyclopedia article). Each is cut into **units**: every sentence of every
paragraph and list item (compared exactly, after :func:`normalise`), and every heading,
title line, label and name (compared without regard to case or punctuation: the editions
set ``WHAT MIGS DOES`` as "What MIGS Does"). ``sources/apparatus.yaml`` lists what the
editor added (headings, sentences, notes), the marked edits of the sources' text, and the
source units this edition does not use, each with its reason.

Two checks, for each edition's text:

* :func:`missing`: every unit the edition uses is in it;
* :func:`unaccounted`: once every unit and every piece of apparatus is cut out of the
  edition's text, nothing with a letter in it is left (folios, note numbers, leader dots
  and the like have none).

Nothing here imports folio: a bug in folio must not also shape the expectation.
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml
from lxml import etree, html

REPO = Path(__file__).resolve().parents[1]
SOURCES = REPO / "sources"
#: Text whose baseline lies in the top or bottom 7.5% of a PDF page is a running head or a folio.
MARGIN = 0.075
#: Words after which a full stop does not end a sentence.
_ABBREVIATION = re.compile(r"(?:\b(?:Lieut|Dr|Blvd|Ret|Mr|Mrs|St|ext|U\.S|M\.A|Ph\.D)|\b[A-ZÉ])$")
_END = re.compile(r"[.!?][\"”’)]*\s+(?=[A-Z“\"‘(])")
#: Elements of an edition whose ends are the ends of lines of text.
_BLOCKS = {"p", "li", "dt", "dd", "div", "section", "article", "nav", "header", "footer",
           "address", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "br", "td", "th",
           "figcaption", "aside", "main", "ol", "ul", "dl"}
_ROMAN = re.compile(r"^(?=[ivxl])(x{0,3})(ix|iv|v?i{0,3})$")


def clean(text: str) -> str:
    """NFKC, no soft hyphens or zero-width characters, whitespace collapsed to single spaces."""
    text = unicodedata.normalize("NFKC", text)
    text = text.translate({0x00AD: None, 0x200B: None, 0xFE0F: None, 0x2060: None})
    return " ".join(text.split())


def normalise(text: str) -> str:
    """One form for text from any edition or source: :func:`clean`, and one kind of each
    quotation mark (the sources mix straight and curly ones)."""
    return clean(text).translate({0x2019: "'", 0x2018: "'", 0x201C: '"', 0x201D: '"'})


@dataclass(frozen=True)
class Unit:
    """A sentence (matched exactly) or a name (a heading, a title line, a label, a person)."""

    text: str
    kind: str  # "sentence" or "name"
    source: str

    @property
    def pattern(self) -> re.Pattern:
        if self.kind == "sentence":
            body = re.escape(self.text).replace(r"\ ", r"\s+")
            return re.compile(r"(?<!\w)" + body + r"(?!\w)")
        words = re.findall(r"\w+", self.text)
        # Between words, anything but a letter, a digit or a cut already made (\x00).
        return re.compile(r"(?<!\w)" + r"[^\w\x00]*".join(map(re.escape, words)) + r"(?!\w)",
                          re.IGNORECASE)


def sentences(paragraph: str) -> list[str]:
    """A paragraph cut into sentences (a full stop after an abbreviation or an initial
    does not end one)."""
    out, start = [], 0
    for match in _END.finditer(paragraph):
        head = paragraph[start:match.start() + 1]
        if _ABBREVIATION.search(paragraph[:match.start()]):
            continue
        out.append(head)
        start = match.end()
    out.append(paragraph[start:])
    return [normalise(s) for s in out if normalise(s)]


def _is_caps(line: str) -> bool:
    letters = [c for c in line if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters)


def report_units(text: str) -> list[Unit]:
    """The units of the report as printed: caps lines are headings and title lines, a line of
    tab-separated names gives each name, a team line 'ROLE Names' gives both, the rest is
    sentences."""
    units: list[Unit] = []
    block: list[str] = []
    # A page break of the printed report cut one sentence in two paragraphs: join them.
    text = re.sub(r"(?<=[a-z,])\n\s*\n(?=[a-z])", " ", text)

    def close():
        if block:
            units.extend(Unit(normalise(line), "name", "report") for line in block)
            if len(block) > 1:
                units.append(Unit(normalise(" ".join(block)), "name", "report"))
            block.clear()

    for raw in text.splitlines():
        line = raw.strip().replace("*", "")
        if not line:
            close()
            continue
        if _is_caps(line):
            block.append(line)
            continue
        close()
        if "\t" in raw:
            units.extend(Unit(normalise(cell), "name", "report") for cell in raw.split("\t")
                         if cell.strip())
            continue
        role = re.match(r"^((?:[A-Z][A-Z-]+ )+)([A-Z][a-zé].*)$", line)
        if role:
            units.append(Unit(normalise(role.group(1)), "name", "report"))
            units.append(Unit(normalise(role.group(2)), "name", "report"))
            units.extend(Unit(normalise(name), "name", "report")
                         for name in role.group(2).split(" and "))
            continue
        if line.startswith("- "):
            line = line[2:]
        units.extend(Unit(s, "sentence", "report") for s in sentences(line))
    close()
    return units


def article_units(text: str) -> list[Unit]:
    """The units of the article: its title and section headings, and its sentences."""
    units = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        heading = re.fullmatch(r"=+\s*(.*?)\s*=+", line)
        if heading:
            units.append(Unit(normalise(heading.group(1)), "name", "article"))
        else:
            units.extend(Unit(s, "sentence", "article") for s in sentences(line))
    return units


@cache
def apparatus() -> dict:
    """``sources/apparatus.yaml``, parsed."""
    return yaml.safe_load((SOURCES / "apparatus.yaml").read_text("utf-8"))


def _edit(unit: Unit, edits: list[dict]) -> Unit:
    text = unit.text
    for edit in edits:
        text = text.replace(normalise(edit["source"]), normalise(edit["edition"]))
    return Unit(text, unit.kind, unit.source)


@cache
def source_units() -> tuple[Unit, ...]:
    """Every unit of both sources, with the apparatus's marked edits made, each once."""
    edits = apparatus().get("edits") or []
    units = [*report_units((SOURCES / "report.txt").read_text("utf-8")),
             *article_units((SOURCES / "article.txt").read_text("utf-8"))]
    return tuple(dict.fromkeys(_edit(u, edits) for u in units))


def unused() -> set[str]:
    """The normalised text of the source units this edition leaves out, by decision."""
    return {normalise(entry["text"]) for entry in apparatus().get("unused") or []}


def used_units() -> list[Unit]:
    """The source units every edition must contain."""
    skip = unused()
    return [u for u in source_units() if u.text not in skip]


def apparatus_units() -> list[Unit]:
    """The editor's apparatus, as units: headings as names, sentences and notes exactly."""
    app = apparatus()
    units = [Unit(normalise(h), "name", "apparatus")
             for key in ("headings", "keywords") for h in app.get(key) or []]
    for key in ("sentences", "notes"):
        units += [Unit(normalise(s), "sentence", "apparatus") for s in app.get(key) or []]
    return units


def missing(text: str) -> list[str]:
    """The source units the edition should have and does not."""
    return [u.text for u in used_units() if not u.pattern.search(text)]


def unaccounted(text: str) -> list[str]:
    """What is left of an edition's text once every unit and all apparatus are cut out:
    runs of words that neither source nor the apparatus accounts for."""
    units = sorted({*used_units(), *apparatus_units()}, key=lambda u: -len(u.text))
    for unit in units:
        text = unit.pattern.sub(" \x00 ", text)
    runs = []
    for run in text.split("\x00"):
        words = [w for w in run.split() if any(c.isalpha() for c in w) and not _ROMAN.match(w)]
        if words:
            runs.append(" ".join(run.split()))
    return runs


# --- the text of each edition -------------------------------------------------


def _tree_text(root) -> str:
    """The text of an (X)HTML tree, blocks separated, note calls and back links left out."""
    for el in list(root.iter()):
        if not isinstance(el.tag, str):
            continue
        tag = etree.QName(el).localname
        role = el.get("role") or ""
        if role in ("doc-noteref", "doc-backlink") or tag in ("script", "style", "template"):
            el.text = ""
            for child in el:
                child.getparent().remove(child)
        parent = el.getparent()
        in_nav = parent is not None and etree.QName(parent).localname == "nav"
        if tag in _BLOCKS or (tag == "a" and in_nav):
            el.tail = " " + (el.tail or "")
    return "".join(root.itertext())


def html_text(folder: Path) -> str:
    """The text of every page of the HTML edition (its whole body: navigation, footer too)."""
    parts = []
    for page in sorted(folder.glob("*.html")):
        root = html.parse(str(page)).getroot()
        parts.append(_tree_text(root.find("body")))
    return clean("\n".join(parts))


def epub_text(path: Path) -> str:
    """The text of every XHTML document of the EPUB (the nav too) and its package metadata."""
    parts = []
    with zipfile.ZipFile(path) as z:
        for name in sorted(z.namelist()):
            if name.endswith(".xhtml"):
                root = etree.fromstring(z.read(name))
                body = root.find("{http://www.w3.org/1999/xhtml}body")
                parts.append(_tree_text(body))
            elif name.endswith(".opf"):
                opf = etree.fromstring(z.read(name))
                dc = "{http://purl.org/dc/elements/1.1/}"
                for el in opf.iter():
                    if isinstance(el.tag, str) and el.tag.startswith(dc) and el.tag not in (
                            f"{dc}identifier", f"{dc}language", f"{dc}date", f"{dc}source"):
                        parts.append(el.text or "")
    return clean("\n".join(parts))


def pdf_text(path: Path) -> str:
    """The body text of every page of a PDF (running heads and folios left out), with the
    editor's notes cut from the foot of the page so that sentences read on across pages,
    words hyphenated at line ends joined again, and its document information."""
    import pypdfium2 as pdfium

    notes = [clean(n) for n in apparatus().get("notes") or []]
    doc = pdfium.PdfDocument(str(path))
    pages = []
    try:
        for page in doc:
            # The trim box: the print edition's pages are larger, by their bleed and marks.
            left, bottom, right, top = page.get_trimbox()
            margin = (top - bottom) * MARGIN
            raw = page.get_textpage().get_text_bounded(left=left, bottom=bottom + margin,
                                                       right=right, top=top - margin)
            # U+2010 ends a line where the layout hyphenated a word: join it. pdfium reports a
            # hyphen-minus ending a line (a compound broken at its hyphen) as U+FFFE or U+0002.
            # (Not when a footnote follows, "1. ": the word goes on overleaf.)
            raw = re.sub(r"\u2010(?=[\r\n])\s++(?!\d{1,2}\. )", "", raw)
            raw = re.sub(r"[\ufffe\x02][\r\n]*\s*", "-", raw)
            raw = re.sub(r"-[\r\n]+\s*", "-", raw)
            text = clean(raw)
            for note in notes:  # with its number, "1. "
                text = re.sub(r"(?:\d{1,2}\.\s*)?" + re.escape(note), " ", text)
            # Note calls: a figure set right after a full stop or a word.
            text = re.sub(r"(?<=[.,;:!?\"')])\d{1,2}(?=\s|$)", "", text)
            # Letter-spaced capitals (the cover's M I G S).
            text = re.sub(r"\b(?:[A-Z] ){2,}[A-Z]\b", lambda m: m.group(0).replace(" ", ""), text)
            text = text.strip()
            if pages and pages[-1].endswith("\u2010"):  # a word hyphenated across the page
                pages[-1] = pages[-1][:-1] + text
            else:
                pages.append(text)
        info = [doc.get_metadata_value(k) for k in ("Title", "Author", "Subject", "Keywords")]
    finally:
        doc.close()
    return clean(" ".join(pages) + " " + " ".join(info))


def edition_text(build: Path, slug: str, edition: str) -> str:
    """The text of one edition of a build folder: html, epub, pdf (the screen PDF) or print
    (see :func:`clean`; quotes as printed)."""
    if edition == "html":
        return html_text(build / "html")
    if edition == "epub":
        return epub_text(build / f"{slug}.epub")
    return pdf_text(build / (f"{slug}.pdf" if edition == "pdf" else f"{slug}-print.pdf"))


def problems(text: str) -> list[str]:
    """What is wrong with an edition's text: each missing source unit, each unaccounted run."""
    text = normalise(text)
    return ([f"missing: {m}" for m in missing(text)]
            + [f"not in the sources or the apparatus: {r}" for r in unaccounted(text)])
