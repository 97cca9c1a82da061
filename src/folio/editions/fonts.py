"""Fonts for the EPUB and the website: only the faces an edition uses, cut to its characters.

The bundle (``templates/fonts/``) holds whole fonts, 1.8 MB of them. An edition
needs only the faces its stylesheets select for its text, and only the glyphs
of the characters that text holds. :func:`face_texts` runs a small cascade
(the user agent's bold and italic elements, then the edition's stylesheets,
with cssselect2, WeasyPrint's own selector engine) over the edition's
documents to find which characters each face shows; :func:`subset_font` cuts a
font to a text with fontTools, keeping every OpenType feature so that small
caps, ligatures and old-style figures still work. The output depends only on
its input: fontTools is told not to stamp the font with the clock, and WOFF2
(brotli) is deterministic.
"""

from __future__ import annotations

import hashlib
import io
import logging
import posixpath
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import cssselect2
import fontTools
import tinycss2
from fontTools.ttLib import TTFont

from folio.editions import fallback
from folio.errors import BuildError
from folio.pipeline.output import write_file

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


#: Subsets made in this process, by (font digest, characters, flavor): a preview that
#: rebuilds the site on every save cuts each font again only when its characters change.
_MADE: dict[tuple[str, str, str | None], bytes] = {}
#: How many subsets to keep (a few editions' faces).
_KEEP = 48


def subset_font(data: bytes, text: str, flavor: str | None = None,
                cache: Path | None = None) -> bytes:
    """A font cut to the glyphs ``text`` needs, with all its OpenType features and names.

    ``flavor`` is None (the font's own format, OTF or TTF) or ``"woff2"``.
    Reusable for any font and text: the same input gives the same bytes. With a
    ``cache`` folder (the build's ``.cache/fonts``) a subset made by an earlier
    build is read back instead of cut again (a few seconds on a slow machine).
    """
    return _cut([_of_bytes(data, text, flavor)], cache)[0]


def subset_file(path: Path, index: int, digest: str, text: str, flavor: str | None = None,
                cache: Path | None = None) -> bytes:
    """:func:`subset_font` of face ``index`` of a font file (a collection's, say) whose
    sha256 is ``digest``: the file is read only when no subset of it is cached."""
    return subset_files([(path, index, digest, text)], flavor, cache)[0]


def subset_files(files: Iterable[tuple[Path, int, str, str]], flavor: str | None = None,
                 cache: Path | None = None) -> list[bytes]:
    """:func:`subset_file` of each (path, index, digest, text), cut side by side."""
    return _cut([((f"{digest}:{index}", "".join(sorted(set(text))), flavor),
                  partial(TTFont, path, fontNumber=index, recalcTimestamp=False))
                 for path, index, digest, text in files], cache)


def _of_bytes(data: bytes, text: str, flavor: str | None) -> tuple[tuple[str, str, str | None], Callable[[], TTFont]]:
    return ((hashlib.sha256(data).hexdigest(), "".join(sorted(set(text))), flavor),
            lambda: TTFont(io.BytesIO(data), recalcTimestamp=False))


#: Threads that cut fonts side by side: WOFF2's brotli, 40 % of a web font's time, lets go
#: of the GIL, so one face compresses while the next is cut.
THREADS = 2


def _cut(requests: list[tuple[tuple[str, str, str | None], Callable[[], TTFont]]],
         cache: Path | None) -> list[bytes]:
    """Each (key, loader) cut to its key's text and flavor, or read back from this process's
    subsets or the ``cache`` folder; what is cut is kept in both."""
    out: list[bytes | None] = [_MADE.get(key) for key, _ in requests]
    stored = [None if cache is None else cache / (
        hashlib.sha256(repr((*key, fontTools.version)).encode("utf-8")).hexdigest()
        + f".{key[2] or 'font'}") for key, _ in requests]
    for i, path in enumerate(stored):
        if out[i] is None and path is not None and path.is_file():
            out[i] = path.read_bytes()
    todo = [i for i, made in enumerate(out) if made is None]

    def cut(i: int) -> bytes:
        (_, text, flavor), load = requests[i]
        return _subset(load(), text, flavor)

    logger = logging.getLogger("fontTools")
    level = logger.level
    logger.setLevel(logging.ERROR)  # fontTools warns about the bundle's odd glyph widths
    try:
        if len(todo) > 1:
            with ThreadPoolExecutor(THREADS, thread_name_prefix="folio-fonts") as pool:
                made = list(pool.map(cut, todo))
        else:
            made = [cut(i) for i in todo]
    finally:
        logger.setLevel(level)
    for i, data in zip(todo, made, strict=True):
        out[i] = data
        path = stored[i]
        if path is not None:
            write_file(path, data)
    done = [data for data in out if data is not None]
    for (key, _), data in zip(requests, done, strict=True):
        if key not in _MADE and len(_MADE) >= _KEEP:
            _MADE.pop(next(iter(_MADE)))
        _MADE[key] = data
    return done


def _subset(font: TTFont, text: str, flavor: str | None) -> bytes:
    # The font is loaded with fontTools' default laziness, not lazy=False: that expanded
    # every glyph of a TrueType font (a fallback's thousands) to keep a handful, 0.25 s
    # of the 0.27 s a Noto Emoji subset took. The subset's bytes are the same.
    # Imported here: a build whose subsets are all cached (an edit's) does not load it (0.1 s).
    from fontTools import subset

    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.glyph_names = False
    options.drop_tables = [*options.drop_tables, "FFTM"]  # FontForge's timestamps
    options.flavor = flavor
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=text)
    subsetter.subset(font)
    out = io.BytesIO()
    font.flavor = flavor
    font.save(out)
    return out.getvalue()


def subset_fonts(fonts: Mapping[str, bytes], text: str | Mapping[str, str],
                 flavor: str | None = None, cache: Path | None = None) -> dict[str, bytes]:
    """Each font cut to ``text`` (one text for all, or a text per font name), side by side.

    Keys are kept, with the extension changed to ``.woff2`` for that flavor.
    """
    names = sorted(fonts)
    made = _cut([_of_bytes(fonts[name], text if isinstance(text, str) else text.get(name, ""),
                           flavor) for name in names], cache)
    return {(posixpath.splitext(name)[0] + ".woff2" if flavor == "woff2" else name): data
            for name, data in zip(names, made, strict=True)}


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
