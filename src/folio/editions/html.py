"""The HTML edition: a multi-page site, one page per section, an index with the contents.

Returns the site as a mapping of relative path -> bytes; the build writes it.
"""

from __future__ import annotations

import jinja2
from markupsafe import Markup

from folio.content.gather import Report
from folio.content.render import render
from folio.editions.common import inner_html, outline, retarget
from folio.editions.search import search_bundle


def build_html(report: Report, downloads: dict[str, str], env: jinja2.Environment) -> dict[str, bytes]:
    """Render every page of the HTML edition with the build's ``env``; ``downloads`` maps a
    label to a file name."""
    project = report.project
    files: dict[str, bytes] = {}

    def file_of(section):
        return f"{section.id}.html"

    nav = outline(report, file_of)
    sections = report.sections
    context = {"pub": project.publication, "nav": nav, "downloads": downloads,
               "stylesheets": ["fonts/fonts.css", "screen.css"]}
    for i, section in enumerate(sections):
        body = retarget(report, section, file_of, lambda src: src)
        prev = sections[i - 1] if i > 0 else None
        next_ = sections[i + 1] if i + 1 < len(sections) else None
        page = render(env, "html/page.html", {
            **context,
            "section": section,
            "body": Markup(inner_html(body)),
            "prev": {"href": file_of(prev), "title": prev.title} if prev else
                    {"href": "index.html", "title": "Contents"},
            "next": {"href": file_of(next_), "title": next_.title} if next_ else None,
        })
        files[file_of(section)] = page.encode("utf-8")
    first = sections[0]
    files["index.html"] = render(env, "html/index.html", {
        **context, "first": {"href": file_of(first), "title": first.title},
    }).encode("utf-8")
    # Search the reading text: not the title page or the contents, which only repeat it.
    searched = {file_of(s): files[file_of(s)] for s in sections if s.type not in ("titlepage", "toc")}
    files.update(search_bundle(searched, project.publication.language))
    files["search.js"] = (project.root / "templates/html/search.js").read_bytes()
    files["screen.css"] = (project.root / "templates/css/screen.css").read_bytes()
    files.update(font_files(project.root))
    for rel, path in sorted(report.images.items()):
        files[rel] = path.read_bytes()
    return files


def font_files(root) -> dict[str, bytes]:
    """The bundled fonts and their @font-face rules, under fonts/."""
    base = root / "templates/fonts"
    files = {}
    for path in sorted(base.rglob("*")):
        if path.is_file() and (path.suffix.lower() in (".otf", ".ttf", ".css")):
            files[f"fonts/{path.relative_to(base).as_posix()}"] = path.read_bytes()
    return files
