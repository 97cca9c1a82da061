"""EPUB 3 pop-up notes, and the file that lets Apple Books use the embedded fonts.

Apple Books and Kobo open a note in place only when its reference is marked
``epub:type="noteref"`` and points at an element marked ``epub:type="footnote"``
in the same document, best an ``<aside>``. pandoc writes each section's notes as
a list at its end (``<section role="doc-endnotes"><ol><li id=…>``); here each
item becomes an ``<aside epub:type="footnote" role="doc-footnote">`` in that
place, numbered by its back link as pandoc's own EPUB writer does. The HTML
edition keeps pandoc's list (``epub:type`` is not HTML).
"""

from __future__ import annotations

from lxml import html

#: Where Apple Books looks for its display options, and what they say: use our fonts.
APPLE_OPTIONS_PATH = "META-INF/com.apple.ibooks.display-options.xml"
APPLE_OPTIONS = b"""<?xml version="1.0" encoding="UTF-8"?>
<display_options>
  <platform name="*">
    <option name="specified-fonts">true</option>
  </platform>
</display_options>
"""


def pop_up_notes(body) -> None:
    """Rewrite a section copy's notes as pop-up footnotes, their references as noterefs."""
    for notes in [s for s in body.iter("section") if s.get("role") == "doc-endnotes"]:
        notes.attrib.pop("role")
        notes.set("epub:type", "footnotes")
        for ol in list(notes.iter("ol")):
            start = int(ol.get("start", "1"))
            for number, li in enumerate([c for c in ol if c.tag == "li"], start):
                ol.addprevious(_aside(li, number))
            ol.getparent().remove(ol)
    for a in body.iter("a"):
        if a.get("role") == "doc-noteref":
            a.set("epub:type", "noteref")


def _aside(li, number: int):
    """A note (``<li>``) as an aside, its back link moved to its start and showing its number."""
    aside = html.Element("aside", {"id": li.get("id", ""), "class": "footnote",
                                   "epub:type": "footnote", "role": "doc-footnote"})
    aside.text = li.text
    for child in list(li):
        aside.append(child)
    back = next((a for a in aside.iter("a") if a.get("role") == "doc-backlink"), None)
    if back is not None:
        _detach(back)
        back.text, back[:] = str(number), []
        back.tail = ". "
        back.set("aria-label", f"Back to note {number} in the text")
        first = next((c for c in aside if c.tag == "p"), None)
        target = first if first is not None else aside
        back.tail += target.text or ""
        target.text = None
        target.insert(0, back)
    return aside


def _detach(el) -> None:
    """Remove an element, keeping its tail text in place."""
    parent, tail = el.getparent(), el.tail
    if tail:
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(el)
    el.tail = None
