"""What the three editions share: pointing links at files, serialising sections, the outline.

A section's tree holds plain ``#id`` links and project-relative image paths;
each edition copies it and points them where that edition keeps things.
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass

from lxml import etree, html

from folio.content.gather import Report, Section
from folio.inputs.models import Contributors

XHTML_NS = "http://www.w3.org/1999/xhtml"


@dataclass(frozen=True)
class NavItem:
    """One entry of a table of contents, with its children."""

    title: str
    href: str
    children: tuple[NavItem, ...] = ()
    part: bool = False
    """A part of the book: its children are its chapters."""


def retarget(report: Report, section: Section, file_of, image_of) -> etree._Element:
    """A copy of a section's body with links to other sections' files and images moved.

    ``file_of(section)`` is the file a section is written to (relative to the
    current one), or None when the whole report is one document.
    """
    body = copy.deepcopy(section.body)
    here = file_of(section)
    for a in body.iter("a"):
        href = a.get("href", "")
        if href.startswith("#") and href[1:] in report.ids:
            there = file_of(report.ids[href[1:]])
            if there is not None and there != here:
                a.set("href", there + ("" if _is_top(report, href[1:]) else href))
    for img in body.iter("img"):
        img.set("src", image_of(img.get("src")))
    return body


def _is_top(report: Report, ident: str) -> bool:
    """A link to a section's own heading opens its file at the top."""
    return report.ids[ident].id == ident


def inner_html(body: etree._Element) -> str:
    """The children of an element as HTML."""
    out = [_escape(body.text)] if body.text else []
    out += [html.tostring(child, encoding="unicode") for child in body]
    return "".join(out)


def inner_xhtml(body: etree._Element) -> str:
    """The children of an element as XHTML (the EPUB's XML serialisation)."""
    out = [_escape(body.text)] if body.text else []
    out += [etree.tostring(child, encoding="unicode", method="xml") for child in body]
    return "".join(out)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def drop_print_styles(body: etree._Element) -> None:
    """Remove the inline custom properties meant for the PDF's layout (``style="--rows: 2"``):
    the other editions do not use them, and some reading systems warn about them."""
    for el in body.iter():
        style = el.get("style") if isinstance(el.tag, str) else None
        if style is None:
            continue
        kept = [d for d in style.split(";") if d.strip() and not d.strip().startswith("--")]
        if kept:
            el.set("style", ";".join(kept))
        else:
            del el.attrib["style"]


def separate_subtitle(body: etree._Element) -> None:
    """Put a hidden colon between a heading's title and its subtitle, so that text-to-speech,
    a plain-text conversion and the heading's accessible name do not run them together."""
    for span in body.iter("span"):
        if "subtitle" not in (span.get("class") or "").split():
            continue
        if span.getparent() is None or span.getparent().tag not in ("h1", "h2", "p"):
            continue
        before = span.getprevious()
        text = (before.tail if before is not None else span.getparent().text) or ""
        if text.rstrip().endswith((":", "—")) or (before is not None and "visually-hidden" in (
                before.get("class") or "")):
            continue
        colon = html.Element("span", {"class": "visually-hidden"})
        colon.text = ": "
        if before is not None:
            before.tail = text.rstrip()
        else:
            span.getparent().text = text.rstrip()
        span.addprevious(colon)


def outline(report: Report, file_of, depth: int = 2) -> list[NavItem]:
    """The report's table of contents: sections listed in the TOC, each with its h2s; a
    part (``type: part``) holds the body sections that follow it, up to the next part."""
    items: list[NavItem] = []
    part: list[NavItem] | None = None  # the chapters of the part being listed
    for section in report.sections:
        if not section.in_toc:
            continue
        here = file_of(section)
        top = here if here is not None else f"#{section.id}"
        children: tuple[NavItem, ...] = ()
        if depth > 1:
            children = tuple(NavItem(text, f"{here or ''}#{ident}")
                             for level, ident, text in section.headings if level == 2)
        item = NavItem(section.title, top, children)
        if section.type == "part":
            _close(items, part)
            part = []
            items.append(NavItem(section.title, top, (), part=True))
        elif part is not None and section.part == "body":
            part.append(item)
        else:
            _close(items, part)
            part = None
            items.append(item)
    _close(items, part)
    return items


def _close(items: list[NavItem], part: list[NavItem] | None) -> None:
    """Give the last part in ``items`` the chapters listed under it."""
    if part:
        last = next(i for i in range(len(items) - 1, -1, -1) if items[i].part)
        items[last] = NavItem(items[last].title, items[last].href, tuple(part), part=True)


def source_date(report: Report, epoch: str) -> dt.datetime:
    """The build's one date, in UTC: ``epoch`` (``Provenance.date``: SOURCE_DATE_EPOCH when
    set, else the time of the last commit that touched the project), else (outside git)
    the publication date.

    Never the clock: the same sources give the same editions on any day.
    """
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC)
    day = report.publication.date
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def file_as(name: str) -> str:
    """A person's sort name, "Dallaire, Roméo": the last word first (names with a particle
    or a suffix need a ``file_as`` of their own in the data)."""
    words = name.split()
    return f"{words[-1]}, {' '.join(words[:-1])}" if len(words) > 1 else name


def creators(report: Report) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(authors, contributors) as (name, MARC relator), from the file publication.yaml names."""
    authors: list[tuple[str, str]] = []
    others: list[tuple[str, str]] = []
    for name, relator in report.project.credits:
        (authors if relator == "aut" else others).append((name, relator))
    return authors, others


def sort_names(report: Report) -> dict[str, str]:
    """Each contributor's sort name (``file_as`` in the file publication.yaml names as its
    contributors, else derived), by name."""
    stem = report.publication.contributors
    team = report.project.data.get(stem) if stem else None
    assert team is None or isinstance(team, Contributors)
    return {person.name: person.file_as or file_as(person.name)
            for role in (team.roles if team else ()) for person in role.members}
