"""A PDF edition laid out chapter by chapter (``editions.pdf.chapters``), then combined.

The units after the front matter are laid out in book order, each knowing its
first page number (the sum of the page counts before it) and the footnotes
before it; then the front matter, with the page numbers its contents print
(the body restarts at 1, so the front matter's length moves no body folio).
``combine`` joins the PDFs; the anchors, labels and first lines of the pages
are joined the same way, for the EPUB's page list.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from folio.editions.pdf.chapters import Unit, fill, unit_style, units
from folio.editions.pdf.document import (
    LayoutRequest,
    PrintLayout,
    label_ranges,
    range_labels,
)

if TYPE_CHECKING:
    import datetime as dt

    import jinja2

    from folio.content.gather import Report

LayOut = Callable[[LayoutRequest], PrintLayout]


@dataclass(frozen=True)
class _Page:
    anchors: tuple[str, ...]


def unit_request(report: Report, unit: Unit, edition: str, first_page: int | None,
                 footnotes_before: int, toc_numbers: dict[str, str] | None = None,
                 cover: bool = False) -> LayoutRequest:
    """The request that lays out one unit, its numbers written in."""
    style = unit_style(unit, first_page, footnotes_before, toc_numbers)
    identifier = f"{report.publication.identifier}#{edition}#{unit.name}"
    return LayoutRequest(report.project.root, fill(unit, style), identifier, None,
                         cover and unit.front, unit.sentinel)


def lay_out_book(report: Report, env: jinja2.Environment, date: dt.datetime, edition: str,
                 lay_out: LayOut, cover: bool = False) -> PrintLayout:
    """The PDF edition of ``report`` laid out unit by unit with ``lay_out`` (in this process or
    another), and combined: a PrintLayout as the single document's."""
    from folio.editions.pdf.combine import combine, project_fonts

    parts = units(report, env, date, edition)
    front, rest = parts[0], parts[1:]
    footnotes = front.footnotes
    page = 1
    layouts = []
    numbers: dict[str, str] = {}
    for unit in rest:
        layout = lay_out(unit_request(report, unit, edition, page, footnotes))
        for i, anchors in enumerate(layout.anchors):
            for anchor in anchors:
                numbers.setdefault(anchor, str(page + i))
        layouts.append(layout)
        page += layout.pages
        footnotes += unit.footnotes
    front_layout = lay_out(unit_request(report, front, edition, None, 0,
                                        {t: numbers[t] for t in front.toc_targets}, cover))
    layouts.insert(0, front_layout)
    anchors = tuple(a for layout in layouts for a in layout.anchors)
    body_id = next((s.id for s in report.sections if s.part == "body"), None)
    ranges = label_ranges([_Page(a) for a in anchors], body_id) if body_id else []
    data = combine([layout.data for layout in layouts], ranges, project_fonts(report.project.root))
    labels = range_labels(ranges, len(anchors)) if ranges else \
        tuple(label for layout in layouts for label in layout.labels)
    return PrintLayout(data, anchors, labels,
                       tuple(line for layout in layouts for line in layout.first_lines),
                       front_layout.cover)
