"""Numbered figures and tables, and cross-references to them (pandoc-crossref's syntax).

An author labels a figure ``![Caption](chart.png){#fig:growth}`` or a table
``: Caption {#tbl:scores}`` and refers to it with ``@fig:growth`` or
``@tbl:scores``. Before pandoc reads a chapter, each reference becomes an
empty link (``[](#fig:growth){.xref}``, on the same line, so locations hold);
after, figures and tables are numbered in reading order across the whole
publication, each caption starts "Figure 3: " and each reference reads
"Figure 3", a link (the PDF adds "on page 14": print.css). A reference to a
label that does not exist is the located "link to a missing id" of any link.
Labels are explicit ids: they are kept as written.
"""

from __future__ import annotations

import re

from lxml import etree

#: Label prefix -> the word of its captions and references.
KINDS = {"fig": "Figure", "tbl": "Table"}
_REFERENCE = re.compile(r"(?<![\w@\[\\])@((?:fig|tbl):[A-Za-z0-9_][\w.-]*[A-Za-z0-9_]|(?:fig|tbl):\w)")


def references_as_links(text: str) -> str:
    """``@fig:x`` -> ``[](#fig:x){.xref}`` outside code, leaving citations (``@smith2020``) be."""
    out, last = [], 0
    for match in _REFERENCE.finditer(text):
        if in_code(text, match.start()):
            continue
        out.append(text[last:match.start()])
        out.append(f"[](#{match.group(1)}){{.xref}}")
        last = match.end()
    return "".join(out) + text[last:] if out else text


def in_code(text: str, index: int) -> bool:
    """Whether ``index`` lies in a fenced block or an inline code span (a cheap test)."""
    before = text[:index]
    fences = len(re.findall(r"^ {0,3}(?:```|~~~)", before, re.M))
    line = before[before.rfind("\n") + 1:]
    return fences % 2 == 1 or line.count("`") % 2 == 1


def number_floats(bodies: list[etree._Element]) -> None:
    """Number the labelled figures and tables of every section body, in reading order, and
    fill in the text of every reference to them."""
    numbers: dict[str, str] = {}
    count = dict.fromkeys(KINDS, 0)
    for body in bodies:
        for el in body.iter("figure", "table"):
            ident = el.get("id") or ""
            kind = ident.split(":", 1)[0]
            if ":" not in ident or kind not in KINDS or ident in numbers:
                continue
            count[kind] += 1
            numbers[ident] = f"{KINDS[kind]} {count[kind]}"
            caption = el.find("figcaption" if el.tag == "figure" else "caption")
            if caption is not None:
                label = etree.Element("span", {"class": "float-label"})
                label.text = numbers[ident] + (": " if (caption.text or len(caption)) else "")
                label.tail, caption.text = caption.text, None
                caption.insert(0, label)
                caption.attrib.pop("aria-hidden", None)  # the number is not in the alt text
    for body in bodies:
        for a in body.iter("a"):
            if "xref" in (a.get("class") or "").split() and a.get("href", "")[1:] in numbers:
                if not a.text and not len(a):
                    a.text = numbers[a.get("href")[1:]]
