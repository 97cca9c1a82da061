"""``invoke stats``: words, reading time and PDF pages of each section of the report.

Words are counted in each section as the editions print it (templates rendered,
citations resolved, notes included). Reading time assumes 238 words a minute,
the average silent reading rate of adults for non-fiction in English
(Brysbaert, 2019). Pages come from the PDF's layout: the page each section
starts on (its named destination) up to the next section's; the PDF is built
first if it is not up to date (an incremental build: nothing when it is).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

#: Words read per minute (Brysbaert 2019, silent reading of non-fiction).
WPM = 238


@dataclass(frozen=True)
class Row:
    """The statistics of one section."""

    title: str
    words: int
    first_page: int | None
    """PDF page (from 1) the section starts on; None if the PDF has no anchor for it."""
    pages: int | None
    """Pages from its first page to the next section's first page (0: same page)."""

    @property
    def minutes(self) -> float:
        """Reading time at :data:`WPM` words a minute."""
        return self.words / WPM


def stats(project_dir: Path | str = ".", log=lambda message: None) -> list[Row]:
    """One row per section of the reading order, building the PDF first if needed."""
    from pypdf import PdfReader

    from folio.content.gather import gather
    from folio.editions.catalog import paths
    from folio.inputs.load import load_project
    from folio.pipeline.build import build

    root = Path(project_dir).resolve()
    build(root, ("pdf",), log=log)
    report = gather(load_project(root), cache_dir=root / "build" / ".cache" / "pandoc")
    reader = PdfReader(root / "build" / paths(report.publication.slug)["pdf"])
    indexes = {name: reader.get_destination_page_number(dest)
               for name, dest in reader.named_destinations.items()}
    starts = {name: index + 1 for name, index in indexes.items() if index is not None}
    firsts = [starts.get(section.id) for section in report.sections]
    rows = []
    for i, section in enumerate(report.sections):
        first = firsts[i]
        later = [page for page in firsts[i + 1:] if page is not None]
        end = later[0] if later else len(reader.pages) + 1
        words = count_words(" ".join(section.body.itertext()))
        rows.append(Row(section.title, words, first, end - first if first else None))
    return rows


def count_words(text: str) -> int:
    """Words of a text: its space-separated tokens with a letter or digit ('—' is not one)."""
    return sum(1 for token in text.split() if any(c.isalnum() for c in token))


def table(rows: list[Row]) -> str:
    """The rows as a plain-text table, with a total."""
    width = max([len(r.title) for r in rows] + [len("Section")])
    lines = [f"{'Section':<{width}}  {'words':>6}  {'minutes':>7}  {'page':>4}  {'pages':>5}"]
    for r in rows:
        page = str(r.first_page) if r.first_page else "-"
        pages = "-" if r.pages is None else "<1" if r.pages == 0 else str(r.pages)
        lines.append(f"{r.title:<{width}}  {r.words:>6}  {r.minutes:>7.1f}  {page:>4}  {pages:>5}")
    words = sum(r.words for r in rows)
    total = sum(r.pages for r in rows if r.pages)
    lines.append(f"{'Total':<{width}}  {words:>6}  {words / WPM:>7.1f}  {'':>4}  {total:>5}")
    lines.append(f"(reading time at {WPM} words a minute; pages of the PDF edition)")
    return "\n".join(lines)
