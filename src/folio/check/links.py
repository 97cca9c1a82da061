"""Links and anchors: every internal link and fragment of the HTML and EPUB editions resolves."""

from __future__ import annotations

import posixpath
import re
import zipfile
from importlib import metadata
from urllib.parse import unquote, urlsplit

from lxml import etree, html

from .model import Editions, Finding, Result, Tools

NAME = "Links and anchors"
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:|^//")
#: Attributes that point at another file or fragment.
_LINKS = (("a", "href"), ("link", "href"), ("img", "src"), ("script", "src"), ("area", "href"))


def run(editions: Editions, tools: Tools) -> Result:
    """Check the HTML site's pages and the EPUB's documents, each against its own files."""
    built = [p for p in (editions.html, editions.epub) if p.exists()]
    if not built:  # either is checked alone (a book may build the site only)
        return Result(NAME, failure=editions.missing(editions.html, editions.epub))
    # The site links to the PDF and EPUB beside it: its names are relative to build/.
    site = {p.relative_to(editions.build).as_posix(): html.parse(str(p)).getroot()
            for p in editions.html_pages()}
    files = {p.relative_to(editions.build).as_posix() for p in editions.build.rglob("*")
             if p.is_file()}
    findings = dangling(site, files, editions.rel(editions.build))
    docs = {}
    if editions.epub.exists():
        with zipfile.ZipFile(editions.epub) as z:
            names = set(z.namelist())
            docs = {n: etree.fromstring(z.read(n)) for n in sorted(names) if n.endswith(".xhtml")}
        findings += dangling(docs, names, editions.rel(editions.epub))
    return Result(NAME, f"folio {_version()}", tuple(findings), checked=len(site) + len(docs))


def _version() -> str:
    try:
        return metadata.version("folio")
    except metadata.PackageNotFoundError:
        return "(source tree)"


def dangling(docs: dict, files: set[str], prefix: str) -> list[Finding]:
    """Links of ``docs`` (name -> parsed tree) to a missing file or to a missing id."""
    ids = {name: set(root.xpath("//@id")) for name, root in docs.items()}
    out = []
    for name, root in docs.items():
        chapter = _chapter(root)
        for el in root.iter():
            if not isinstance(el.tag, str):
                continue
            tag = etree.QName(el).localname
            for link_tag, attr in _LINKS:
                value = el.get(attr) if tag == link_tag else None
                if value is None or _SCHEME.match(value):
                    continue
                problem = _resolve(name, value, files, ids)
                if problem:
                    out.append(Finding(f"{prefix}/{name}", str(el.sourceline or ""), "dangling-link",
                                       f"in {chapter}: {problem}"))
    return out


def _resolve(name: str, value: str, files: set[str], ids: dict[str, set[str]]) -> str | None:
    """Why a link from document ``name`` does not resolve, or None when it does."""
    parts = urlsplit(value)
    path = unquote(parts.path)
    target = posixpath.normpath(posixpath.join(posixpath.dirname(name), path)) if path else name
    if target not in files:
        return f"link to a missing file '{value}'"
    if parts.fragment and target in ids and unquote(parts.fragment) not in ids[target]:
        return f"link to a missing id '#{unquote(parts.fragment)}' ({target} has no such id)"
    return None


def _chapter(root) -> str:
    """The section a document holds, by its first heading (else its title)."""
    for query in ("//*[local-name()='h1']", "//*[local-name()='title']"):
        text = " ".join(root.xpath(f"string({query})").split())
        if text:
            return f"'{text}'"
    return "an untitled document"
