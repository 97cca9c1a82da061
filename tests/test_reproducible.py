"""Reproducibility: the same sources give the same bytes, wherever and whenever they are built."""

from __future__ import annotations

import datetime as dt

import folio
from conftest import assemble_tiny, outputs
from editions import EpubView


def test_two_builds_in_two_folders_are_byte_identical(tiny, tmp_path):
    # A fresh folder elsewhere, without the first build's pandoc cache.
    other = assemble_tiny(tmp_path / "elsewhere" / "tiny-again")
    folio.build(other)
    first, second = outputs(tiny.root), outputs(other)
    assert sorted(first) == sorted(second)
    differ = [name for name in first if first[name] != second[name]]
    assert differ == []


def test_source_date_epoch_sets_the_modified_date(tiny, tmp_path, monkeypatch):
    epoch = 1_700_000_000
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(epoch))
    folio.build(tiny.root, ("epub",), out_dir=tmp_path)
    epub = EpubView(tmp_path / f"{tiny.pub['slug']}.epub")
    modified = [m.text for m in epub.meta("opf:meta") if m.get("property") == "dcterms:modified"]
    stamp = dt.datetime.fromtimestamp(epoch, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert modified == [stamp]
    # The publication date stays the one of data/publication.yaml.
    assert [e.text for e in epub.meta("dc:date")] == [tiny.pub["date"].isoformat()]
