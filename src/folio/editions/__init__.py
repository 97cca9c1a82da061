"""Editions: each one made in memory from the Report (HTML, EPUB, the PDFs)."""
