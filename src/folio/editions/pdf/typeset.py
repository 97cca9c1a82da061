"""Typesetting the PDFs' text where CSS cannot: words WeasyPrint must not hyphenate, lining
figures in acronyms, and ties against runts.

WeasyPrint hyphenates every word of a ``hyphens: auto`` paragraph with pyphen, proper nouns
and compounds included (Van-couver, non-gov-ernmental), and has no ``hyphenate-limit-last``.
:func:`guard_words` wraps the words a typesetter would not break in
``<span class="nh">`` (print.css: ``hyphens: manual``): capitalised words and words already
hyphenated. An acronym with a digit (W2I, R2P) also gets ``lnum`` (lining figures: the
old-style 2 reads as a subscript). The last two words of a paragraph are tied with a
no-break space, so that no word is left alone on the last line.
"""

from __future__ import annotations

import re

from lxml import etree

#: A capitalised word or a hyphenated compound, long enough to be hyphenated (print.css's
#: hyphenate-limit-chars: 7), or an acronym with a digit.
_GUARDED = re.compile(r"(?<![\w\u00ad-])(?:[A-Z][\w\u2019']{6,}|\w+(?:-\w+)+|[A-Z]+[0-9][A-Z0-9]*)(?![\w\u00ad])")
_ACRONYM = re.compile(r"^[A-Z]+[0-9][A-Z0-9]*$")
#: Elements whose text is left as it is.
_SKIP = {"pre", "code", "script", "style", "h1", "h2", "h3", "h4", "h5", "h6"}
#: Block elements whose last two words are tied.
_BLOCKS = {"p", "li", "dd", "blockquote", "figcaption"}
_LAST_SPACE = re.compile(r" (\S+\s*)$")


def guard_words(body) -> None:
    """Wrap unbreakable words in ``span.nh`` (acronyms ``span.nh.lnum``) in ``body``, in place."""
    for element in list(body.iter()):
        if not isinstance(element.tag, str) or _skipped(element):
            continue
        if element.text:
            element.text = _wrap_text(element, element.text, at_start=True)
        for child in list(element):
            if child.tail and not _skipped(element):
                child.tail = _wrap_text(child, child.tail, at_start=False)


def tie_last_words(body) -> None:
    """A no-break space before the last word of every paragraph and list item, and of each
    heading's own text (a heading's last line then has two words at least)."""
    for heading in body.iter("h1", "h2", "h3"):
        if heading.text and len(heading.text.split()) > 2:
            heading.text = _LAST_SPACE.sub("\u00a0\\1", heading.text.rstrip(), count=1) + \
                heading.text[len(heading.text.rstrip()):]
    for element in body.iter(*_BLOCKS):
        last = _last_text(element)
        if last is not None:
            node, attr = last
            text = getattr(node, attr)
            setattr(node, attr, _LAST_SPACE.sub("\u00a0\\1", text, count=1))


def _skipped(element) -> bool:
    return any(e.tag in _SKIP for e in element.iterancestors()) or element.tag in _SKIP \
        or "footnote" in (element.get("class") or "").split()


def _wrap_text(anchor, text: str, at_start: bool) -> str:
    """Split ``text`` around guarded words, inserting spans where it was (element.text when
    ``at_start``, else ``anchor``'s tail); return the leading text that stays."""
    pieces = _GUARDED.split(text)
    words = _GUARDED.findall(text)
    if not words:
        return text
    spans = []
    for word, after in zip(words, pieces[1:], strict=True):
        span = etree.Element("span", {"class": "nh lnum" if _ACRONYM.match(word) else "nh"})
        span.text = word
        span.tail = after
        spans.append(span)
    if at_start:
        for i, span in enumerate(spans):
            anchor.insert(i, span)
    else:
        parent = anchor.getparent()
        index = parent.index(anchor)
        for i, span in enumerate(spans, 1):
            parent.insert(index + i, span)
    return pieces[0]


def _last_text(node):
    """(node, 'text' or 'tail') holding the last words of ``node``'s text, or None."""
    for child in reversed(node):
        if child.tail and child.tail.strip():
            return child, "tail"
        if isinstance(child.tag, str) and child.tag not in ("code", "pre"):
            found = _last_text(child)
            if found is not None:
                return found
    if node.text and node.text.strip():
        return node, "text"
    return None
