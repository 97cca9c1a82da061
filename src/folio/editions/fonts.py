"""Fonts for the EPUB and the website: only the faces an edition uses, cut to its characters.

The bundle (``templates/fonts/``) holds whole fonts, 1.8 MB of them. An edition
needs only the faces its stylesheets select for its text, and only the glyphs
of the characters that text holds. :func:`face_texts` runs a small cascade
(the user agent's bold and italic elements, then the edition's stylesheets,
with cssselect2, WeasyPrint's own selector engine) over the edition's
documents to find which characters each face shows; :func:`subset_font`
(``editions/subsets.py``) cuts a font to a text with fontTools, keeping every
OpenType feature so that small caps, ligatures and old-style figures still work.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import cssselect2
import tinycss2

from folio.editions import fallback
from folio.editions.subsets import _MADE, subset_file, subset_files, subset_font, subset_fonts
from folio.errors import BuildError

__all__ = ["_MADE", "Face", "edition_fonts", "face_texts", "font_faces", "subset_file",
           "subset_files", "subset_font", "subset_fonts"]

#: What browsers and reading systems make bold, italic or monospaced on their own.
USER_AGENT_CSS = """
h1, h2, h3, h4, h5, h6, b, strong, th, optgroup { font-weight: bold }
em, i, cite, var, dfn, address { font-style: italic }
code, pre, kbd, samp, tt { font-family: monospace }
"""
#: Elements whose text is never shown in the page's fonts.
UNSHOWN = frozenset({"head", "script", "style", "template"})
#: Inherited font properties this cascade follows.
PROPERTIES = ("font-family", "font-weight", "font-style")
#: The root's font before any stylesheet: a family no bundle holds.
INITIAL = {"font-family": (), "font-weight": 400, "font-style": "normal"}


@dataclass(frozen=True)
class Face:
    """One @font-face of the bundle: a family at one weight and style, in one file."""

    family: str
    weight: int
    style: str
    src: str
    """The font file, relative to the stylesheet that declares the face."""
    unicode_range: str | None = None
    """Only these characters (a fallback's face, ``editions/fallback.py``)."""


def font_faces(css: str) -> list[Face]:
    """The @font-face rules of a stylesheet (``templates/fonts/fonts.css``), in order."""
    faces = []
    for rule in tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True):
        if rule.type != "at-rule" or rule.lower_at_keyword != "font-face" or rule.content is None:
            continue
        values = {d.lower_name: d.value for d in _declarations(rule.content)}
        family = _families(values.get("font-family", []))
        urls = [t.value for t in values.get("src", []) if t.type == "url"]
        urls += [t.arguments[0].value for t in values.get("src", [])
                 if t.type == "function" and t.lower_name == "url" and t.arguments]
        if family and urls:
            faces.append(Face(family[0], _weight(values.get("font-weight", []), 400) or 400,
                              _style(values.get("font-style", [])) or "normal", urls[0]))
    return faces


def edition_fonts(bundle: Path, documents: Iterable, stylesheets: Iterable[str],
                  flavor: str | None = None, html: bool = False,
                  extra: Mapping[str, str] | None = None,
                  cache: Path | None = None, language: str = "") -> dict[str, bytes]:
    """``fonts/fonts.css`` and the faces it declares, for one edition: only the faces its
    ``documents`` show under its ``stylesheets``, each cut to the characters it shows.

    ``bundle`` is the folder of the whole fonts and their ``fonts.css``;
    ``extra`` maps a family to text it may show beyond the documents' (what a
    search box types and lists); ``flavor`` ``"woff2"`` makes web fonts; ``cache``
    is a folder of earlier subsets (see :func:`subset_font`). Characters a face lacks
    get a fallback font's face (``editions/fallback.py``; ``language`` picks a CJK region).
    """
    faces = font_faces((bundle / "fonts.css").read_text("utf-8"))
    texts = face_texts(documents, list(stylesheets), faces, html=html)
    for family, text in (extra or {}).items():
        for face in faces:
            if face.family.casefold() == family.casefold():
                texts[face] = "".join(sorted(set(texts.get(face, "")) | set(text)))
    kept = [face for face in faces if face in texts]
    files = subset_fonts({face.src: inside(bundle, face.src).read_bytes() for face in kept},
                         {face.src: texts[face] for face in kept}, flavor, cache)
    renamed = {face: (posixpath.splitext(face.src)[0] + ".woff2" if flavor == "woff2"
                      else face.src) for face in kept}
    out = {f"fonts/{name}": data for name, data in files.items()}
    added, subsets = fallback.fallback_faces(bundle, kept, texts, language, flavor, cache)
    out.update((f"fonts/{face.src}", data) for face, data in subsets.items())
    out["fonts/fonts.css"] = font_css(kept + added, {**renamed, **{f: f.src for f in added}},
                                      flavor).encode("utf-8")
    return out


def cut_edition_fonts(bundle: Path, documents: list[bytes], stylesheet: str,
                      cache: Path | None, language: str) -> dict[str, bytes]:
    """:func:`edition_fonts` of XML ``documents`` (bytes) under one stylesheet: the EPUB's
    fonts, as a job of the build's pool (``editions.catalog.EPUB``), where it runs beside
    the site's fonts instead of after the PDFs."""
    from lxml import etree

    return edition_fonts(bundle, [etree.fromstring(data) for data in documents], [stylesheet],
                         cache=cache, language=language)


def inside(bundle: Path, src: str) -> Path:
    """The file a @font-face names, which must lie inside the bundle's folder."""
    path = (bundle / src).resolve()
    if not path.is_relative_to(bundle.resolve()) or not path.is_file():
        raise BuildError(f"@font-face names a font outside the bundle or missing: {src}",
                         str(bundle / "fonts.css"))
    return path


def font_css(faces: list[Face], src: Mapping[Face, str], flavor: str | None) -> str:
    """The @font-face rules of ``faces``, each pointing at its file in ``src``."""
    lines = ["/* The faces this edition shows, cut to its characters (folio.editions.fonts). */"]
    for face in faces:
        name = src[face]
        kind = flavor or ("truetype" if name.lower().endswith(".ttf") else "opentype")
        only = f"  unicode-range: {face.unicode_range};\n" if face.unicode_range else ""
        lines.append("@font-face {\n"
                     f'  font-family: "{face.family}";\n'
                     f'  src: url("{name}") format("{kind}");\n'
                     f"  font-weight: {face.weight};\n"
                     f"  font-style: {face.style};\n"
                     f"{only}}}")
    return "\n".join(lines) + "\n"


def face_texts(documents: Iterable, stylesheets: Iterable[str], faces: list[Face],
               html: bool = False, paper: bool = False) -> dict[Face, str]:
    """The characters each face shows in ``documents`` (lxml trees) under ``stylesheets``.

    Faces that show nothing are left out. Rules inside ``@media print`` are
    skipped; rules under other media queries count (a wide screen or a dark
    scheme may apply them). With ``paper`` (a PDF), the other way round: only
    ``@media print`` counts.
    """
    # The user agent's rules lose to any author rule, whatever their specificity.
    rules = [(0, rule) for rule in _rules(USER_AGENT_CSS, paper)]
    rules += [(1, rule) for css in stylesheets for rule in _rules(css, paper)]
    matcher = cssselect2.Matcher()
    for n, (origin, (selector, declarations)) in enumerate(rules):
        matcher.add_selector(selector, (origin, n, declarations))
    chars: dict[Face, set[str]] = {}
    for tree in documents:
        root = tree.getroot() if hasattr(tree, "getroot") else tree
        wrapper = (cssselect2.ElementWrapper.from_html_root(root) if html
                   else cssselect2.ElementWrapper.from_xml_root(root))
        _walk(wrapper, dict(INITIAL), matcher, faces, chars)
    return {face: "".join(sorted(c)) for face, c in chars.items()
            if "".join(c).strip()}


def _walk(element, parent: dict, matcher, faces, chars) -> None:
    if element.local_name in UNSHOWN:
        return
    own: dict[str | None, list] = {}
    for specificity, _, pseudo, (origin, n, declarations) in matcher.match(element):
        own.setdefault(pseudo, []).append(((origin, specificity, n), declarations))
    style = _cascade(parent, own.get(None, ()))
    face = _face(style, faces)
    etree_el = element.etree_element
    if face is not None:
        bucket = chars.setdefault(face, set())
        bucket.update(etree_el.text or "")
        bucket.update("".join((child.tail or "") for child in etree_el))
    for pseudo in ("before", "after"):
        if pseudo in own:
            pseudo_style = _cascade(style, own[pseudo])
            content = pseudo_style.get("content", "")
            pseudo_face = _face(pseudo_style, faces)
            if content and pseudo_face is not None:
                chars.setdefault(pseudo_face, set()).update(content)
    for child in element.iter_children():
        _walk(child, style, matcher, faces, chars)


def _cascade(parent: dict, matched) -> dict:
    """The element's font properties: inherited, then the matched rules by specificity and order."""
    style = {k: parent[k] for k in PROPERTIES}
    for _, declarations in sorted(matched, key=lambda m: m[0]):
        for name, tokens in declarations:
            if name == "font":
                style.update(_shorthand(tokens, style))
            elif name == "font-family":
                style["font-family"] = _families(tokens) or style["font-family"]
            elif name == "font-weight":
                style["font-weight"] = _weight(tokens, style["font-weight"]) or style["font-weight"]
            elif name == "font-style":
                style["font-style"] = _style(tokens) or style["font-style"]
            elif name == "content":
                style["content"] = _content(tokens)
    return style


def _face(style: dict, faces: list[Face]) -> Face | None:
    """The bundled face a browser picks for a style (CSS Fonts' matching, simplified)."""
    for family in style["font-family"]:
        candidates = [f for f in faces if f.family.casefold() == family.casefold()]
        if not candidates:
            continue
        italic = style["font-style"] in ("italic", "oblique")
        same_style = [f for f in candidates if (f.style != "normal") == italic] or candidates
        weight = style["font-weight"]
        # Heavier faces first for bold requests, lighter first for regular ones.
        return min(same_style, key=lambda f: (abs(f.weight - weight),
                                              f.weight < weight if weight >= 500 else f.weight > weight))
    return None


def _rules(css: str, paper: bool = False) -> list:
    """(compiled selector, font declarations) of a stylesheet, @media print left out (with
    ``paper``, every other media query left out)."""
    out = []
    for rule in tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True):
        if rule.type == "at-rule" and rule.lower_at_keyword == "media" and rule.content:
            query = tinycss2.serialize(rule.prelude).strip().lower()
            if ("print" in query.split() or query == "print") == paper:
                out += _rules(tinycss2.serialize(rule.content), paper)
            continue
        if rule.type != "qualified-rule":
            continue
        declarations = [(d.lower_name, d.value) for d in _declarations(rule.content)
                        if d.lower_name in ("font", "content", *PROPERTIES)]
        if not declarations:
            continue
        try:
            selectors = cssselect2.compile_selector_list(rule.prelude)
        except cssselect2.SelectorError:
            continue  # a selector this engine does not know: its elements keep their font
        out += [(selector, declarations) for selector in selectors
                if selector.pseudo_element in (None, "before", "after")]
    return out


def _declarations(content) -> list:
    return [d for d in tinycss2.parse_blocks_contents(content, skip_comments=True,
                                                      skip_whitespace=True)
            if d.type == "declaration"]


def _families(tokens) -> tuple[str, ...]:
    families: list[str] = []
    words: list[str] = []
    for token in [*tokens, None]:
        if token is None or (token.type == "literal" and token.value == ","):
            if words:
                families.append(" ".join(words))
            words = []
        elif token.type == "string":
            words.append(token.value)
        elif token.type == "ident":
            words.append(token.value)
    return tuple(families)


def _weight(tokens, inherited: int) -> int | None:
    for token in tokens:
        if token.type == "ident":
            name = token.lower_value
            if name in ("normal", "bold"):
                return 400 if name == "normal" else 700
            if name == "bolder":
                return 700 if inherited < 600 else 900
            if name == "lighter":
                return 400 if inherited > 500 else 100
        if token.type == "number" and token.is_integer:
            return token.int_value
    return None


def _style(tokens) -> str | None:
    for token in tokens:
        if token.type == "ident" and token.lower_value in ("normal", "italic", "oblique"):
            return token.lower_value
    return None


def _shorthand(tokens, style: dict) -> dict:
    """``font: [style] [weight] size[/line-height] family``: what it sets, the rest reset."""
    tokens = [t for t in tokens if t.type not in ("whitespace", "comment")]
    out = {"font-weight": 400, "font-style": "normal"}
    for i, token in enumerate(tokens):
        if token.type in ("dimension", "percentage") or (
                token.type == "number" and i + 1 < len(tokens) and tokens[i + 1].type == "literal"):
            rest = tokens[i + 1:]
            if rest and rest[0].type == "literal" and rest[0].value == "/":
                rest = rest[2:]
            out["font-family"] = _families(rest) or style["font-family"]
            break
        out["font-weight"] = _weight([token], style["font-weight"]) or out["font-weight"]
        out["font-style"] = _style([token]) or out["font-style"]
    return out


def _content(tokens) -> str:
    """The characters ``content`` may show: its strings, and digits for its counters."""
    text = []
    for token in tokens:
        if token.type == "string":
            text.append(token.value)
        elif token.type == "function" and token.lower_name in ("counter", "counters"):
            text.append("0123456789.")
    return "".join(text)
