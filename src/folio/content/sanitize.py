"""Raw HTML in a section: refuse what runs code, loads other files or reaches the network.

pandoc passes raw HTML through, so a chapter can carry ``<script>``, an
``onclick=`` handler or a ``javascript:`` link into all three editions. The
build refuses them, each with the line of the source that holds it, rather than
removing them silently: an editor should see and fix the source. The rules:

- elements refused: those that run code (``script``, ``noscript``), embed
  another document (``iframe``, ``frame``, ``frameset``, ``object``, ``embed``,
  ``applet``, ``portal``), change how the page loads or looks (``style``,
  ``link``, ``meta``, ``base``: styles belong in ``templates/css/``), forms, and
  media other than images (``svg``, ``audio``, ``video``, ``source``, ``track``,
  ``picture``: a figure is an image file, ``![alt](img/x.png)``);
- attributes refused: event handlers (``on*``), those that load a URL the build
  does not check (``srcset``, ``background``, ``ping``, ``action``,
  ``formaction``, ``xlink:href``), and a ``style`` that loads one (``url(``,
  ``image-set(``, ``@import``, ``expression(``, or a CSS escape that could hide them);
- URLs refused in any attribute: ``javascript:``, ``vbscript:`` and ``data:``
  (and, for links, any scheme but http, https, mailto and tel; ``file:`` above all).
  An image's ``src`` is checked by the document stage (a file inside the project).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import etree

from folio.errors import Problem

CODE = ("script", "noscript")
EMBEDS = ("iframe", "frame", "frameset", "object", "embed", "applet", "portal")
PAGE = ("style", "link", "meta", "base")
FORMS = ("form", "input", "button", "textarea", "select")
MEDIA = ("svg", "audio", "video", "source", "track", "picture")
_REASONS = {
    **dict.fromkeys(CODE, "it runs code"),
    **dict.fromkeys(EMBEDS, "it embeds another document"),
    **dict.fromkeys(PAGE, "it changes how the page loads; styles belong in templates/css/"),
    **dict.fromkeys(FORMS, "a report has no forms"),
    **dict.fromkeys(MEDIA, "only images are supported: ![alt](img/figure.png)"),
}
#: Attributes whose value is a URL that something (a browser, WeasyPrint) may load.
LOADING = ("srcset", "background", "ping", "action", "formaction", "xlink:href")
#: Attributes holding a URL: each is checked for a scheme that runs code.
URLS = ("href", "src", "data", "cite", "longdesc", "poster", "usemap", "codebase",
        "lowsrc", "dynsrc", "manifest", *LOADING)
#: Schemes a link may use; everything else (file:, javascript:, data:...) is refused.
LINK_SCHEMES = ("http", "https", "mailto", "tel")
CODE_SCHEMES = ("javascript", "vbscript", "livescript", "data")
_LOADING_CSS = re.compile(r"url\s*\(|image-set\s*\(|image\s*\(|@import|expression\s*\(|\\",
                          re.IGNORECASE)
_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*):")
_XLINK = "{http://www.w3.org/1999/xlink}href"
#: Characters XML 1.0 forbids: no edition (XHTML, the EPUB) can carry them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_unsafe(text: str) -> str | None:
    """The first character of ``text`` that no XML document may hold, as ``U+XXXX``."""
    found = _NOT_XML.search(text)
    return f"U+{ord(found.group()):04X}" if found else None


def unsafe_characters(text: str, origin: str) -> list[Problem]:
    """A problem at each line of ``text`` holding a character no XML document may hold."""
    problems = []
    for number, line in enumerate(text.split("\n"), 1):  # splitlines() splits at \x0c too
        bad = xml_unsafe(line)
        if bad:
            problems.append(Problem(f"the character {bad} is not allowed in text", origin, number))
    return problems


def scheme_of(url: str) -> str | None:
    """A URL's scheme as a browser reads it: controls and spaces ignored, lower case."""
    found = _SCHEME.match(re.sub(r"[\x00-\x20\x7f]+", "", url).lower())
    return found.group(1) if found else None


def link_problem(href: str) -> str | None:
    """Why a link's ``href`` is refused, or None (fragments and relative paths are the
    document stage's business)."""
    scheme = scheme_of(href)
    if scheme is None or scheme in LINK_SCHEMES:
        return None
    if scheme in CODE_SCHEMES:
        return f"a '{scheme}:' URL is not allowed: it runs code or hides a document"
    if scheme == "file":
        return f"a link to '{href}' is not allowed: a file: URL reads outside the project"
    return f"link '{href}': the scheme '{scheme}:' is not allowed (use {', '.join(LINK_SCHEMES)})"


@dataclass
class Locator:
    """Finds the line of the n-th occurrence of a pattern in a section's source."""

    origin: str
    text: str
    counts: dict[str, int] = field(default_factory=dict)

    def line(self, *patterns: str) -> int | None:
        """The line of the n-th match of the first pattern that matches at all, where this
        is the n-th time that pattern is asked for."""
        for pattern in patterns:
            matches = list(re.finditer(pattern, self.text, re.IGNORECASE))
            if matches:
                n = self.counts[pattern] = self.counts.get(pattern, 0) + 1
                found = matches[min(n, len(matches)) - 1]
                return self.text.count("\n", 0, found.start()) + 1
        return None

    def problem(self, message: str, *patterns: str) -> Problem:
        return Problem(message, self.origin, self.line(*patterns))


def unsafe_markup(body: etree._Element, origin: str, text: str,
                  template: bool = False) -> list[Problem]:
    """Every refused element, attribute and URL in a section's tree, located in ``text``
    (the section's Markdown or template source).

    A section rendered from a template alone (``template=True``) is presentation, like the
    CSS: its elements (an inline ``<svg>``, say) are the designer's; only its event handlers
    and URLs, which may come from data/, are checked.
    """
    where = Locator(origin, text or "")
    problems: list[Problem] = []
    _visit(body, where, problems, template)
    return problems


def _visit(el, where: Locator, problems: list[Problem], template: bool) -> None:
    """Check an element and its descendants (an unclosed <embed> may hold the rest)."""
    if isinstance(el.tag, str):  # comments (and PIs, which lxml's HTML parser makes comments)
        tag = el.tag.lower()
        if tag in _REASONS and not template:
            problems.append(where.problem(f"raw HTML <{tag}> is not allowed: {_REASONS[tag]}",
                                          rf"<\s*{tag}\b"))
        else:
            problems += _attributes(el, tag, where, template)
    for child in el:
        _visit(child, where, problems, template)


def _attributes(el, tag: str, where: Locator, template: bool) -> list[Problem]:
    problems = []
    for name, value in el.attrib.items():
        name = "xlink:href" if name == _XLINK else name.lower()
        # In raw HTML the attribute sits in its tag; in pandoc's {attr=...} syntax, alone.
        pattern = (rf"<\s*{tag}\b[^>]*?\b{re.escape(name)}\s*=", rf"\b{re.escape(name)}\s*=")
        if name.startswith("on"):
            problems.append(where.problem(f"raw HTML attribute '{name}' is not allowed:"
                                          " event handlers run code", *pattern))
        elif name in LOADING and not template:
            problems.append(where.problem(f"raw HTML attribute '{name}' is not allowed: it loads"
                                          " a URL the build does not check", *pattern))
        elif name == "style" and not template and _LOADING_CSS.search(value):
            problems.append(where.problem("a style attribute that loads a URL is not allowed;"
                                          " styles belong in templates/css/", *pattern))
        elif name in URLS and not (tag == "img" and name == "src"):
            reason = link_problem(value) if tag in ("a", "area") and name == "href" else \
                _code_url(value)
            if reason:
                problems.append(where.problem(reason, re.escape(value.strip()), *pattern))
    return problems


def _code_url(value: str) -> str | None:
    scheme = scheme_of(value)
    if scheme in CODE_SCHEMES or scheme == "file":
        return f"a '{scheme}:' URL is not allowed here"
    return None
