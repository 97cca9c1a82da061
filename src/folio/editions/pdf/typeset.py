"""Typesetting the PDFs' text where CSS cannot: words WeasyPrint must not hyphenate, lining
figures in acronyms, and ties against runts.

WeasyPrint hyphenates every word of a ``hyphens: auto`` paragraph with pyphen, proper nouns
and compounds included (Van-couver, non-gov-ernmental), and has no ``hyphenate-limit-last``.
A typesetter breaks neither, so:

- a capitalised word long enough to be hyphenated (print.css's hyphenate-limit-chars: 7) is
  offered no break by the hyphenation dictionary itself: :func:`guarded_pyphen` is pyphen as
  WeasyPrint's line breaker sees it (``editions/pdf/layout.py`` installs it), whose
  dictionaries give no hyphenation point in such a word. Wrapping each one in a
  ``hyphens: manual`` span, as before, made an inline box of every name: the report's 10x
  benchmark had 2,229 of them, and WeasyPrint laid its pages out 1.6x slower;
- :func:`guard_words` wraps hyphenated compounds (the dictionary sees "non" and
  "governmental" apart) in ``<span class="nh">`` (print.css: ``hyphens: manual``), and an
  acronym with a digit (W2I, R2P) in ``<span class="nh lnum">`` (lining figures: the old-style
  2 reads as a subscript);
- :func:`tie_last_words` ties the last two words of a paragraph with a no-break space, so
  that no word is left alone on the last line.
"""

from __future__ import annotations

import re

from lxml import etree

#: A hyphenated compound or an acronym with a digit: the words :func:`guard_words` wraps.
_GUARDED = re.compile(r"(?<![\w\u00ad-])(?:\w+(?:-\w+)+|[A-Z]+[0-9][A-Z0-9]*)(?![\w\u00ad])")
#: A capitalised word long enough to be hyphenated (print.css's hyphenate-limit-chars: 7):
#: a proper noun, or a sentence's first word. The dictionary gives it no hyphenation point.
PROPER = re.compile(r"[A-Z][\w\u2019']{6,}")
_ACRONYM = re.compile(r"^[A-Z]+[0-9][A-Z0-9]*$")
#: Elements whose text is left as it is.
_SKIP = {"pre", "code", "script", "style", "h1", "h2", "h3", "h4", "h5", "h6"}
#: Block elements whose last two words are tied.
_BLOCKS = {"p", "li", "dd", "blockquote", "figcaption"}
_LAST_SPACE = re.compile(r" (\S+\s*)$")


def guarded_pyphen():
    """The ``pyphen`` module as WeasyPrint's line breaker uses it (``Pyphen`` and
    ``language_fallback``), with dictionaries that offer no hyphenation point in a
    :data:`PROPER` word; every other word is hyphenated as pyphen hyphenates it."""
    import types

    import pyphen

    class Guarded(pyphen.Pyphen):
        def iterate(self, word):
            if PROPER.fullmatch(word):
                return iter(())
            return super().iterate(word)

    return types.SimpleNamespace(Pyphen=Guarded, language_fallback=pyphen.language_fallback)


def guard_words(body) -> None:
    """Wrap hyphenated compounds in ``span.nh`` (acronyms with a digit ``span.nh.lnum``) in
    ``body``, in place."""
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
