"""The HTML edition: a multi-page site, one page per section, an index with the contents.

Returns the site as a mapping of relative path -> bytes; the build writes it.
Every link inside the site is relative, so the folder works wherever it is
served or unpacked; the downloads it offers are files of the site itself
(``downloads/``, added by the build). With a ``base_url`` in the publication's
data the pages also carry canonical links and the site a ``sitemap.xml``.
"""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

import jinja2
from lxml import html as lxml_html
from markupsafe import Markup

from folio.content.gather import Report
from folio.content.names import section_file
from folio.content.render import render
from folio.editions.common import drop_print_styles, inner_html, outline, retarget, separate_subtitle
from folio.editions.fonts import edition_fonts
from folio.editions.search import search_bundle
from folio.inputs.paths import read_input
from folio.theme import resolve

#: Where the site keeps the PDF and EPUB it offers.
DOWNLOADS = "downloads"
#: Characters a reader may type into the search box, beyond those the pages hold.
TYPED = "".join(chr(c) for c in range(0x20, 0x7F))
#: Longest page description, in characters (what search engines show).
DESCRIPTION_LENGTH = 160


def build_html(report: Report, downloads: dict[str, str], env: jinja2.Environment,
               font_cache: Path | None = None) -> dict[str, bytes]:
    """Render every page of the HTML edition with the build's ``env``.

    ``downloads`` maps a label (``PDF``) to a file name inside ``downloads/``;
    the build puts those files there. ``font_cache`` keeps the fonts' subsets.
    """
    project = report.project
    pub = project.publication
    files: dict[str, bytes] = {}

    def file_of(section):
        return section_file(section.id, ".html")

    nav = outline(report, file_of)
    sections = report.sections
    context = {"pub": pub, "nav": nav, "stylesheets": ["fonts/fonts.css", "screen.css"],
               "downloads": {label: f"{DOWNLOADS}/{name}" for label, name in downloads.items()}}
    for i, section in enumerate(sections):
        body = retarget(report, section, file_of, lambda src: src)
        drop_print_styles(body)
        separate_subtitle(body)
        _title_notes(body)
        _focusable_code(body)
        prev = sections[i - 1] if i > 0 else None
        next_ = sections[i + 1] if i + 1 < len(sections) else None
        page = render(env, "html/page.html", {
            **context,
            "section": section,
            "page": file_of(section),
            "description": describe(body) or clip(pub.description),
            "body": Markup(inner_html(body)),
            "prev": {"href": file_of(prev), "title": prev.title} if prev else
                    {"href": "index.html", "title": "Home"},
            "next": {"href": file_of(next_), "title": next_.title} if next_ else None,
        })
        files[file_of(section)] = page.encode("utf-8")
    first = sections[0]
    files["index.html"] = render(env, "html/index.html", {
        **context, "page": "index.html", "description": clip(pub.description),
        "first": {"href": file_of(first), "title": first.title},
    }).encode("utf-8")
    files["404.html"] = render(env, "html/404.html", {
        **context, "page": None, "description": clip(pub.description)}).encode("utf-8")
    # Search the reading text: not the title page or the contents, which only repeat it.
    searched = {file_of(s): files[file_of(s)] for s in sections if s.type not in ("titlepage", "toc")}
    files.update(search_bundle(searched, pub.language))
    for name in ("search.js", "notes.js", "favicon.svg"):
        files[name] = read_input(resolve(project.root, f"html/{name}"))
    screen = read_input(resolve(project.root, "css/screen.css"))
    files["screen.css"] = screen
    pages = [lxml_html.fromstring(data) for rel, data in sorted(files.items())
             if rel.endswith(".html") and "/" not in rel]
    # Search results show any page's words in the search box's font; readers type anything.
    shown = "".join(sorted({c for page in pages for c in page.text_content()} | set(TYPED)))
    files.update(edition_fonts(resolve(project.root, "fonts/fonts.css").parent, pages,
                               [screen.decode("utf-8")], flavor="woff2", html=True,
                               extra={"Report Sans": shown}, cache=font_cache,
                               language=pub.language))
    for rel, path in sorted(report.images.items()):
        files[rel] = read_input(path)
    if pub.base_url:
        files["sitemap.xml"] = sitemap(pub.base_url, [p for p in sorted(files)
                                                      if p.endswith(".html") and p != "404.html"])
    return files


def _focusable_code(body) -> None:
    """A code block scrolls sideways on a narrow screen: make it reachable by keyboard
    (axe's scrollable-region-focusable). No aria-label: vnu refuses one on a ``pre``."""
    for pre in body.iter("pre"):
        pre.set("tabindex", "0")


def _title_notes(body) -> None:
    """A heading for a page's notes (hidden: the rule above them shows where they start),
    so that the notes are a titled section for screen readers and the outline."""
    for notes in body.iter("section"):
        if notes.get("role") == "doc-endnotes" and not len(notes.xpath("h2|h3")):
            heading = lxml_html.Element("h2", {"class": "visually-hidden"})
            heading.text = "Notes"
            notes.insert(0, heading)


def describe(body) -> str | None:
    """A page's description: the start of its first paragraph, cut at a word."""
    for p in body.iter("p"):
        text = " ".join(p.text_content().split())
        if len(text) >= 40:  # shorter: a label or a line of an address, not a paragraph
            return clip(text)
    return None


def clip(text: str | None) -> str | None:
    """A text cut at a word to fit DESCRIPTION_LENGTH characters (with its ellipsis)."""
    if text is None:
        return None
    text = " ".join(text.split())
    if len(text) <= DESCRIPTION_LENGTH:
        return text
    return text[:DESCRIPTION_LENGTH - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def sitemap(base_url: str, pages: list[str]) -> bytes:
    """A sitemaps.org list of the site's pages under ``base_url``."""
    urls = "".join(f"  <url><loc>{xml_escape(base_url + page)}</loc></url>\n"
                   for page in ["", *[p for p in pages if p != "index.html"]])
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
            f"{urls}</urlset>\n").encode()


def site_downloads(files: dict[str, bytes]) -> dict[str, bytes]:
    """The downloads the site offers (file name -> bytes), at their place in the site."""
    return {f"{DOWNLOADS}/{name}": data for name, data in sorted(files.items())}

