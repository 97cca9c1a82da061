"""Gather the report: convert every chapter, render every template, check ids and links.

The result, a :class:`Report`, is what all three editions are written from:
each section is an HTML tree whose internal links are plain ``#id`` fragments
that the editions later point at the right file. Nothing is written here.
"""

from __future__ import annotations

import dataclasses
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from lxml import etree, html
from markupsafe import Markup

from folio.content.convert import convert_all, make_pandoc
from folio.content.floats import in_code, number_floats, references_as_links
from folio.content.formulas import formula_problems
from folio.content.images import image_problem
from folio.content.limits import check_chapters, check_depth
from folio.content.lint import lint
from folio.content.names import fold, id_problem, output_name
from folio.content.render import data_namespace, make_environment, render
from folio.content.sanitize import (
    Locator,
    link_problem,
    modernise,
    raw_text_blocks,
    scheme_of,
    unsafe_characters,
    unsafe_markup,
)
from folio.content.values import insert_values, smarten_tree
from folio.errors import BuildError, Problem, Problems
from folio.inputs.load import Project, Spec
from folio.inputs.models import Bibliography

#: Section ids that would collide with files the editions write themselves.
RESERVED_IDS = frozenset({"index", "nav", "toc", "cover", "style", "search"})
_EXPLICIT_ID = re.compile(r"\{[^}]*#([^\s}]+)")


@dataclass
class Section:
    """One section of the reading order, converted and checked."""

    spec: Spec
    id: str
    title: str
    body: etree._Element
    """A ``<section>`` element holding the content."""
    origin: str
    """Project-relative path named in errors: the Markdown file, else the template."""
    headings: list[tuple[int, str, str]] = field(default_factory=list)
    """(level, id, text) of every h1 and h2, for the tables of contents."""

    @property
    def part(self) -> str:
        return self.spec.part

    @property
    def type(self) -> str:
        return self.spec.entry.type or ("chapter" if self.part == "body" else self.part + "matter")

    @property
    def in_toc(self) -> bool:
        return self.spec.entry.toc


@dataclass
class Report:
    """Everything the editions need, gathered and validated."""

    project: Project
    sections: list[Section]
    ids: dict[str, Section]
    """Every id in the report and the section that holds it."""
    images: dict[str, Path]
    """Images used: project-relative path -> absolute file."""

    @property
    def publication(self):
        return self.project.publication


def gather(project: Project, cache_dir: Path | None = None, log=None, env=None, binary=None,
           prefetched=None) -> Report:
    """Build the validated Report of a project (converts, renders, checks; writes nothing but cache).

    ``log(message)``, if given, hears of each chapter pandoc converts (not cache hits). A build
    passes its one Jinja ``env``, the pandoc ``binary`` it found and the conversions it
    ``prefetched`` (``convert.prefetch``); without them, the gather makes its own.
    """
    try:
        return _gather(project, cache_dir, log, env, binary, prefetched)
    except BuildError as exc:
        joined = {s.source: s for s in project.specs if s.pieces}
        if not joined:
            raise
        # A section made of several files: name the file and line each problem is in.
        raise BuildError([Problem(p.message, *joined[p.path].locate(p.line))
                          if p.path in joined else p for p in exc.problems]) from None


def _gather(project: Project, cache_dir: Path | None, log, env, binary, prefetched) -> Report:
    """:func:`gather`, with problems located in the text of each section."""
    csl = _csl(project)
    pandoc = make_pandoc(project.root, project.bibliography, csl, cache_dir, binary, prefetched)
    env = env or make_environment(project.root / "templates")
    problems = Problems()
    markdown = [s for s in project.specs if s.text is not None]
    check_chapters(markdown)
    # A spec has text only when it has a source it was read from.
    chapters = [(s.text, s.source) for s in markdown if s.text is not None and s.source is not None]
    unsafe = [p for text, source in chapters for p in unsafe_characters(text, source)]
    if unsafe:
        raise BuildError(unsafe)
    *texts, bibliography = convert_all(
        pandoc, [(references_as_links(raw_text_blocks(text, in_code)), source)
                 for text, source in chapters], log,
        bibliography=True)
    converted = dict(zip((s.source for s in markdown), texts, strict=True))
    cited = _check_references(project, bibliography)
    context = {"pub": project.publication, "data": data_namespace(project.data),
               "bibliography": Markup(bibliography)}
    sections: list[Section | None] = [None] * len(project.specs)
    # Chapters first, then templates (an imprint may name a chapter), then tables of contents,
    # once every other title and id is known.
    order = sorted(range(len(project.specs)), key=lambda i: (
        project.specs[i].entry.type == "toc", project.specs[i].entry.template is not None))
    renamed: dict[int, set[str]] | None = None
    for i in order:
        spec = project.specs[i]
        if spec.entry.type == "toc" and renamed is None:
            renamed = _settle([s for s in sections if s is not None])
        try:
            content = converted.get(spec.source, "")
            if spec.entry.template:
                outline = [_outline(s) for s in sections if s is not None]
                content = render(env, f"sections/{spec.entry.template}",
                                 {**context, "content": Markup(content), "outline": outline,
                                  "section": spec.entry})
            sections[i] = _section(spec, content, project.data)
        except BuildError as exc:
            problems.extend(exc)
    problems.raise_if_any()
    done = [s for s in sections if s is not None]
    report = Report(_described(project, done), done, {}, {})
    _unique_files(report.sections, problems)  # ids name files: a clash is refused, not renamed
    problems.raise_if_any()
    if renamed is None:
        renamed = _settle(report.sections)
    # A formula does not stop the pass: pandoc read it as text, and the rest is checked too.
    problems.items.extend(p for text, source in chapters for p in formula_problems(text, source))
    _check(report, problems, renamed, cited)
    _check_sources(report, problems)
    lint(report.sections, problems)
    problems.raise_if_any()
    return report


def _described(project: Project, sections: list[Section]) -> Project:
    """The project, its description taken from the first paragraph of the section that
    ``description_from`` names (so that it is typed once)."""
    pub = project.publication
    if pub.description or not pub.description_from:
        return project
    section = next((s for s in sections if s.id == pub.description_from), None)
    first = section.body.find(".//p") if section is not None else None
    if first is None:
        raise BuildError(f"description_from: no section '{pub.description_from}' with a paragraph",
                         "data/publication.yaml", _data_line(project, "description_from"))
    return dataclasses.replace(project, publication=pub.model_copy(
        update={"description": _text(first)}))


def _check_sources(report: Report, problems: Problems) -> None:
    """Each reused work names a section of the report as the one adapted from it."""
    for source in report.publication.sources:
        if source.section and (source.section not in report.ids
                               or report.ids[source.section].id != source.section):
            problems.add(f"sources: '{source.title}' names section '{source.section}',"
                         " which the reading order does not have", "data/publication.yaml",
                         _data_line(report.project, f"section: {source.section}"))


def _data_line(project: Project, needle: str) -> int | None:
    """The line of data/publication.yaml that first mentions ``needle``."""
    text = project.files.get("data/publication.yaml", b"").decode("utf-8", "replace")
    index = text.find(needle)
    return text.count("\n", 0, index) + 1 if index >= 0 else None


def _csl(project: Project) -> str | None:
    styles = sorted((project.root / "templates" / "csl").glob("*.csl"))
    if len(styles) > 1:
        raise BuildError("keep one citation style in templates/csl/", "templates/csl")
    if not styles:
        return None
    rel = f"templates/csl/{styles[0].name}"
    try:  # once here, rather than one pandoc error per chapter
        root = etree.fromstring(styles[0].read_bytes(), etree.XMLParser(
            resolve_entities=False, no_network=True, load_dtd=False))
    except etree.XMLSyntaxError as exc:
        reason = re.sub(r", line \d+, column \d+$", "", exc.msg)  # the line is given apart
        raise BuildError(f"not a citation style: not well-formed XML ({reason})", rel,
                         exc.lineno) from None
    if root.tag != "{http://purl.org/net/xbiblio/csl}style":
        raise BuildError("not a citation style: its root element is not a CSL <style>"
                         " (xmlns=\"http://purl.org/net/xbiblio/csl\")", rel, root.sourceline)
    return rel


def _outline(section: Section) -> dict:
    """What a contents template may read of a section."""
    return {"id": section.id, "title": section.title, "part": section.part,
            "type": section.type, "toc": section.in_toc,
            "headings": [{"level": lv, "id": i, "title": t} for lv, i, t in section.headings]}


def _section(spec: Spec, content: str, data: dict) -> Section:
    """Parse one section's HTML, insert the values it names from data, find its title heading."""
    origin = spec.source or f"templates/sections/{spec.entry.template}"
    body = html.fragment_fromstring(content or "<p></p>", create_parent="section")
    check_depth(body, origin)  # before anything walks the tree
    _drop_comments(body)
    modernise(body)
    if spec.text is not None:
        insert_values(body, data, origin, spec.text)
    if spec.entry.template:
        smarten_tree(body)  # text from data, as the Markdown's is by pandoc
    h1 = body.find(".//h1")
    if h1 is None:
        raise BuildError("a section must start with a level-1 heading (# Title)", origin, 1)
    title = spec.entry.title or _text(h1)
    sid = spec.entry.id or h1.get("id") or _slug(title)
    if spec.source and len(body.findall(".//h1")) > 1:  # the contents and nav list one
        text = spec.text or ""
        second = list(re.finditer(r"^(?:#[ \t]|<h1\b)|^=+[ \t]*$", text, re.M))[1:2]
        raise BuildError("a second level-1 heading: a chapter has one (# Title), the contents"
                         " and the EPUB's navigation list no other; make this one ## or start"
                         " a chapter", origin,
                         text.count("\n", 0, second[0].start()) + 1 if second else None)
    unsafe = id_problem(sid)
    if unsafe:  # the id names the section's file: never a path from the manuscript
        raise BuildError(unsafe, origin if spec.entry.id is None else "data/contents.yaml",
                         _line(spec, sid) if spec.entry.id is None else spec.line)
    h1.set("id", sid)
    if fold(sid) in RESERVED_IDS:
        raise BuildError(f"the id '{sid}' is reserved; choose another", origin, _line(spec, sid))
    _generated_ids(body, sid)
    headings = []
    for el in body.iter("h1", "h2", "h3", "h4", "h5", "h6"):
        if not el.get("id"):
            el.set("id", f"{sid}-{_slug(_text(el))}")
        if el.tag in ("h1", "h2"):
            headings.append((int(el.tag[1]), el.get("id"), _text(el)))
    return Section(spec, sid, title, body, origin, headings)


def _drop_comments(body) -> None:
    """Remove the HTML comments a chapter carries (notes to the editor, not text): one holding
    ``--`` would make the EPUB's XHTML ill-formed, and none belongs in an edition."""
    for comment in list(body.iter(etree.Comment)):
        parent = comment.getparent()
        if parent is None:
            continue
        if comment.tail:
            prev = comment.getprevious()
            if prev is not None:
                prev.tail = (prev.tail or "") + comment.tail
            else:
                parent.text = (parent.text or "") + comment.tail
        parent.remove(comment)


def _generated_ids(body, sid: str) -> None:
    """pandoc numbers what it generates from 1 in every chapter: the notes (fn1, fnref1, the
    footnotes section) and the code blocks and their lines (cb1, cb1-1). Prefix each with the
    section's id. They are found by the elements pandoc puts them on, so that an author's
    own id (``{#footnotes}``, ``{#fn1}``) is never renamed."""
    rename: dict[str, str] = {}

    def own(el, pattern: str) -> None:
        old = el.get("id")
        if old and re.fullmatch(pattern, old):
            rename[old] = f"{sid}-{old}"
            el.set("id", rename[old])

    generated = []  # pandoc's own links to what it numbered
    for el in body.iter("section", "div", "a"):
        classes = (el.get("class") or "").split()
        if el.tag == "section" and "footnotes" in classes:
            own(el, "footnotes")
            for li in el.iterfind("./ol/li"):
                own(li, r"fn\d+")
                generated += li.iterfind(".//a[@class='footnote-back']")
        elif el.tag == "a" and "footnote-ref" in classes:
            own(el, r"fnref\d+")
            generated.append(el)
        elif el.tag == "div" and "sourceCode" in classes:
            own(el, r"cb\d+")
            for line in el.iterfind("./pre/code/span"):
                own(line, r"cb\d+-\d+")
                generated += line.iterfind("./a")
    for a in generated:
        href = a.get("href", "")
        if href.startswith("#") and href[1:] in rename:
            a.set("href", "#" + rename[href[1:]])


def _unique_files(sections: list[Section], problems: Problems) -> None:
    """Each section's id names its file: two sections may not share one, even in case."""
    seen: dict[str, Section] = {}
    for section in sections:
        other = seen.setdefault(fold(section.id), section)
        if other is not section:
            same = "the id" if other.id == section.id else f"an id differing only in case ('{other.id}')"
            problems.add(f"the section id '{section.id}' names the file of another section:"
                         f" {other.origin} has {same}; give one an explicit {{#id}}",
                         section.origin, _id_line(section.spec, section.id) or _h1_line(section.spec))


def _h1_line(spec: Spec) -> int | None:
    """The line of a section's first level-1 heading (its id may be pandoc's, not written)."""
    found = re.search(r"^(?:#[ \t]|<h1\b)", spec.text or "", re.M)
    return spec.text.count("\n", 0, found.start()) + 1 if found and spec.text else None


#: Where citeproc's markup comes from.
REFERENCES = "data/references.yaml"


def _check_references(project: Project, bibliography: str) -> Locator:
    """Refuse markup in the references that the manuscript could not hold, located in
    data/references.yaml: citeproc passes a title's or a name's HTML through, into the
    bibliography and the citations. Returns the locator the citations are checked with."""
    text = project.files.get(REFERENCES, b"").decode("utf-8", "replace")
    where = Locator(REFERENCES, text)
    problems = Problems()
    refs = project.data.get("references")
    for ref in refs.references if isinstance(refs, Bibliography) else ():
        if not ref.URL:
            continue
        reason = link_problem(ref.URL)
        if reason or scheme_of(ref.URL) not in (None, "http", "https"):
            problems.items.append(where.problem(reason or f"a reference's URL must be on the web"
                                                f" (http or https), not '{ref.URL}'",
                                                rf"\bURL\s*:\s*[\"']?{re.escape(ref.URL)}",
                                                rf"\bURL\s*:.*{re.escape(ref.URL[-8:])}"))
    problems.raise_if_any()  # before the markup: citeproc links the same URLs
    if bibliography:
        tree = html.fragment_fromstring(bibliography, create_parent="div")
        problems.items.extend(unsafe_markup(tree, REFERENCES, text))
    problems.raise_if_any()
    return Locator(REFERENCES, text)


def _settle(sections: list[Section]) -> dict[int, set[str]]:
    """What needs every section at once, done before the tables of contents are rendered:
    unique ids (``_unique_ids``), then figures and tables numbered across the publication."""
    renamed = _unique_ids(sections)
    number_floats([s.body for s in sections])
    return renamed


def _unique_ids(sections: list[Section]) -> dict[int, set[str]]:
    """Rename an automatic id that an earlier section already has (two chapters' "Summary")
    to ``<section>-<id>``, in the section and in its list of headings, so that every table of
    contents points at the id that exists. An author's explicit ids are left as written (a
    duplicate of those is reported by ``_check``). Returns, per section, the ids renamed."""
    seen: set[str] = set()
    renamed: dict[int, set[str]] = {}
    for section in sections:
        explicit = set(_EXPLICIT_ID.findall(section.spec.text or ""))
        designed = section.spec.source is None  # a template's ids are the designer's, each meant
        for el in section.body.iter():
            eid = el.get("id")
            if not eid:
                continue
            if eid in seen and not (eid in explicit or designed
                                    or (el.tag == "h1" and section.spec.entry.id)):
                renamed.setdefault(id(section), set()).add(eid)
                new = f"{section.id}-{eid}"
                el.set("id", new)
                section.headings = [(lv, new if ident == eid else ident, text)
                                    for lv, ident, text in section.headings]
                eid = new
            seen.add(eid)
    return renamed


def _check(report: Report, problems: Problems, renamed: dict[int, set[str]],
           cited: Locator | None = None) -> None:
    """Unique ids across the report; every internal link, citation and image resolves;
    every heading the tables of contents list (contents, nav, NCX, bookmarks) exists.

    ``renamed``: per section, the automatic ids ``_unique_ids`` renamed for a clash;
    ``cited``: where the citations' markup is located (data/references.yaml)."""
    ids = report.ids
    for section in report.sections:
        for el in section.body.iter():
            eid = el.get("id")
            if not eid:
                continue
            if eid in ids:
                first = ids[eid]
                if section.spec.source is None and first.spec.source is not None and \
                        eid in _EXPLICIT_ID.findall(first.spec.text or ""):
                    # the editor's {#id} is the one to change
                    problems.add(f"the id '{eid}' is taken by {section.origin} (the design's):"
                                 " links to it would lead there; choose another",
                                 first.origin, _id_line(first.spec, eid))
                    continue
                problems.add(f"duplicate id '{eid}' (also in {ids[eid].origin})",
                             section.origin, _id_line(section.spec, eid))
                continue
            ids[eid] = section
    by_source = {s.spec.source: s for s in report.sections if s.spec.source}
    for section in report.sections:
        for _, ident, text in section.headings:
            if ident not in ids:
                problems.add(f"the heading '{text}' is listed in the contents as '#{ident}',"
                             " which is not its id (a bug in folio)", section.origin)
        problems.items.extend(unsafe_markup(section.body, section.origin, _source(report, section),
                                            template=section.spec.source is None, cited=cited))
        _link_citations(section, ids)
        for a in section.body.iter("a"):
            href = a.get("href")
            if href is None:
                continue
            if _is_chapter_file(href) and section.spec.source:
                resolved = _chapter_link(report, section, href, by_source, renamed, problems)
                if resolved:
                    a.set("href", resolved)
                continue
            if href.startswith("#"):
                if href[1:] in renamed.get(id(section), ()):
                    problems.add(f"ambiguous link '{href}': this section and {ids[href[1:]].origin}"
                                 " both have that heading; give the one you mean an explicit {#id}",
                                 section.origin, _line(section.spec, href))
                elif href[1:] not in ids:
                    problems.add(f"link to a missing id '{href}'", section.origin,
                                 _line(section.spec, href))
            elif scheme_of(href) is None:
                problems.add(f"link to a file '{href}': link to a section with #id instead",
                             section.origin, _line(section.spec, href))
        where = Locator(section.origin, section.spec.text or "")  # the n-th use of a path
        for img in section.body.iter("img"):
            _image(report, section, img, problems, where)


def _is_chapter_file(href: str) -> bool:
    """A relative link to a Markdown file (``ch02.md``, ``part/ch02.md#x``)."""
    path = href.partition("#")[0]
    return scheme_of(href) is None and path.lower().endswith(".md") and not path.startswith("/")


def _chapter_link(report: Report, section: Section, href: str, by_source: dict,
                  renamed: dict[int, set[str]], problems: Problems) -> str | None:
    """``ch02.md`` or ``ch02.md#x``, as multi-file books link, made the ``#id`` of that
    chapter (each edition then points it at the right file or page), or None and a problem.

    The fragment names an id of that chapter as its author sees it: an automatic id that the
    build renamed for a clash (``#summary`` -> ``#sorting-summary``) is followed."""
    path, _, fragment = href.partition("#")
    line = _line(section.spec, href)
    here = posixpath.dirname(section.spec.source or "")
    rel = posixpath.normpath(posixpath.join(here, unquote(path)))
    target = by_source.get(rel)
    if target is None:
        problems.add(f"link to '{path}', which is not a file of the reading order"
                     " (data/contents.yaml)", section.origin, line)
        return None
    if not fragment:
        return f"#{target.id}"
    if fragment in renamed.get(id(target), ()):
        fragment = f"{target.id}-{fragment}"
    if report.ids.get(fragment) is not target:
        problems.add(f"link to a missing id '#{fragment}' in {target.origin}", section.origin, line)
        return None
    return f"#{fragment}"


def _source(report: Report, section: Section) -> str:
    """The text a section comes from, to locate its problems: Markdown, else its template."""
    if section.spec.text is not None:
        return section.spec.text
    path = report.project.root / section.origin
    return path.read_text("utf-8", "replace") if path.is_file() else ""


def _link_citations(section: Section, ids: dict) -> None:
    """Make each in-text citation a link to its entry in the references section."""
    for span in section.body.iter("span"):
        keys = (span.get("data-cites") or "").split()
        if "citation" in (span.get("class") or "") and keys and f"ref-{keys[0]}" in ids \
                and span.find(".//a") is None:
            a = etree.SubElement(span, "a", href=f"#ref-{keys[0]}", role="doc-biblioref")
            a.text, span.text = span.text, None
            for child in list(span):
                if child is not a:
                    a.append(child)


def _image(report: Report, section: Section, img, problems: Problems, where: Locator) -> None:
    """An image must be a file inside the project; its path becomes project-relative."""
    src = unquote(img.get("src", ""))  # pandoc writes a space in a path as %20
    use = r"(?:!\[[^\]]*\]\(\s*<?|<img\b[^>]*?\bsrc\s*=\s*[\"']?)"  # ![alt](src) or <img src=
    line = where.line(use + re.escape(src), re.escape(src), re.escape(img.get("src", ""))) \
        if src else None
    if not img.get("alt"):
        img.set("alt", "")
    if scheme_of(src) in ("http", "https", "ftp"):
        problems.add(f"image '{src}' is on the network, which the build never reads:"
                     " save it inside the project and give its relative path", section.origin, line)
        return
    if scheme_of(src) or src.startswith(("/", "\\")):
        problems.add(f"image '{src}' must be a relative path inside the project", section.origin, line)
        return
    base = report.project.root / (Path(section.spec.source).parent if section.spec.source
                                  else "templates")
    path = (base / src).resolve()
    root = report.project.root.resolve()
    if not path.is_relative_to(root):
        problems.add(f"image '{src}' lies outside the project", section.origin, line)
    elif not path.is_file():
        problems.add(f"image not found: '{src}'", section.origin, line)
    else:
        rel = path.relative_to(root).as_posix()
        if _UNSAFE_NAME.search(rel) or output_name(rel) != rel:
            better = _UNSAFE_NAME.sub("-", src)
            problems.add(f"image '{src}' has a file name a web address must escape (the EPUB"
                         f" cannot carry it): rename the file, as '{better}'", section.origin, line)
            return
        unusable = image_problem(path)
        if unusable:
            problems.add(f"image '{src}' {unusable}", section.origin, line)
            return
        report.images[rel] = path
        img.set("src", rel)


#: Characters a file name of an edition may not hold: each would need escaping in a URL.
_UNSAFE_NAME = re.compile(r"[^\w./-]+")


def _line(spec: Spec, needle: str) -> int | None:
    """The first line of a section's Markdown that mentions ``needle``."""
    if not spec.text:
        return None
    index = spec.text.find(needle)
    if index < 0 and needle.startswith("#"):  # a cross-reference, written @fig:x
        index = spec.text.find("@" + needle[1:])
    return spec.text.count("\n", 0, index) + 1 if index >= 0 else None


def _id_line(spec: Spec, ident: str) -> int | None:
    """The line that declares ``{#ident}`` (a link to it may come first), else any mention."""
    text = spec.text or ""
    for match in _EXPLICIT_ID.finditer(text):
        if match.group(1) == ident:
            return text.count("\n", 0, match.start()) + 1
    return _line(spec, "#" + ident)


def _text(el) -> str:
    return " ".join("".join(el.itertext()).split())


def _slug(text: str) -> str:
    slug = re.sub(r"[^\w]+", "-", text.lower(), flags=re.UNICODE).strip("-")
    return slug if slug and slug[0].isalpha() else f"s-{slug}"
