"""The EPUB's accessibility metadata (EPUB Accessibility 1.1), from ``data/publication.yaml``.

What an editor leaves unset is derived from the report itself, so the claims
follow the content: 'visual' and alternativeText only when there are images,
pageNavigation and pageBreakMarkers only when the EPUB carries the page list.
"""

from __future__ import annotations

from folio.content.gather import Report


def accessibility_metadata(report: Report, page_list: bool) -> list[tuple[str, str]]:
    """(property, value) pairs of the package metadata, in a fixed order."""
    pub = report.publication
    a11y = pub.accessibility
    images = bool(report.images)
    modes = a11y.access_modes or (("textual", "visual") if images else ("textual",))
    features = list(a11y.features)
    if images:
        features.append("alternativeText")
    if page_list:
        features += ["pageNavigation", "pageBreakMarkers"]
    pairs = [("schema:accessMode", mode) for mode in modes]
    pairs += [("schema:accessModeSufficient", s) for s in a11y.access_mode_sufficient]
    pairs += [("schema:accessibilityFeature", f) for f in dict.fromkeys(features)]
    pairs += [("schema:accessibilityHazard", h) for h in a11y.hazards]
    pairs.append(("schema:accessibilitySummary", " ".join((a11y.summary or _summary(
        images, page_list)).split())))
    pairs.append(("dcterms:conformsTo", a11y.conforms_to))
    pairs.append(("a11y:certifiedBy", a11y.certified_by or pub.publisher))
    if page_list:
        pairs.append(("pageBreakSource", page_break_source(report)))
    return pairs


def page_break_source(report: Report) -> str:
    """What the page list follows: the print PDF of this publication."""
    pub = report.publication
    return pub.accessibility.page_break_source or f"{pub.identifier} (print PDF)"


def _summary(images: bool, page_list: bool) -> str:
    parts = ["structured headings in a logical reading order", "a table of contents"]
    if images:
        parts.append("text alternatives for its images")
    if page_list:
        parts.append("the page numbers of the print edition")
    return ("This publication aims to meet WCAG 2.2 Level AA. It has "
            + ", ".join(parts[:-1]) + " and " + parts[-1] + ".")
