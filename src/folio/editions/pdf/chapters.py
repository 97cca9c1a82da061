"""The PDF laid out chapter by chapter: the unit documents, and what passes between them.

Every section opens on a new page, so a section's layout depends on the others
only through numbers: the page number it starts on, the footnotes before it,
and (for the contents) the pages the others start on. So the book is laid out
as units, each its own WeasyPrint document with the single document's head:
the front matter (cover, half-title and every front section) and each body or
back section. ``editions.pdf.combine`` joins their PDFs into one.

What crosses a unit's edge is written into a style of its own (:func:`unit_style`):

- its first page number: ``@page :first { counter-reset: page N }`` (the page
  counter lives in the page context; a reset on ``html`` is ignored);
- the footnotes before it: ``html { counter-reset: footnote K }``;
- for the front matter, the page numbers its contents print for targets in
  other units: ``target-counter()`` cannot see another document, so each such
  entry gets its number as a string, laid out the same way.

Links to another unit's anchors would be dropped by WeasyPrint (and logged, an
error in folio); they become ``folio-xref:<id>`` URI links, which the
combination turns back into internal links. A unit followed by one that opens on
a given side (every section on a recto, the theme's design) ends with a
sentinel that starts a page on that side, so that it gets the blank verso the
single document has; the sentinel's own page is dropped. A unit that opens on
the next page, whichever side (a design whose sections do), has its first page on the
side the pages before it leave: ``html { break-before: left }`` or ``right``,
WeasyPrint's way to choose the first page's side.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from folio.editions.pdf.document import render_document, section_bodies
from folio.editions.pdf.openings import REF, page_references, printed

if TYPE_CHECKING:
    import datetime as dt

    import jinja2

    from folio.content.gather import Report

#: The scheme of a link to another unit's anchor, until the combination resolves it.
XREF = "folio-xref:"
#: Where a unit's own style goes in its document (filled by :func:`fill`).
_STYLE_MARK = "/*folio-unit-style*/"
#: The sentinel starts a page of its own, on the side the next unit opens, dropped after layout.
_SENTINEL_STYLE = ".folio-sentinel {{ break-before: {side}; page: folio-sentinel; }}"
#: The breaks that open a unit on a given side, and the side.
_SIDED = {"right": "right", "recto": "right", "left": "left", "verso": "left"}
_CSS_UNSAFE = re.compile(r'[\\"\n\r\f<>]')


@dataclass(frozen=True)
class Unit:
    """One document of the chapter-by-chapter layout, before its numbers are known."""

    name: str
    """"front", or the section's id."""
    html: str
    """The document, its own style still to be filled in (:func:`fill`)."""
    ids: frozenset[str]
    """The ids of the elements in it: where links from other units may land."""
    footnotes: int
    """How many footnotes it holds (the next unit's footnotes count on from them)."""
    sentinel: bool
    """It ends with a sentinel page, to be dropped after layout."""
    refs: tuple[tuple[str, str, tuple], ...] = ()
    """The links to other units whose page numbers it prints (its contents; "on page N"):
    (the link's :data:`openings.REF`, the target's id, its contents by pseudo-element)."""
    side: str | None = "right"
    """The side its first page is on, whatever comes before it ("right", "left"), or None:
    the side its first page falls on (it opens on the next page, left or right)."""
    pad_to: str | None = None
    """The side the next unit opens on, which its sentinel pads to (None: no sentinel)."""
    sections: tuple[str, ...] = ()
    """The ids of its sections."""
    fallbacks: str = ""
    """The fallback fonts' ``<style>`` in its head (the whole book's)."""

    @property
    def front(self) -> bool:
        return self.name == "front"

    @property
    def targets(self) -> tuple[str, ...]:
        """The ids of the targets whose page numbers it prints."""
        return tuple(dict.fromkeys(target for _, target, _ in self.refs))


def units(report: Report, env: jinja2.Environment, date: dt.datetime,
          edition: str = "screen", font_cache: Path | None = None,
          bodies: list[dict] | None = None) -> list[Unit]:
    """The report's units in book order: the front matter, then each body or back section
    that opens on a new page, with the sections that run on after it (``openings``). Each
    has the fallback fonts of the whole book (``document.fallback_style``): the same faces,
    cut to the same characters, as the single document. ``bodies``: the report's
    ``document.section_bodies``, made already (they are the same for every edition; changed
    here, so a copy)."""
    from lxml import etree

    from folio.editions.pdf.document import fallback_style
    from folio.editions.pdf.openings import section_breaks

    bodies = section_bodies(report) if bodies is None else bodies
    fallbacks = fallback_style(report, render_document(report, bodies, env, date, edition),
                               edition, font_cache)
    skeleton = render_document(report, [{**b, "body": etree.Element("div")} for b in bodies],
                               env, date, edition)
    breaks = section_breaks(skeleton, report.project.root)
    groups: list[list[dict]] = [[]]
    opening: list[str | None] = [None]
    for item in bodies:
        brk = breaks.get(item["section"].id)
        if item["section"].part != "front" and brk is not None:
            groups.append([])
            opening.append(brk)
        groups[-1].append(item)
    ids = [frozenset(_ids(group)) | ({"folio-half-title"} if i == 0 else frozenset())
           for i, group in enumerate(groups)]
    out = []
    for i, (group, own) in enumerate(zip(groups, ids, strict=True)):
        after = opening[i + 1] if i + 1 < len(groups) else None
        sentinel = after in _SIDED  # the next unit opens on a given side: pad to it
        targets: dict[str, str] = {}
        for item in group:
            for a in item["body"].iter("a"):
                href = a.get("href", "")
                if href.startswith("#") and href[1:] not in own:
                    a.set("href", XREF + href[1:])
                    a.set(REF, str(len(targets)))
                    targets[str(len(targets))] = href[1:]
        html = render_document(report, group, env, date, edition, cover=i == 0,
                               unit_style=_STYLE_MARK, sentinel=sentinel)
        if fallbacks:
            html = html.replace("</head>", fallbacks + "</head>", 1)
        found = page_references(html, report.project.root) if targets else {}
        refs = tuple((ref, targets[ref], contents) for ref, contents in sorted(found.items()))
        footnotes = sum(1 for item in group for _ in item["body"].iterfind(".//span[@class='footnote']"))
        side = None if i == 0 else _SIDED.get(opening[i] or "")
        out.append(Unit("front" if i == 0 else group[0]["section"].id, html, own, footnotes,
                        sentinel, refs, side if i else "right",
                        _SIDED[after] if after in _SIDED else None, tuple(item["section"].id for item in group),
                        fallbacks))
    return out


def unit_style(unit: Unit, first_page: int | None, footnotes_before: int,
               numbers: dict[str, str] | None = None, right: bool | None = None) -> str:
    """The style that continues the book's numbers into ``unit``: its first page number
    (None: the unit's own counters, as for the front matter), the footnotes before it, the
    page ``numbers`` of the targets of its :attr:`Unit.refs` (printed as its stylesheets
    print them), and the side of its first page (``right``; None: the side it opens on, or
    the side a layout job is told later)."""
    rules = []
    if right is not None or unit.side is not None:
        side = unit.side or ("right" if right else "left")
        rules.append(f"html {{ break-before: {side}; }}")
    if first_page is not None:
        rules.append(f"@page :first {{ counter-reset: page {first_page}; }}")
    if footnotes_before:
        rules.append(f"html {{ counter-reset: footnote {footnotes_before}; }}")
    for ref, target, contents in unit.refs:
        number = (numbers or {}).get(target)
        if number is None:
            raise KeyError(f"no page number for #{target}")
        for pseudo, parts in contents:
            # !important: the stylesheets' own rules for the link may be more specific.
            rules.append(f'a[{REF}="{ref}"]::{pseudo} {{ content: {_css_value(printed(parts, int(number)))}'
                         " !important; }")
    if unit.pad_to:
        rules.append(_SENTINEL_STYLE.format(side=unit.pad_to))
    return " ".join(rules)


def fill(unit: Unit, style: str) -> str:
    """The unit's document with its style in place."""
    return unit.html.replace(_STYLE_MARK, style, 1)


def _ids(group: list[dict]):
    for item in group:
        for el in item["body"].iter():
            ident = el.get("id") if isinstance(el.tag, str) else None
            if ident:
                yield ident


def _css_value(value: str) -> str:
    """A declaration value from the project's own stylesheets, safe in a <style> element."""
    return value.replace("<", "\\3c ").replace(">", "\\3e ")


def _css(text: str) -> str:
    """``text`` safe inside a double-quoted CSS string in a <style> element."""
    return _CSS_UNSAFE.sub(lambda m: f"\\{ord(m.group()):x} ", text)
