"""Reproducibility: the same sources give the same bytes, wherever and whenever they are built."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest

import folio
from editions import EpubView
from folio.pipeline.workers import Pool
from folio.theme import theme_inputs
from helpers import CACHE, assemble_tiny, outputs

# Two layouts of one document compared: each laid out for real (tests/conftest.py).
pytestmark = pytest.mark.fresh_layout


def test_two_builds_in_two_folders_are_byte_identical(tiny, tmp_path):
    # A fresh folder elsewhere, without the first build's pandoc cache.
    other = assemble_tiny(tmp_path / "elsewhere" / "tiny-again")
    folio.build(other)
    first, second = outputs(tiny.root), outputs(other)
    assert sorted(first) == sorted(second)
    differ = [name for name in first if first[name] != second[name]]
    assert differ == []


@pytest.mark.slow  # two whole builds on one worker
def test_builds_laid_out_by_one_reused_worker_are_byte_identical(tiny, tmp_path):
    # invoke serve keeps one pool for all its rebuilds: a worker lays out one PDF after another
    # (here one worker does both PDFs of two builds), from the state the last one left.
    with Pool(workers=1) as pool:
        for n in (1, 2):
            folio.build(tiny.root, out_dir=tmp_path / str(n), pool=pool)
    for n in (1, 2):
        out = tmp_path / str(n)
        made = {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
                if p.is_file() and CACHE not in p.relative_to(out).parts}
        assert made == outputs(tiny.root)


def test_a_rebuild_from_the_pandoc_cache_is_byte_identical(tiny, copy_built):
    root = copy_built(tiny)
    assert list((root / "build/.cache/pandoc").iterdir())
    folio.build(root)
    assert outputs(root) == outputs(tiny.root)


def test_manifest_records_every_output_and_input(report):
    manifest = json.loads((report.out / "manifest.json").read_text("utf-8"))
    files = outputs(report.root)
    del files["manifest.json"]
    recorded = {o["path"]: o for o in manifest["outputs"]}
    assert sorted(recorded) == sorted(files)
    for rel, data in files.items():
        assert recorded[rel]["sha256"] == hashlib.sha256(data).hexdigest(), rel
        assert recorded[rel]["size"] == len(data), rel
    assert recorded[f"{report.pub['slug']}.pdf"]["pages"] == len(report.pdf.reader.pages)
    inputs = {p.relative_to(report.root).as_posix() for folder in ("data", "manuscript", "templates")
              for p in (report.root / folder).rglob("*") if p.is_file()}
    # And the default theme's files the project does not override (folio-theme/...).
    assert set(manifest["inputs"]) == inputs | set(theme_inputs(report.root))


@pytest.mark.slow  # an EPUB build with its cover laid out
def test_source_date_epoch_sets_the_modified_date(tiny, tmp_path, monkeypatch):
    epoch = 1_700_000_000
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(epoch))
    folio.build(tiny.root, ("epub",), out_dir=tmp_path)
    epub = EpubView(tmp_path / f"{tiny.pub['slug']}.epub")
    modified = [m.text for m in epub.meta("opf:meta") if m.get("property") == "dcterms:modified"]
    stamp = dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert modified == [stamp]
    # The publication date stays the one of data/publication.yaml.
    assert [e.text for e in epub.meta("dc:date")] == [tiny.pub["date"].isoformat()]
