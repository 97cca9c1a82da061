"""The print edition's pages in the EPUB: page-break markers and a ``page-list`` nav.

The PDF is laid out first. Its stage gives every block without an id a stable
one (:func:`number_blocks`: the section's id and the block's rank, the same on
every build), so WeasyPrint reports which elements each page holds and in which
element its first line of text sits. A page that starts inside an element begun
on an earlier page (a paragraph, a long table) is marked in that element just
before the words that open the page; any other page before the first element
that starts on it. The marker is ``<span epub:type="pagebreak"
role="doc-pagebreak" id="page-N" aria-label="LABEL"/>``, N counting the PDF's
pages and LABEL being the number printed on that page.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from lxml import etree, html
from markupsafe import escape

#: Blocks that get an id when they have none, so that any page can be located.
BLOCKS = frozenset({"p", "li", "dt", "dd", "blockquote", "pre", "figure", "table", "tr", "div"})
#: Parents whose content model refuses a span: the marker goes inside the element instead.
NO_PHRASING = frozenset({"ul", "ol", "dl", "table", "thead", "tbody", "tfoot", "tr", "colgroup",
                         "menu", "select", "optgroup", "hgroup"})
#: ARIA roles whose children are restricted the same way (a CSL bibliography is a
#: ``<div role="list">`` of ``role="listitem"``): Ace reports ``aria-required-children``.
NO_PHRASING_ROLES = frozenset({"list", "table", "grid", "treegrid", "rowgroup", "row", "menu",
                               "menubar", "listbox", "tablist", "tree", "radiogroup", "feed"})


@dataclass(frozen=True)
class PageBreak:
    """One page of the print edition, located in the EPUB."""

    index: int
    """Position of the page in the PDF, from 0."""
    label: str
    """The number printed on the page."""
    section: str
    """Id of the section whose document holds the marker."""
    target: str
    """Id of the element the page starts with."""
    text: str | None = None
    """The words that open the page, when it starts inside ``target``: the marker goes before them."""
    at_end: bool = False
    """The page starts no element: the marker goes at the end of the one that ends on it."""

    @property
    def id(self) -> str:
        return f"page-{self.index + 1}"


def element_ids(body, section_id: str):
    """(element, id) in document order: each element's own id, or for a block without one
    an id derived from its rank (endnotes excluded: the PDF moves them to the page foot)."""
    taken = {el.get("id") for el in body.iter() if el.get("id")}
    rank = 0
    for el in body.iter():
        ident = el.get("id")
        if not ident and el.tag in BLOCKS and not _in_endnotes(el):
            rank += 1
            ident = f"{section_id}-b{rank}"
            while ident in taken:
                ident += "_"
        if ident:
            yield el, ident


def number_blocks(body, section_id: str) -> None:
    """Give every block of a section copy the id :func:`element_ids` derives for it."""
    for el, ident in list(element_ids(body, section_id)):
        el.set("id", ident)


def _in_endnotes(el) -> bool:
    return any(a.get("role") == "doc-endnotes" for a in el.iterancestors("section"))


def reading_order(sections) -> dict[str, tuple[int, int]]:
    """Every id of the report's sections (with derived block ids) -> (section, rank) in reading order."""
    order: dict[str, tuple[int, int]] = {}
    for s, section in enumerate(sections):
        for e, (_, ident) in enumerate(element_ids(section.body, section.id)):
            order.setdefault(ident, (s, e))
    return order


def page_breaks(sections, anchors, labels, first_lines=None) -> list[PageBreak]:
    """For each page, where it starts in the report's sections.

    ``anchors`` holds the ids on each page of the PDF; an element split across
    pages is listed on each, so only ids not seen on an earlier page are new.
    ``first_lines`` holds, per page, the id of the element around its first line
    of text and that line's words. A page that opens inside an element begun
    earlier is marked before those words; else before the first new element; a
    page with neither (it only finishes an element) at the end of that element.
    """
    order = reading_order(sections)
    bodies = {s.id: s.body for s in sections}
    section_ids = [s.id for s in sections]
    first_lines = first_lines or [(None, "")] * len(anchors)
    seen: set[str] = set()
    out = []
    for index, ids in enumerate(anchors):
        label = labels[index]
        inside, words = first_lines[index]
        new = [i for i in ids if i in order and i not in seen]
        seen_before = set(seen)
        seen.update(ids)
        if inside in seen_before and inside in order:
            section = section_ids[order[inside][0]]
            element = _find(bodies[section], section, inside)
            if element is not None and _text_offset(element, words) is not None:
                out.append(PageBreak(index, label, section, inside, text=words))
                continue
        if new:
            first = min(new, key=order.__getitem__)
            out.append(PageBreak(index, label, section_ids[order[first][0]], first))
            continue
        going_on = [i for i in ids if i in order]
        following = anchors[index + 1] if index + 1 < len(anchors) else ()
        if going_on and (last := max(going_on, key=order.__getitem__)) not in following:
            out.append(PageBreak(index, label, section_ids[order[last][0]], last, at_end=True))
    return out


def _find(body, section_id: str, ident: str):
    return next((el for el, i in element_ids(body, section_id) if i == ident), None)


def _slots(element):
    """The text pieces of an element in reading order, as (node, 'text' or 'tail')."""
    yield element, "text"
    for child in element.iterdescendants():
        yield child, "text"
        yield child, "tail"


def squash(text: str) -> str:
    """Letters and digits only, case-folded: the same across line breaks, hyphenation and
    ligatures, in the PDF's laid-out text and the EPUB's source text."""
    return "".join(c for c in unicodedata.normalize("NFKC", text).casefold() if c.isalnum())


#: How much of a page's opening text locates it inside an element (squashed characters).
KEY = 24
#: What :func:`squash` may keep of a text: runs of ASCII letters and digits, or one other
#: character (not ASCII: a letter, a ligature to unfold, a mark).
_KEPT = re.compile(r"[A-Za-z0-9]+|[^\x00-\x7f]")


def _text_offset(element, words: str):
    """(node, slot, offset) where ``words`` begin inside ``element`` (not at its very start)."""
    key = squash(words)[:KEY]
    if len(key) < 8:
        return None  # too short to be sure where it is
    pieces = [(node, slot, getattr(node, slot) or "") for node, slot in _slots(element)
              if isinstance(node.tag, str) or slot == "tail"]
    # Each piece squashed, with the offset in it of each character kept: runs of ASCII
    # letters and digits taken whole (they need no normalising), any other character
    # squashed alone (squash() of it may keep none, one or several).
    squashed, offsets = [], []
    for _, _, text in pieces:
        kept: list[str] = []
        at: list[int] = []
        for match in _KEPT.finditer(text):
            if match.group().isascii():
                kept.append(match.group().lower())
                at.extend(range(match.start(), match.end()))
            else:
                one = squash(match.group())
                kept.append(one)
                at.extend([match.start()] * len(one))
        squashed.append("".join(kept))
        offsets.append(at)
    found = "".join(squashed).find(key, 1)
    if found <= 0:
        return None
    for (node, slot, _), text, at in zip(pieces, squashed, offsets, strict=True):
        if found < len(text):
            return node, slot, at[found]
        found -= len(text)
    return None


def insert_markers(body, section_id: str, breaks: Sequence[PageBreak]) -> None:
    """Put each page's marker in a section copy where :func:`page_breaks` located it."""
    located = {ident: el for el, ident in element_ids(body, section_id)}
    for brk in breaks:
        if brk.section != section_id or brk.target not in located:
            continue
        element = located[brk.target]
        at = _text_offset(element, brk.text) if brk.text is not None else None
        if at is not None:
            _split(_marker(brk), *_word_start(*at))
        else:
            (_append if brk.at_end else _place)(_marker(brk), element)


def _word_start(node, slot: str, offset: int) -> tuple:
    """The start of the word around a text offset: a page that opens inside a word the PDF
    hyphenated ("journ-|alists") is marked before that word, never inside it, so that
    search and text-to-speech read the word whole."""
    text = getattr(node, slot) or ""
    while offset > 0 and not text[offset - 1].isspace() and not text[offset].isspace():
        offset -= 1
    return node, slot, offset


def _marker(brk: PageBreak):
    label = escape(brk.label)
    return html.fragment_fromstring(
        f'<span epub:type="pagebreak" role="doc-pagebreak" id="{brk.id}"'
        f' aria-label="{label}"></span>')


def _place(marker, el) -> None:
    """Before ``el`` where its parent takes a span; else first thing inside it (or its first cell)."""
    parent = el.getparent()
    if parent is not None and not _refuses_span(parent):
        parent.insert(parent.index(el), marker)
        return
    while _refuses_span(el):
        inner = next((c for c in el if isinstance(c.tag, str)), None)
        if inner is None:
            break
        el = inner
    marker.tail, el.text = el.text, None
    el.insert(0, marker)


def _refuses_span(el) -> bool:
    """Whether ``el`` may not hold a span among its children, by its tag or its ARIA role."""
    return el.tag in NO_PHRASING or el.get("role") in NO_PHRASING_ROLES


def _split(marker, node, slot: str, offset: int) -> None:
    """Put ``marker`` at a character offset of a node's text or tail."""
    text = getattr(node, slot)
    setattr(node, slot, text[:offset])
    marker.tail = text[offset:]
    if slot == "text":
        node.insert(0, marker)
    else:
        node.addnext(marker)


def _append(marker, el) -> None:
    """Last thing inside ``el`` (inside its last cell or item if it cannot hold a span)."""
    while _refuses_span(el):
        inner = [c for c in el if isinstance(c.tag, str)]
        if not inner:
            return
        el = inner[-1]
    el.append(marker)


def page_list_nav(breaks: Sequence[PageBreak], file_of) -> etree._Element:
    """The EPUB nav of the print pages (hidden: reading systems offer it as 'go to page')."""
    ops = "http://www.idpf.org/2007/ops"
    xhtml = "http://www.w3.org/1999/xhtml"
    nav = etree.Element(f"{{{xhtml}}}nav", {f"{{{ops}}}type": "page-list", "id": "page-list",
                                             "role": "doc-pagelist", "hidden": "hidden"})
    etree.SubElement(nav, f"{{{xhtml}}}h2").text = "Pages"
    ol = etree.SubElement(nav, f"{{{xhtml}}}ol")
    for brk in breaks:
        li = etree.SubElement(ol, f"{{{xhtml}}}li")
        etree.SubElement(li, f"{{{xhtml}}}a", href=f"{file_of(brk.section)}#{brk.id}").text = brk.label
    return nav
