"""Fallback fonts: the characters a bundled face lacks, drawn by a Noto font instead.

The bundle (``templates/fonts/``, the project's or the theme's) covers the scripts
its designer chose: Latin, Greek and Cyrillic for the default theme. A book may
quote Chinese, Japanese, Korean, Devanagari or Arabic, or use an emoji. Each
face the bundle declares gets, only for the characters of an edition it lacks,
further ``@font-face`` rules restricted by ``unicode-range`` to those characters
and pointing at a Noto font cut to them (:data:`CHAINS` says which, in order, for
a serif, a sans-serif and a monospaced face): in the EPUB and the site, rules of
the face's own family, weight and style; in the PDF, families of their own placed
after it (:func:`pdf_style`). An edition whose text the bundle covers gets no such
rule: its bytes are what they were without fallbacks.

The Noto fonts are in the package (``folio/theme/fallback/``, fetched and
checked by scripts/setup from the sha256 in ``fonts.txt``); nothing is read
from the system's fonts. A character that no font of the bundle or of the chain
covers is a located problem (:func:`check_report`), before any edition is made.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import uharfbuzz as hb

from folio.editions.subsets import open_face
from folio.errors import BuildError, Problem
from folio.theme import THEME, resolve

#: Where scripts/setup puts the fallback fonts.
FOLDER = THEME / "fallback"
#: Shared by every chain: scripts no bundle face is likely to have.
_SCRIPTS = ("NotoSansSymbols", "NotoSansSymbols2", "NotoEmoji")
#: The fonts tried, in order, for the characters a face of each kind lacks.
CHAINS: dict[str, tuple[str, ...]] = {
    "serif": ("NotoSerif", "NotoSerifDevanagari", "NotoNaskhArabic", "NotoSerifCJK", *_SCRIPTS),
    "sans": ("NotoSans", "NotoSansDevanagari", "NotoSansArabic", "NotoSansCJK", *_SCRIPTS),
    "mono": ("NotoSansMono", "NotoSansDevanagari", "NotoSansArabic", "NotoSansCJK", *_SCRIPTS),
}
#: The face of a CJK collection for a publication's language (the region's glyph forms).
CJK_FACES = {"ja": 0, "ko": 1, "zh": 2, "zh-hans": 2, "zh-cn": 2, "zh-sg": 2, "zh-hant": 3,
             "zh-tw": 3, "zh-hk": 4, "zh-mo": 4}
#: Simplified Chinese, where the language says nothing of CJK.
CJK_DEFAULT = 2
#: Characters no font needs to draw: spaces, controls, joiners and other default ignorables.
_UNDRAWN = re.compile("[\\s\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f"
                      "\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0"
                      "\U000e0000-\U000e0fff]")


@dataclass(frozen=True)
class Source:
    """One fallback font: a file of :data:`FOLDER` (a face of it, for a collection)."""

    name: str
    index: int = 0

    @property
    def path(self) -> Path:
        """The file, in :data:`FOLDER`."""
        return FOLDER / self.name

    @property
    def family(self) -> str:
        """The family a PDF knows it by: its faces of each weight together."""
        base = re.sub(r"-(Regular|Bold)$", "", self.name.rsplit(".", 1)[0])
        return f"Folio {base}-{self.index}" if self.name.endswith(".ttc") else f"Folio {base}"

    @property
    def stem(self) -> str:
        """The subset's file name without extension, unique per face of a collection."""
        base = self.name.rsplit(".", 1)[0]
        return f"{base}-{self.index}" if self.name.endswith(".ttc") else base

_FACES: dict[tuple[Path, int], hb.Face] = {}
_CMAPS: dict[Path | Source, frozenset[int]] = {}
_KINDS: dict[tuple[Path, str], str] = {}


def face(path: Path, index: int = 0) -> hb.Face:
    """A font file's face (of a collection, its ``index``), opened once per process."""
    if (path, index) not in _FACES:
        _FACES[path, index] = open_face(path, index)
    return _FACES[path, index]


def is_cff(source: Source) -> bool:
    """Whether a fallback's outlines are CFF (an OpenType .otf) rather than TrueType."""
    return "CFF " in face(source.path, source.index).table_tags


def cmap(which: Path | Source) -> frozenset[int]:
    """The code points a font file (or a fallback source) maps to a glyph, read by HarfBuzz
    (6 ms for a CJK face of 44,746; fontTools took 0.3 s, so an earlier design cached them
    in a file written by scripts/setup)."""
    if which not in _CMAPS:
        path, index = (which.path, which.index) if isinstance(which, Source) else (which, 0)
        _CMAPS[which] = frozenset(face(path, index).unicodes)
    return _CMAPS[which]


def pins() -> dict[str, str]:
    """The pinned sha256 of each fallback file, by name (``fonts.txt``)."""
    listing = FOLDER / "fonts.txt"
    lines = listing.read_text("utf-8").splitlines() if listing.is_file() else []
    return {parts[1]: parts[0] for line in lines if (parts := line.split()) and
            not line.startswith("#") and len(parts) == 3}


def pdf_style(bundle: Path, document: str, stylesheets: Iterable[str], language: str,
              cache: Path | None = None) -> str:
    """A ``<style>`` of the fallback faces a PDF's ``document`` (HTML) needs under its
    ``stylesheets``, or "" when the bundle draws every character.

    WeasyPrint tells fonts apart by family, weight and style, so a fallback cannot share
    its face's family as in the EPUB and the site: each is a family of its own (``Folio
    NotoSerifCJK-2``), its font in a ``data:`` URL, and every rule of the
    stylesheets that sets a font family is repeated with the fallbacks of each family
    after it. A face draws the characters the cascade gives it, and every character no
    bundled font has (a running head or a marker may show it in any face).
    """
    from lxml import html

    from folio.editions.fonts import face_texts, font_faces, subset_file

    faces = font_faces((bundle / "fonts.css").read_text("utf-8"))
    tree = html.document_fromstring(document)
    shown = drawn(tree.text_content())
    fonts = {f: cmap(bundle / f.src) for f in faces}
    # Characters every face draws need no cascade to place: most documents have no other.
    if not faces or all(all(ord(c) in have for have in fonts.values()) for c in shown):
        return ""
    alien = "".join(sorted(c for c in shown if not any(ord(c) in h for h in fonts.values())))
    texts = face_texts([tree], list(stylesheets), faces, html=True, paper=True)
    rules: list[str] = []
    after: dict[str, list[str]] = {}  # a bundled family -> its fallback families, in order
    for face in faces:
        kind, bold = kind_of(bundle / face.src, face.family), face.weight >= 600
        assigned, _ = assign(bundle / face.src, kind, bold, texts.get(face, "") + alien, language)
        for source in chain(kind, bold, language):
            if source not in assigned:
                continue
            family = source.family
            if family not in after.setdefault(face.family, []):
                after[face.family].append(family)
            data = subset_file(source.path, source.index, pins().get(source.name, source.name),
                               assigned[source] + " ", cache=cache)
            kind = "opentype" if is_cff(source) else "truetype"
            url = f"data:font/{'otf' if kind == 'opentype' else 'ttf'};base64," + \
                base64.b64encode(data).decode("ascii")
            rules.append(f'@font-face {{ font-family: "{family}"; src: url("{url}")'
                         f' format("{kind}"); font-weight: {face.weight};'
                         f" font-style: {face.style};"
                         f" unicode-range: {unicode_range(assigned[source])}; }}")
    if not rules:
        return ""
    rules += [rule for css in stylesheets for rule in _with_fallbacks(css, after)]
    return "<style>\n" + "\n".join(rules) + "\n</style>\n"


def _with_fallbacks(css: str, after: Mapping[str, list[str]], nested: bool = False) -> list[str]:
    """Each rule of ``css`` that sets a font family, again, setting only the family, with
    the fallbacks of each of its families after it (@media print and @page boxes too)."""
    import tinycss2

    from folio.editions.fonts import _declarations, _families, _shorthand

    out = []
    for rule in tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True) \
            if not nested else tinycss2.parse_blocks_contents(css, skip_comments=True,
                                                              skip_whitespace=True):
        if rule.type not in ("qualified-rule", "at-rule") or rule.content is None:
            continue
        prelude = tinycss2.serialize(rule.prelude).strip()
        if rule.type == "at-rule" and rule.lower_at_keyword == "media":
            if "print" in prelude.lower().split() or prelude.lower() == "print":
                inner = _with_fallbacks(tinycss2.serialize(rule.content), after)
                out += [f"@media {prelude} {{ {' '.join(inner)} }}"] if inner else []
            continue
        if rule.type == "at-rule" and rule.lower_at_keyword not in ("page", *_MARGINS):
            continue
        families: tuple[str, ...] = ()
        for name, value in ((d.lower_name, d.value) for d in _declarations(rule.content)):
            if name == "font-family":
                families = _families(value)
            elif name == "font":
                families = _shorthand(value, {"font-family": (), "font-weight": 400,
                                              "font-style": "normal"}).get("font-family", ())
        inner = _with_fallbacks(tinycss2.serialize(rule.content), after, nested=True) \
            if rule.type == "at-rule" and rule.lower_at_keyword == "page" else []
        extended = [q for f in families for q in (f, *after.get(f, ()))]
        own = f"font-family: {', '.join(_quoted(f) for f in extended)};" \
            if len(extended) > len(families) else ""
        if own or inner:
            at = f"@{rule.lower_at_keyword} " if rule.type == "at-rule" else ""
            out.append(f"{at}{prelude} {{ {own} {' '.join(inner)} }}")
    return out


#: The margin boxes of a page (CSS Paged Media), where running heads set their own font.
_MARGINS = tuple(f"{edge}-{place}" for edge in ("top", "bottom")
                 for place in ("left-corner", "left", "center", "right", "right-corner")) + \
    tuple(f"{edge}-{place}" for edge in ("left", "right") for place in ("top", "middle", "bottom"))
_GENERIC = frozenset({"serif", "sans-serif", "monospace", "cursive", "fantasy", "system-ui"})


def _quoted(family: str) -> str:
    return family if family in _GENERIC else '"' + family.replace('"', '\\"') + '"'


def kind_of(path: Path, family: str = "") -> str:
    """A bundled font's kind, for its chain: monospaced, sans-serif or serif, from the font
    (fixed pitch, its PANOSE class) or the names it goes by (``Report Sans``)."""
    if (path, family) not in _KINDS:
        font = face(path)
        names = f"{font.get_name(hb.OTNameIdPredefined.FONT_FAMILY) or ''} {family}".casefold()
        # PANOSE: ten bytes at offset 32 of OS/2 (family type, serif style, weight,
        # proportion...); post's isFixedPitch: a uint32 at offset 12.
        os2, post = font.reference_table("OS/2").data, font.reference_table("post").data
        panose = os2[32:42] if len(os2) >= 42 else None
        fixed = len(post) >= 16 and int.from_bytes(post[12:16], "big") != 0
        mono = fixed or (panose is not None and panose[3] == 9)
        sans = panose is not None and panose[0] == 2 and panose[1] in (11, 12, 13)
        _KINDS[path, family] = ("mono" if mono or "mono" in names else
                                "sans" if sans or "sans" in names or "gothic" in names else "serif")
    return _KINDS[path, family]


def chain(kind: str, bold: bool, language: str) -> list[Source]:
    """The fallback sources for a face of ``kind``, in order, of its weight where there is one."""
    cjk = CJK_FACES.get(language.casefold(), CJK_FACES.get(language.split("-")[0].casefold(),
                                                               CJK_DEFAULT))
    out = []
    for family in CHAINS[kind]:
        for weight in (("Bold", "Regular") if bold else ("Regular",)):
            for ext in (".ttf", ".ttc"):
                if (FOLDER / f"{family}-{weight}{ext}").is_file():
                    out.append(Source(f"{family}-{weight}{ext}", cjk if ext == ".ttc" else 0))
                    break
            else:
                continue
            break
    return out


def drawn(text: str) -> set[str]:
    """The characters of ``text`` a font must draw."""
    return set(_UNDRAWN.sub("", text))


def assign(font: Path, kind: str, bold: bool, text: str,
           language: str) -> tuple[dict[Source, str], str]:
    """Which fallback draws each character of ``text`` that ``font`` lacks: ({source:
    characters}, the characters none draws)."""
    have = cmap(font)
    missing = sorted(c for c in drawn(text) if ord(c) not in have)
    out: dict[Source, set[str]] = {}
    sources = chain(kind, bold, language) if missing else []
    lost = []
    for char in missing:
        source = next((s for s in sources if ord(char) in cmap(s)), None)
        if source is None:
            lost.append(char)
        else:
            out.setdefault(source, set()).add(char)
    return {s: "".join(sorted(c)) for s, c in out.items()}, "".join(lost)


def fallback_faces(bundle: Path, faces: list, texts: Mapping, language: str,
                   flavor: str | None,
                   cache: Path | None) -> tuple[list, dict]:
    """The fallback faces ``faces`` need for ``texts`` (each of a face's family, weight and
    style, its ``unicode-range`` the characters it draws), and one font file per fallback
    cut to all the characters it draws (and a space: WeasyPrint may set the space between
    two of them in it), keyed by the first face that names it."""
    from folio.editions.fonts import Face, inside, subset_files

    added: list = []
    wanted: dict[Source, set[str]] = {}
    for face in faces:
        path = inside(bundle, face.src)
        assigned, _ = assign(path, kind_of(path, face.family), face.weight >= 600, texts.get(face, ""),
                             language)
        for source, chars in sorted(assigned.items(), key=lambda item: item[0].name):
            ext = ".woff2" if flavor == "woff2" else (".otf" if is_cff(source)
                                                       else ".ttf")
            added.append(Face(face.family, face.weight, face.style,
                              f"fallback/{source.stem}{ext}", unicode_range(chars)))
            wanted.setdefault(source, set()).update(chars)
    pinned = pins()
    order = sorted(wanted.items(), key=lambda i: i[0].name)
    made = subset_files([(s.path, s.index, pinned.get(s.name, s.name), "".join(sorted(c | {" "})))
                         for s, c in order], flavor, cache)
    files = {next(f for f in added if f.src.startswith(f"fallback/{s.stem}.")): data
             for (s, _), data in zip(order, made, strict=True)}
    return added, files


def unicode_range(chars: Iterable[str]) -> str:
    """A CSS ``unicode-range`` of exactly these characters, runs joined (``U+4E00-4E01``)."""
    points = sorted({ord(c) for c in chars})
    runs: list[list[int]] = []
    for p in points:
        if runs and p == runs[-1][1] + 1:
            runs[-1][1] = p
        else:
            runs.append([p, p])
    return ", ".join(f"U+{a:X}" if a == b else f"U+{a:X}-{b:X}" for a, b in runs)


def check_report(report) -> None:
    """Raise a BuildError at each character of the report's sections (and of its title
    and publisher, which the cover shows) that neither the bundled fonts nor any fallback
    draws, at its chapter and line."""
    from folio.editions.fonts import font_faces

    bundle = resolve(report.project.root, "fonts/fonts.css").parent
    fonts = [bundle / f.src for f in font_faces((bundle / "fonts.css").read_text("utf-8"))]
    covered: set[int] = set().union(*(cmap(f) for f in fonts if f.is_file()))
    pub = report.publication
    shown = [(s.body.text_content(), s.spec.text or "", s) for s in report.sections]
    shown.append((" ".join(filter(None, (pub.title, pub.subtitle, pub.publisher,
                                         pub.institution, pub.description))),
                  report.project.files.get("data/publication.yaml", b"").decode("utf-8",
                                                                                 "replace"),
                  None))
    lost: dict[tuple[str | None, int | None], list[str]] = {}  # per line, in order
    everything: list[Source] | None = None
    for text, source, section in shown:
        missing = sorted(c for c in drawn(text) if ord(c) not in covered)
        if missing and everything is None:
            everything = [s for kind in CHAINS for bold in (False, True)
                          for s in chain(kind, bold, pub.language)]
        for char in missing:
            if any(ord(char) in cmap(s) for s in everything or ()):
                continue
            at = source.find(char)
            line = source.count("\n", 0, at) + 1 if at >= 0 else None
            where: tuple[str | None, int | None] = ("data/publication.yaml", line)
            if section is not None:
                where = section.spec.locate(line) if section.spec.source else (section.origin, None)
            lost.setdefault(where, []).append(char)
    problems = [Problem(f"no font draws {' '.join(chars)}"
                        f" ({', '.join(f'U+{ord(c):04X}' for c in chars)}): neither the bundled"
                        " fonts nor the fallbacks (folio/theme/fallback/fonts.txt)", *where)
                for where, chars in lost.items()]
    if problems:
        raise BuildError(problems)
