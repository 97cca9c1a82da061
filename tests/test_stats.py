"""invoke stats: words, reading time and pages per section of the tiny report."""

from __future__ import annotations

from pypdf import PdfReader

from editions import markdown_text, read_sections
from folio.commands.stats import WPM, stats, table
from helpers import assemble_tiny


def test_stats_builds_the_pdf_and_counts_each_section(tmp_path):
    root = assemble_tiny(tmp_path / "report")
    rows = stats(root)
    pdf = root / "build/tiny-report.pdf"
    assert pdf.is_file()  # built because it was not there
    sections = read_sections(root)
    assert [r.title for r in rows] == [s.title for s in sections]
    by_title = {r.title: r for r in rows}
    for source in sections:
        if source.markdown:  # printed words: the Markdown's, give or take citations and marks
            expected = sum(1 for w in markdown_text(source.markdown).split()
                           if any(c.isalnum() for c in w))
            assert abs(by_title[source.title].words - expected) <= 0.15 * expected
    reader = PdfReader(pdf)
    bookmarks = {str(b.title): reader.get_destination_page_number(b) + 1
                 for b in reader.outline if not isinstance(b, list)}
    for row in rows:
        if row.title in bookmarks:
            assert row.first_page == bookmarks[row.title], row.title
    assert sum(r.pages for r in rows) == len(reader.pages) - rows[0].first_page + 1
    chapter1 = by_title["Chapter One: Method"]
    assert chapter1.pages >= 2  # its 80-row table runs over pages
    assert chapter1.minutes == chapter1.words / WPM
    text = table(rows)
    assert f"reading time at {WPM} words a minute" in text
    assert text.splitlines()[-2].split()[:2] == ["Total", str(sum(r.words for r in rows))]
