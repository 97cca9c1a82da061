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
from folio.inputs.models import Team

XHTML_NS = "http://www.w3.org/1999/xhtml"


@dataclass(frozen=True)
class NavItem:
    """One entry of a table of contents, with its children."""

    title: str
    href: str
    children: tuple[NavItem, ...] = ()


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


def outline(report: Report, file_of, depth: int = 2) -> list[NavItem]:
    """The report's table of contents: sections listed in the TOC, with their h2s for chapters."""
    items = []
    for section in report.sections:
        if not section.in_toc:
            continue
        here = file_of(section)
        top = here if here is not None else f"#{section.id}"
        children: tuple[NavItem, ...] = ()
        if depth > 1 and section.part == "body":
            children = tuple(NavItem(text, f"{here or ''}#{ident}")
                             for level, ident, text in section.headings if level == 2)
        items.append(NavItem(section.title, top, children))
    return items


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


def creators(report: Report) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(authors, contributors) as (name, MARC relator), from data/team.yaml."""
    team = report.project.data.get("team")
    assert team is None or isinstance(team, Team)
    authors: list[tuple[str, str]] = []
    others: list[tuple[str, str]] = []
    for role in team.roles if team else ():
        for person in role.members:
            (authors if role.relator == "aut" else others).append((person.name, role.relator))
    return authors, others
