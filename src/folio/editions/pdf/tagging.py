"""The screen PDF's structure tree, made honest to PDF/UA-1 (filled in below)."""

from __future__ import annotations


def finish_tags(pdf) -> None:
    """Repair the structure tree WeasyPrint wrote, in place."""
