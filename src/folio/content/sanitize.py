"""Raw HTML in a section: only what pandoc writes, and inert markup a report may use.

pandoc passes raw HTML through, and citeproc passes the markup of a reference's
title or name through too, so a chapter or ``data/references.yaml`` could carry
``<script>``, an ``onclick=`` handler or a ``javascript:`` link into all three
editions. Every section made from Markdown, and the bibliography, is checked
against one allowlist, :data:`ALLOWED`: the elements pandoc's HTML writer emits,
plus inert phrase and block elements of real books, each with the attributes it
may carry beyond :data:`GLOBAL`. Anything else is refused with the line of the
source that holds it, not removed silently: an editor should see and fix the
source. Some refusals say why (:data:`REFUSED`): elements that run code, embed
another document, change how the page loads, forms, media other than images,
obsolete presentational ones (``<font>``). Obsolete elements that have a valid
equivalent are renamed instead (:data:`RENAMED`, :func:`raw_text_blocks`:
``<listing>`` and ``<xmp>`` become ``<pre>``, ``<tt>`` ``<code>``...), and so are
obsolete attributes (``align``, ``width``: :data:`STYLED`), so that what reaches
an edition is valid both as HTML5 and as EPUB's XHTML.

Attributes refused everywhere: event handlers (``on*``), those that load a URL
the build does not check (``srcset``, ``background``...), a ``style`` that loads
one (``url(``, ``@import``, a CSS escape that could hide them), and URLs with
``javascript:``, ``vbscript:`` or ``data:`` (for links, any scheme but http,
https, mailto and tel). An image's ``src`` is checked by the gather stage.

A section rendered from a template alone is presentation, like the CSS (an
inline ``<svg>`` icon is the designer's choice): only its event handlers and
URLs, which may come from data/, are checked. Data reaches a template
autoescaped; the only markup it is given is pandoc's, checked here first.
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
#: Obsolete presentational elements no edition can carry (HTML5 and EPUB's XHTML drop them).
PRESENTATIONAL = ("font", "basefont", "big", "blink", "marquee", "nobr", "spacer", "multicol")
#: Why a well-known element is refused (anything else outside ALLOWED is refused too).
REFUSED = {
    **dict.fromkeys(CODE, "it runs code"),
    **dict.fromkeys(EMBEDS, "it embeds another document"),
    **dict.fromkeys(PAGE, "it changes how the page loads; styles belong in templates/css/"),
    **dict.fromkeys(FORMS, "a report has no forms"),
    **dict.fromkeys(MEDIA, "only images are supported: ![alt](img/figure.png)"),
    **dict.fromkeys(PRESENTATIONAL, "it is obsolete in HTML5 and EPUB; use Markdown"
                    " (*emphasis*, **strong**) or a class ([text]{.name}) styled in templates/css/"),
    "plaintext": "it is obsolete and swallows the rest of the page; use a code block (```)",
}
#: Obsolete elements of real books that have a valid equivalent, renamed in the tree
#: (``<listing>`` and ``<xmp>``, whose text is not Markdown, become ``<pre>`` in the source:
#: :func:`raw_text_blocks`).
RENAMED = {"tt": "code", "strike": "s", "acronym": "abbr", "center": "div", "dir": "ul"}
#: Obsolete attributes with a valid equivalent: (elements, attribute) -> CSS property.
STYLED = {("align", "p div h1 h2 h3 h4 h5 h6 td th tr caption center"): "text-align",
          ("valign", "td th tr"): "vertical-align", ("width", "col colgroup td th"): "width"}
#: The allowlist: element -> the attributes it may carry beyond GLOBAL. pandoc's HTML5
#: writer emits the first group (from Markdown, and citeproc's bibliography); the second is
#: inert markup of real books written as raw HTML. Extend it here, one line per element.
ALLOWED: dict[str, tuple[str, ...]] = {
    # pandoc
    "section": (), "div": (), "span": (), "p": (), "br": (), "hr": (),
    "h1": (), "h2": (), "h3": (), "h4": (), "h5": (), "h6": (),
    "a": ("href", "rel", "hreflang", "type", "target", "tabindex"),
    "em": (), "strong": (), "code": (), "pre": (), "kbd": (), "sup": (), "sub": (),
    "del": ("cite", "datetime"), "ins": ("cite", "datetime"), "u": (), "mark": (),
    "q": ("cite",), "blockquote": ("cite",), "label": (),
    "ul": (), "ol": ("start", "type", "reversed"), "li": ("value",),
    "dl": (), "dt": (), "dd": (),
    "table": (), "caption": (), "colgroup": ("span",), "col": ("span",),
    "thead": (), "tbody": (), "tfoot": (), "tr": (),
    "th": ("colspan", "rowspan", "headers", "scope", "abbr"),
    "td": ("colspan", "rowspan", "headers"),
    "figure": (), "figcaption": (), "img": ("src", "alt", "width", "height"),
    "aside": (), "nav": (), "header": (), "footer": (),
    # raw HTML of real books
    "abbr": (), "b": (), "i": (), "s": (), "small": (), "cite": (), "dfn": (), "samp": (),
    "var": (), "time": ("datetime",), "wbr": (), "bdi": (), "bdo": (), "ruby": (), "rt": (),
    "rp": (), "address": (), "article": (), "hgroup": (), "details": ("open",), "summary": (),
    "data": ("value",),
}
#: Attributes every allowed element may carry; and prefixes of attribute families.
GLOBAL = ("id", "class", "title", "lang", "xml:lang", "dir", "role", "style", "hidden",
          "translate", "epub:type")
GLOBAL_PREFIXES = ("data-", "aria-")
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


_RAW_TEXT = re.compile(r"<(listing|xmp)\b[^>]*>(.*?)</\1\s*>", re.IGNORECASE | re.DOTALL)


def raw_text_blocks(text: str, in_code) -> str:
    """A chapter's Markdown with each ``<listing>`` and ``<xmp>`` (outside code, as
    ``in_code(text, index)`` tells) made the ``<pre>`` it displays as: ``<xmp>``'s text shown
    as written (escaped), ``<listing>``'s as HTML. Line numbers stay those of the source,
    and pandoc passes a ``<pre>`` through verbatim where it would read the others' text as
    Markdown."""
    def pre(match: re.Match) -> str:
        if in_code(text, match.start()):
            return match.group(0)
        inner = match.group(2)
        if match.group(1).lower() == "xmp":
            inner = inner.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return f"<pre>{inner}</pre>"

    return _RAW_TEXT.sub(pre, text)


def modernise(body: etree._Element) -> None:
    """Rename the obsolete elements and attributes of :data:`RENAMED` and :data:`STYLED`
    (and an anchor's ``name``) to their valid equivalents, in place."""
    for el in body.iter():
        if not isinstance(el.tag, str):
            continue
        tag = el.tag.lower()
        for (attr, tags), prop in STYLED.items():
            value = (el.get(attr) or "").strip() if tag in tags.split() else ""
            if re.fullmatch(r"[\w.%-]+", value):  # anything else stays, and is refused
                del el.attrib[attr]
                value += "px" if prop == "width" and value.isdigit() else ""
                style = el.get("style", "").strip().rstrip(";")
                el.set("style", f"{style + '; ' if style else ''}{prop}: {value}")
        if tag == "center":
            style = el.get("style", "").strip().rstrip(";")
            el.set("style", f"{style + '; ' if style else ''}text-align: center")
        if tag in RENAMED:
            el.tag = RENAMED[tag]
        if tag == "a" and el.get("name") is not None:
            name = el.attrib.pop("name")
            if el.get("id") is None:
                el.set("id", name)


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


def unsafe_markup(body: etree._Element, origin: str, text: str, template: bool = False,
                  cited: Locator | None = None) -> list[Problem]:
    """Every refused element, attribute and URL in a section's tree, located in ``text``
    (the section's Markdown or template source).

    A section rendered from a template alone (``template=True``) is presentation, like the
    CSS: its elements (an inline ``<svg>``, say) are the designer's; only its event handlers
    and URLs, which may come from data/, are checked. What citeproc wrote inside a
    citation comes from the references: ``cited`` locates it there.
    """
    where = Locator(origin, text or "")
    problems: list[Problem] = []
    # Iterative, not recursive: a deeply nested tree must not exhaust Python's stack.
    stack = [(body, where, False)]
    while stack:
        el, at, refused = stack.pop()
        if isinstance(el.tag, str):  # comments (and PIs, which lxml's HTML parser makes comments)
            tag = el.tag.lower()
            if cited is not None and tag == "span" and el.get("data-cites"):
                at = cited
            problem = None if template else _element_problem(tag, at, refused)
            if problem:
                problems.append(problem)
                refused = True
            else:
                problems += _attributes(el, tag, at, template, listed=not refused)
        # An unclosed <embed> may hold the rest of the chapter: look inside refused elements
        # too, for what is dangerous in itself.
        stack.extend((child, at, refused) for child in reversed(el))
    return problems


def _element_problem(tag: str, where: Locator, inside_refused: bool) -> Problem | None:
    """Why an element outside the allowlist is refused (only the dangerous ones are named
    again inside an element already refused: an <svg>'s <circle> says nothing new)."""
    if tag in REFUSED:
        return where.problem(f"raw HTML <{tag}> is not allowed: {REFUSED[tag]}", rf"<\s*{tag}\b")
    if tag not in ALLOWED and not inside_refused:
        return where.problem(f"raw HTML <{tag}> is not allowed: it is not among the elements a"
                             " report may use (ALLOWED, in folio/content/sanitize.py)",
                             rf"<\s*{tag}\b")
    return None


def allowed_attribute(tag: str, name: str) -> bool:
    """Whether the allowlist lets ``tag`` carry the attribute ``name``."""
    return name in GLOBAL or name.startswith(GLOBAL_PREFIXES) or name in ALLOWED.get(tag, ())


def _attributes(el, tag: str, where: Locator, template: bool,
                listed: bool = True) -> list[Problem]:
    """The refused attributes of one element (``listed``: also those outside the allowlist)."""
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
        elif name in URLS and not (tag == "img" and name == "src") and \
                (reason := _url_problem(tag, name, value)):
            problems.append(where.problem(reason, re.escape(value.strip()), *pattern))
        elif listed and not template and tag in ALLOWED and not allowed_attribute(tag, name):
            problems.append(where.problem(f"raw HTML attribute '{name}' is not allowed on <{tag}>",
                                          *pattern))
    return problems


def _url_problem(tag: str, name: str, value: str) -> str | None:
    return link_problem(value) if tag in ("a", "area") and name == "href" else _code_url(value)


def _code_url(value: str) -> str | None:
    scheme = scheme_of(value)
    if scheme in CODE_SCHEMES or scheme == "file":
        return f"a '{scheme}:' URL is not allowed here"
    return None
